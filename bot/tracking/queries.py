"""Store functions only the tracker and the announcer need (keyword-only, session first).

Polling happens once across processes through leases (``claim_due``; on PostgreSQL
with ``FOR UPDATE SKIP LOCKED``); announcing through the request's announce lease
(``bot.tracking.announce_lease``), a conditional update that works on every database
without holding a transaction open across a Slack call.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.observability.metrics import Backlog
from bot.store.models import TRACKED_STATES, BackfillRequest, RequestEvent, RequestState
from bot.store.statements import is_postgres, rowcount

CHANGE_EVENT_KINDS = ("state", "progress", "tracking_resumed")


def as_utc(moment: datetime | str) -> datetime:
    """Return an aggregate's moment as an aware UTC datetime."""
    # an aggregate loses the column type: SQLite hands back naive text
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def last_change_times(session: Session, *, request_ids: Collection[int]) -> dict[int, datetime]:
    """Return when each request last showed a change (newest state/progress event)."""
    if not request_ids:
        return {}
    rows = session.execute(
        select(RequestEvent.request_id, func.max(RequestEvent.created_at))
        .where(
            RequestEvent.request_id.in_(list(request_ids)),
            RequestEvent.kind.in_(CHANGE_EVENT_KINDS),
        )
        .group_by(RequestEvent.request_id)
    ).all()
    result: dict[int, datetime] = {}
    for request_id, moment in rows:
        if moment is None:
            continue
        result[int(request_id)] = as_utc(moment)
    return result


def give_up_announcement(session: Session, *, event_id: int) -> bool:
    """Stop trying to announce an event (after too many failed attempts)."""
    result = session.execute(
        update(RequestEvent)
        .where(RequestEvent.id == event_id, RequestEvent.announced_at.is_(None))
        .values(needs_announcement=False)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) > 0


def flag_state_announcements(
    session: Session, *, request_ids: Collection[int], to_state: RequestState
) -> int:
    """Ask for the state events into ``to_state`` of these requests to be announced.

    Used after ``expire_pending``: expiry is an audit event in the store, but the card
    with the now-useless buttons has to be updated, once, with retries like any other.
    """
    if not request_ids:
        return 0
    result = session.execute(
        update(RequestEvent)
        .where(
            RequestEvent.request_id.in_(list(request_ids)),
            RequestEvent.kind == "state",
            RequestEvent.to_state == to_state,
            RequestEvent.announced_at.is_(None),
        )
        .values(needs_announcement=True)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def pending_request_ids(
    session: Session, *, limit: int, exclude: Collection[int] = ()
) -> list[int]:
    """Return requests with events to announce, the one waiting longest first.

    ``exclude``: requests not to try now (pausing after Slack failures), so that they
    cannot crowd out the others.
    """
    query = select(RequestEvent.request_id, func.min(RequestEvent.id).label("first")).where(
        RequestEvent.needs_announcement.is_(True), RequestEvent.announced_at.is_(None)
    )
    if exclude:
        query = query.where(RequestEvent.request_id.not_in(list(exclude)))
    rows = session.execute(
        query.group_by(RequestEvent.request_id).order_by("first").limit(limit)
    ).all()
    return [int(row[0]) for row in rows]


def schedule_unscheduled(session: Session, *, now: datetime) -> int:
    """Give tracked requests without a poll time one now (so none is ever forgotten)."""
    result = session.execute(
        update(BackfillRequest)
        .where(
            BackfillRequest.state.in_(list(TRACKED_STATES)),
            BackfillRequest.tracking_paused.is_(False),
            BackfillRequest.next_poll_at.is_(None),
            BackfillRequest.lease_owner.is_(None),
        )
        .values(next_poll_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def release_owned(session: Session, *, owner: str) -> int:
    """Drop every lease held under ``owner`` (a restarted worker reusing its name)."""
    result = session.execute(
        update(BackfillRequest)
        .where(BackfillRequest.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def lock_leased_many(
    session: Session, *, request_ids: Collection[int], owner: str
) -> dict[int, BackfillRequest]:
    """Return (locked on PostgreSQL) the requests among these still leased to ``owner``."""
    if not request_ids:
        return {}
    query = (
        select(BackfillRequest)
        .where(BackfillRequest.id.in_(list(request_ids)), BackfillRequest.lease_owner == owner)
        .order_by(BackfillRequest.id)  # one lock order for everyone: no deadlocks
        .execution_options(populate_existing=True)
    )
    if is_postgres(session):
        query = query.with_for_update()
    return {row.id: row for row in session.scalars(query)}


def release_many(
    session: Session, *, owner: str, next_polls: Collection[tuple[int, datetime | None]]
) -> None:
    """Give up several leases at once, each with its next poll time (one statement)."""
    if not next_polls:
        return
    table = cast(Table, BackfillRequest.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("request_id"), table.c.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None, next_poll_at=bindparam("next_poll"))
    )
    session.execute(
        statement,
        [{"request_id": request_id, "next_poll": when} for request_id, when in next_polls],
    )


def tracked_counts(session: Session) -> dict[str, int]:
    """How many requests are followed, by state (the ``tracked_backfills`` gauge)."""
    rows = session.execute(
        select(BackfillRequest.state, func.count())
        .where(BackfillRequest.state.in_(list(TRACKED_STATES)))
        .group_by(BackfillRequest.state)
    ).all()
    counts = {state.value: 0 for state in TRACKED_STATES}
    counts.update({RequestState(row[0]).value: int(row[1]) for row in rows})
    return counts


def oldest_unannounced_at(session: Session) -> datetime | None:
    """When the oldest change still waiting for its Slack post was stored (None: none waits)."""
    oldest = session.execute(
        select(func.min(RequestEvent.created_at)).where(
            RequestEvent.needs_announcement.is_(True), RequestEvent.announced_at.is_(None)
        )
    ).scalar()
    return None if oldest is None else as_utc(oldest)


def backlog(session: Session, *, now: datetime) -> Backlog:
    """The scrape-time gauges: requests followed by state, age of the oldest unannounced change."""
    oldest = oldest_unannounced_at(session)
    return Backlog(
        tracked=tracked_counts(session),
        oldest_unannounced_seconds=None if oldest is None else (now - oldest).total_seconds(),
    )
