"""The announcer says in the thread that a FAILED backfill was closed, like any event."""

from __future__ import annotations

from bot.store.db import session_scope
from bot.store.queries import add_event, list_events
from tests.tracking.conftest import USER, TrackerEnv

FAILED_BACKFILL_CLOSED = "failed_backfill_closed"  # as bot.messages.status_updates names it


def _closed(env: TrackerEnv, request_id: int, backfill_id: int, **extra: object) -> None:
    """Store the close the way bot.service.failed_backfills does."""
    actor = str(extra.pop("actor", USER))
    with session_scope(env.session_factory) as session:
        add_event(
            session,
            request_id=request_id,
            kind=FAILED_BACKFILL_CLOSED,
            actor=actor,
            now=env.clock.now(),
            payload={"backfill_id": backfill_id, "status": "CANCELLED", **extra},
            needs_announcement=True,
        )


def test_a_close_for_a_retry_is_replied_once_in_the_thread(env: TrackerEnv) -> None:
    sub = env.submit()
    _closed(env, sub.request_id, sub.backfill_id, retry_request_id=42)
    env.tick(1)
    env.tick(60)
    closed = [text for text in env.replies(sub) if text.startswith(":broom:")]
    assert closed == [
        f":broom: Backfill #{sub.backfill_id} had finished with errors and still held these "
        "dates at Supermetrics, which refuses overlapping backfills, so I closed it "
        f"(cancelled) to let <@{USER}>'s retry of its failed days run (request #42). "
        "The failed days listed above stay as they were."
    ]
    with session_scope(env.session_factory) as session:
        [event] = [
            e
            for e in list_events(session, request_id=sub.request_id)
            if e.kind == FAILED_BACKFILL_CLOSED
        ]
        assert event.announced_at is not None


def test_a_close_outside_slack_names_nobody(env: TrackerEnv) -> None:
    sub = env.submit()
    _closed(env, sub.request_id, sub.backfill_id, actor="console-script")
    env.tick(1)
    assert env.replies(sub)[-1] == (
        f":broom: Backfill #{sub.backfill_id} had finished with errors; it was closed "
        "(cancelled) at Supermetrics so its dates are free for new backfills. Its failed days "
        "stay recorded above."
    )
