"""Writing what one poll found, inside the caller's transaction: events first.

Each function takes a request row the caller holds (leased, locked on PostgreSQL),
writes the state change / progress / failure with its event in the same transaction,
and returns when to poll next (None: no more polls).  Nothing here commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.store.models import TRACKED_STATES, BackfillRequest, RequestState
from bot.store.queries import RequestUpdates, add_event, transition, update_request
from bot.supermetrics.models import Backfill
from bot.tracking.cadence import failure_delay, next_poll_delay
from bot.tracking.observe import needs_write, observe

log = logging.getLogger(__name__)

ACTOR = "tracker"


def record_observation(
    session: Session,
    *,
    row: BackfillRequest,
    backfill: Backfill,
    quiet_since: datetime,
    now: datetime,
    settings: Settings,
    updates: RequestUpdates | None = None,
) -> tuple[datetime | None, bool]:
    """Store what the API said; return (next poll time, whether anything changed).

    ``updates``: collect the writes that are not state changes there (the caller writes
    them together) instead of one UPDATE each; a state change is always written at once,
    by its guarded ``transition``.
    """

    def write(values: dict[str, object]) -> None:
        if updates is None:
            update_request(session, request_id=row.id, now=now, values=values)
        else:
            updates.add(request_id=row.id, now=now, values=values)

    if row.state not in TRACKED_STATES:
        return None, False  # cancelled through Slack meanwhile
    seen = observe(row, backfill, now=now)
    values = dict(seen.values)
    if row.poll_failures:
        values["poll_failures"] = 0
    if row.tracking_paused:
        # the API answers again (the outage is over, the token works again): say so
        values["tracking_paused"] = False
        add_event(
            session,
            request_id=row.id,
            kind="tracking_resumed",
            actor=ACTOR,
            now=now,
            payload={"after_failures": row.poll_failures or 0},
            needs_announcement=True,
        )
        log.info("tracking of request %s resumed: the API answers again", row.id)
    next_poll: datetime | None = None
    if not seen.final:
        # A new status is a new phase: start again from the shortest interval.  Within a
        # phase, runs take about as long as each other, so after a run ends the next poll
        # comes after half the time the last one took (no earlier than poll_min); while
        # nothing changes, the interval keeps growing with the quiet time, up to poll_max.
        since = now if seen.state_changed else quiet_since
        delay = next_poll_delay(
            quiet_seconds=(now - since).total_seconds(),
            poll_min=settings.poll_min_seconds,
            poll_max=settings.poll_max_seconds,
        )
        next_poll = now + timedelta(seconds=delay)
    if seen.state_changed:
        if seen.state is RequestState.RUNNING:
            # the RUNNING reply shows progress; count the reply interval from it
            values["last_progress_reply_at"] = now
        transition(
            session,
            request_id=row.id,
            expected=row.state,
            to=seen.state,
            actor=ACTOR,
            now=now,
            values=values,
            announce=True,
            payload=seen.payload,
        )
        return next_poll, True
    if seen.progress_changed:
        reply = progress_reply_due(row, now=now, interval=settings.progress_reply_interval_seconds)
        if reply:
            values["last_progress_reply_at"] = now
        write(values)
        add_event(
            session,
            request_id=row.id,
            kind="progress",
            actor=ACTOR,
            now=now,
            payload={**seen.payload, "reply": reply},
            needs_announcement=True,
        )
        return next_poll, True
    if needs_write(row, values):
        write(values)
    return next_poll, False


def progress_reply_due(row: BackfillRequest, *, now: datetime, interval: float) -> bool:
    """Progress goes to the thread at most every ``interval`` seconds (the card always)."""
    last = row.last_progress_reply_at or row.submitted_at
    if last is None:
        return True
    return (now - last).total_seconds() >= interval


def record_failure(
    session: Session, *, row: BackfillRequest, reason: str, now: datetime, settings: Settings
) -> datetime | None:
    """Count a failed poll; after too many in a row, pause tracking and say why.

    Returns when to poll next: paused tracking keeps looking by itself, the pause growing
    up to ``poll_max_seconds``, and resumes at the first answer (``record_observation``);
    ``status <id>`` looks at once.
    """
    failures = (row.poll_failures or 0) + 1
    delay = failure_delay(
        failures=failures, poll_min=settings.poll_min_seconds, poll_max=settings.poll_max_seconds
    )
    next_poll = now + timedelta(seconds=delay)
    if failures >= settings.tracker_max_failures and not row.tracking_paused:
        update_request(
            session,
            request_id=row.id,
            now=now,
            values={"poll_failures": failures, "tracking_paused": True},
        )
        add_event(
            session,
            request_id=row.id,
            kind="tracking_paused",
            actor=ACTOR,
            now=now,
            payload={
                "reason": reason,
                "failures": failures,
                "next_look_at": next_poll.isoformat(),
                "every_seconds": settings.poll_max_seconds,
            },
            needs_announcement=True,
        )
        log.warning("tracking of request %s paused after %d failures: %s", row.id, failures, reason)
        return next_poll
    update_request(session, request_id=row.id, now=now, values={"poll_failures": failures})
    log.info("poll of request %s failed (%d in a row): %s", row.id, failures, reason)
    return next_poll
