"""A lease on a request while its events are announced (keyword-only, session first).

Announcing posts to Slack, which may take seconds; holding a row lock or a write
transaction that long would block every other writer (SQLite has one) and every
process waiting on the row. So the announcer takes a lease in a short transaction of
its own: a conditional UPDATE that wins only when no other owner holds an unexpired
lease, commits it, talks to Slack with no transaction open, and renews or releases the
lease in the transaction that records what it posted. It works the same on SQLite and
PostgreSQL, across threads and processes; a process that dies holding one loses it when
it expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from bot.store.models import BackfillRequest


def take_announce_lease(
    session: Session, *, request_id: int, owner: str, now: datetime, seconds: float
) -> bool:
    """Take (or renew) the lease; False when another owner holds an unexpired one."""
    result = session.execute(
        update(BackfillRequest)
        .where(
            BackfillRequest.id == request_id,
            or_(
                BackfillRequest.announce_owner.is_(None),
                BackfillRequest.announce_owner == owner,
                BackfillRequest.announce_until.is_(None),
                BackfillRequest.announce_until <= now,
            ),
        )
        .values(announce_owner=owner, announce_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def release_announce_lease(session: Session, *, request_id: int, owner: str) -> bool:
    """Give the lease back if this owner still holds it."""
    result = session.execute(
        update(BackfillRequest)
        .where(BackfillRequest.id == request_id, BackfillRequest.announce_owner == owner)
        .values(announce_owner=None, announce_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
