"""What a running bot process holds: settings, database, token vault, DTS client, clock.

``serve``, ``worker`` and ``console`` build one ``Runtime`` at start-up and close it on
the way out.  Building it checks what would otherwise fail later and confusingly: the
encryption key (production refuses to start without one) and the schema version.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.store.db import ensure_schema_current, make_engine, make_session_factory
from bot.vault import TokenVault, load_vault

if TYPE_CHECKING:
    import httpx

    from bot.supermetrics.client import DtsClient


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    vault: TokenVault
    dts: DtsClient
    clock: Clock

    def close(self) -> None:
        """Close the DTS connection pool and the database connections."""
        try:
            self.dts.close()
        finally:
            self.engine.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    dts_transport: httpx.BaseTransport | None = None,
    allow_generate_key: bool = False,
    check_schema: bool = True,
) -> Runtime:
    """Build the process's shared objects; raise ConfigError / SchemaOutOfDateError early."""
    from bot.supermetrics.client import DtsClient

    # the key first: no point opening a database the bot cannot use
    vault = load_vault(settings, allow_generate=allow_generate_key)
    clock = clock or SystemClock()
    engine = make_engine(settings.resolved_database_url())
    try:
        if check_schema:
            ensure_schema_current(engine)
        # one clock for the process: the client's create look-up window must agree with it
        dts = DtsClient.from_settings(settings, transport=dts_transport, clock=clock)
    except BaseException:
        engine.dispose()
        raise
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        vault=vault,
        dts=dts,
        clock=clock,
    )
