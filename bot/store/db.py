"""Engines, sessions and schema version checks.

SQLite is the default (one file, no server); PostgreSQL (psycopg 3) when several bot
processes share the work.  The schema is owned by Alembic (``migrations/``, installed as
the ``bot_migrations`` package); the server and worker refuse to start unless the database
is at the newest revision.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import BotError, ConfigError, SchemaOutOfDateError, StoreError

log = logging.getLogger(__name__)

# setup.py installs the repository's migrations/ folder as this package
MIGRATIONS_PACKAGE = "bot_migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
MIGRATE_HINT = "Run `python -m bot migrate` and start again."
PSYCOPG_HINT = "pip install 'psycopg[binary]>=3.1,<4'"


def migrations_dir() -> Path:
    """Return the folder holding Alembic's env.py and versions/.

    The installed package first (a wheel, or the editable install's mapping), so any
    working directory will do; a source tree that was never installed (``PYTHONPATH=.``,
    Heroku's checkout) falls back to its own top-level migrations/ folder.
    """
    spec = importlib.util.find_spec(MIGRATIONS_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / "env.py").is_file():
                return Path(location)
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    if (checkout / "env.py").is_file():
        return checkout
    raise ConfigError(
        f"The database migrations are missing: neither the {MIGRATIONS_PACKAGE} package nor a "
        "migrations/ folder next to bot/ was found. Reinstall the bot (pip install backfill-bot "
        "or the wheel), which ships them."
    )


def normalize_url(url: str) -> URL:
    """Parse a database URL, sending plain ``postgresql://`` URLs to psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            "DATABASE_URL is not a valid database URL. Use e.g. sqlite:///path/bot.db or "
            "postgresql://user@host:5432/db."
        ) from exc
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"DATABASE_URL uses {backend!r}; the bot supports sqlite and postgresql only."
        )
    return parsed


def _require_psycopg(driver: str) -> None:
    if driver != "psycopg":
        raise ConfigError(
            f"DATABASE_URL asks for the PostgreSQL driver {driver!r}; the bot uses psycopg 3. "
            "Write the URL as postgresql://user:password@host:5432/db."
        )
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            "DATABASE_URL is a PostgreSQL URL, but the PostgreSQL driver psycopg 3 is not "
            f"installed ({exc}). Install it into the bot's environment: {PSYCOPG_HINT}"
        ) from None


def safe_url(url: str | URL) -> str:
    """Render a URL for messages and logs, password hidden."""
    parsed = url if isinstance(url, URL) else normalize_url(url)
    return parsed.render_as_string(hide_password=True)


def _json_default(value: object) -> str:
    # dates in payloads (run dates in error reports) are stored as ISO strings
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(value: object) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if database in {"", ":memory:"} or database.startswith("file:") or url.query.get("uri"):
        return None
    return Path(database)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers never block the writer; NORMAL sync is durable enough with WAL
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: str, *, echo: bool | Literal["debug"] = False, **options: Any) -> Engine:
    """Create an engine: SQLite with WAL, busy timeout and foreign keys; or PostgreSQL.

    ``options`` go to ``create_engine`` (e.g. ``pool_size`` for many worker threads).
    """
    parsed = normalize_url(url)
    options.setdefault("json_serializer", _dumps)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            echo=echo,
            # the sqlite3 default is fine: it begins a transaction lazily at the first
            # write, so a conditional UPDATE waits for the lock instead of failing with
            # SQLITE_BUSY on a stale read snapshot
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **options,
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    _require_psycopg(parsed.get_driver_name())
    options.setdefault("pool_pre_ping", True)
    return create_engine(parsed, echo=echo, **options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory (objects stay readable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session; commit on success, roll back on error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("database operation failed: %s", type(exc).__name__, exc_info=True)
        raise StoreError() from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None) -> Config:
    """Build the Alembic config in code (no alembic.ini), pointing at the installed migrations."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        # attributes, not the ini option: configparser would choke on '%' in URLs
        config.attributes["url"] = url
    return config


def head_revisions() -> set[str]:
    """Return the newest revision(s) the code knows."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """Return the revision(s) the database is at (empty when never migrated)."""
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        raise StoreError(
            f"Could not open the database at {safe_url(engine.url)}. Check DATABASE_URL "
            "and that the database server is running."
        ) from exc


def upgrade_to_head(url: str) -> None:
    """Upgrade the database at ``url`` to the newest revision (``python -m bot migrate``)."""
    from alembic import command

    try:
        command.upgrade(alembic_config(url), "head")
    except BotError:
        raise
    except SQLAlchemyError as exc:
        raise StoreError(
            f"Migrating the database at {safe_url(url)} failed: {type(exc).__name__}. "
            "Check DATABASE_URL and that the database is reachable, then run "
            "`python -m bot migrate` again."
        ) from exc


def ensure_schema_current(engine: Engine) -> None:
    """Raise SchemaOutOfDateError unless the database is at the newest revision."""
    heads = head_revisions()
    current = current_revisions(engine)
    if current == heads:
        return
    unknown = current - {rev.revision for rev in _all_revisions()}
    if unknown:
        raise SchemaOutOfDateError(
            f"The database at {safe_url(engine.url)} is at revision "
            f"{', '.join(sorted(unknown))}, which this version of the bot does not know: "
            "it was migrated by a newer version. Run that version, or restore a matching "
            "database."
        )
    at = ", ".join(sorted(current)) if current else "no revision (an empty database)"
    raise SchemaOutOfDateError(
        f"The database schema is out of date (at {at}; this version of the bot needs "
        f"{', '.join(sorted(heads))}). {MIGRATE_HINT}"
    )


def _all_revisions() -> list[Any]:
    return list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
