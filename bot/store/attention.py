"""Requests that need a second look: paused tracking, failed submits due a late look-up.

Read by the tracker's housekeeping and the service's recovery, and (for the paused
state) meant for readiness checks and metrics.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import TRACKED_STATES, BackfillRequest, RequestEvent, RequestState


def list_orphan_checks_due(
    session: Session, *, now: datetime, limit: int = 50
) -> list[BackfillRequest]:
    """PENDING requests whose failed submit is due its one late look-up, oldest first.

    A failed create may still land at Supermetrics after the client gave up and after
    its look-up; ``back_to_pending`` schedules one more look (``next_poll_at``, unused
    by PENDING rows otherwise) so a backfill that landed late is tracked, not orphaned.
    """
    query = (
        select(BackfillRequest)
        .where(
            BackfillRequest.state == RequestState.PENDING,
            BackfillRequest.next_poll_at.is_not(None),
            BackfillRequest.next_poll_at <= now,
        )
        .order_by(BackfillRequest.next_poll_at, BackfillRequest.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def first_submit_attempt(session: Session, *, request_id: int) -> datetime | None:
    """When the request was first claimed for submitting, if it was claimed before the
    latest claim (None for a first submit)."""
    query = (
        select(RequestEvent.created_at)
        .where(
            RequestEvent.request_id == request_id,
            RequestEvent.to_state == RequestState.SUBMITTING,
        )
        .order_by(RequestEvent.id)
        .limit(2)
    )
    found = list(session.scalars(query))
    return found[0] if len(found) == 2 else None


def count_paused_tracking(session: Session) -> int:
    """How many tracked backfills are paused (their API calls keep failing): for
    readiness checks and metrics; each is still looked at every ``poll_max_seconds``."""
    query = select(func.count(BackfillRequest.id)).where(
        BackfillRequest.state.in_(list(TRACKED_STATES)),
        BackfillRequest.tracking_paused.is_(True),
    )
    return int(session.scalar(query) or 0)


def list_paused_tracking(session: Session, *, limit: int = 100) -> list[BackfillRequest]:
    """The paused tracked requests, the longest-failing first."""
    query = (
        select(BackfillRequest)
        .where(
            BackfillRequest.state.in_(list(TRACKED_STATES)),
            BackfillRequest.tracking_paused.is_(True),
        )
        .order_by(BackfillRequest.poll_failures.desc(), BackfillRequest.id)
        .limit(limit)
    )
    return list(session.scalars(query))
