"""The tracker's polling leases: ``claim_due`` leases the tracked requests due a poll
to one owner (skipping rows another worker is claiming), ``release`` gives one back with
its next poll time. None commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session

from bot.store.models import TRACKED_STATES, BackfillRequest
from bot.store.statements import expire_cached, is_postgres, rowcount


def _claimable(now: datetime) -> Any:
    # paused requests too: they are looked at, less often, until the API answers again
    return and_(
        BackfillRequest.state.in_(list(TRACKED_STATES)),
        BackfillRequest.next_poll_at.is_not(None),
        BackfillRequest.next_poll_at <= now,
        or_(BackfillRequest.lease_owner.is_(None), BackfillRequest.lease_expires_at <= now),
    )


def _due_ids(now: datetime, limit: int) -> Select[tuple[int]]:
    return (
        select(BackfillRequest.id)
        .where(_claimable(now))
        .order_by(BackfillRequest.next_poll_at, BackfillRequest.id)
        .limit(limit)
    )


def claim_due(
    session: Session, *, now: datetime, owner: str, lease_seconds: float, limit: int
) -> list[BackfillRequest]:
    """Lease up to ``limit`` tracked requests due for polling to ``owner``; return them."""
    lease = {"lease_owner": owner, "lease_expires_at": now + timedelta(seconds=lease_seconds)}
    if is_postgres(session):
        # rows another worker is claiming right now are skipped, not waited for
        ids = list(session.scalars(_due_ids(now, limit).with_for_update(skip_locked=True)))
        if ids:
            session.execute(
                update(BackfillRequest)
                .where(BackfillRequest.id.in_(ids))
                .values(lease)
                .execution_options(synchronize_session=False)
            )
    else:
        # SQLite has one writer at a time; each claim re-checks the lease in its UPDATE
        ids = []
        for request_id in session.scalars(_due_ids(now, limit)).all():
            statement = (
                update(BackfillRequest)
                .where(BackfillRequest.id == request_id, _claimable(now))
                .values(lease)
                .execution_options(synchronize_session=False)
            )
            if rowcount(session.execute(statement)) == 1:
                ids.append(request_id)
    if not ids:
        return []
    query = (
        select(BackfillRequest)
        .where(BackfillRequest.id.in_(ids))
        .order_by(BackfillRequest.next_poll_at, BackfillRequest.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def release(
    session: Session, *, request_id: int, owner: str, next_poll_at: datetime | None
) -> bool:
    """Give up the lease and set the next poll time (None: no more polls), if still owned."""
    statement = (
        update(BackfillRequest)
        .where(BackfillRequest.id == request_id, BackfillRequest.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None, next_poll_at=next_poll_at)
        .execution_options(synchronize_session=False)
    )
    won = rowcount(session.execute(statement)) == 1
    if won:
        expire_cached(session, BackfillRequest, request_id)
    return won
