"""Fixtures for the store tests: migrated SQLite files and throwaway PostgreSQL schemas.

PostgreSQL tests (``@pytest.mark.postgres``) run against 127.0.0.1:5432, database
``test`` (override with TEST_POSTGRES_URL).  Each test gets its own schema with a random
name, selected through ``search_path`` in the URL, and dropped afterwards, so parallel runs
never collide.  An unreachable server fails the test loudly instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import make_engine, make_session_factory, upgrade_to_head

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass
class Database:
    """A migrated database for one test."""

    url: str
    engine: Engine
    factory: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'bot.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_libpq_url(POSTGRES_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc}). The store tests need it: "
            "start the server (CI starts it in .ci/run) or set TEST_POSTGRES_URL.",
            pytrace=False,
        )
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _migrated(url: str) -> Iterator[Database]:
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        yield Database(url=url, engine=engine, factory=make_session_factory(engine))
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    yield from _migrated(sqlite_url)


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[Database]:
    yield from _migrated(postgres_url)


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db(request: pytest.FixtureRequest) -> Database:
    """A migrated database: each test using it runs on SQLite and on PostgreSQL."""
    name = "sqlite_db" if request.param == "sqlite" else "postgres_db"
    database: Database = request.getfixturevalue(name)
    return database
