"""Small pieces every store module needs around its statements, written once.

Conditional UPDATEs report whether they won through the row count; they bypass the ORM,
so a cached object must be expired to be read afresh; and "insert unless it exists"
needs the dialect's own INSERT (both SQLite and PostgreSQL spell it ON CONFLICT).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key


def rowcount(result: Any) -> int:
    """How many rows an INSERT, UPDATE or DELETE touched."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def expire_cached(session: Session, model: type[Any], key: Any) -> None:
    """Make the session's cached object (if any) reload after an UPDATE that bypassed it."""
    cached = session.identity_map.get(identity_key(model, key))
    if cached is not None:
        session.expire(cached)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: Session) -> Any:
    """The ``insert`` that offers ``on_conflict_do_nothing`` on this session's database."""
    return pg_insert if is_postgres(session) else sqlite_insert
