"""The tracker settles requests left SUBMITTING by a process that died in the create call."""

from __future__ import annotations

from datetime import date, timedelta

from bot.messages import ids
from bot.service.background import attach_recovery
from bot.service.recovery import INTERRUPTED
from bot.store.db import session_scope
from bot.store.deliveries import SlackDelivery, claim_delivery
from bot.store.models import RequestState
from bot.store.queries import list_events
from bot.tracking.tracker import Tracker
from tests.tracking.conftest import CHANNEL, TRANSFER, USER, TrackerEnv, buttons

JANUARY = (date(2026, 1, 1), date(2026, 1, 31))


def _stuck(env: TrackerEnv) -> int:
    """A confirmed request with its card, whose process died before the create answered."""
    request_id, _ts = env.confirmed(*JANUARY)
    return request_id


def _thread(env: TrackerEnv, request_id: int) -> list[str]:
    row = env.request(request_id)
    return [m["text"] for m in env.slack.thread(CHANNEL, row.message_ts)]


def test_a_created_backfill_is_recorded_announced_then_tracked(env: TrackerEnv) -> None:
    request_id = _stuck(env)
    env.clock.advance(10)
    made = env.sim.create(TRANSFER, *JANUARY)  # the create landed; its answer was lost
    env.tick(60)
    assert env.state(request_id) is RequestState.SUBMITTING  # not old enough yet (120 s)

    env.tick(61)
    row = env.request(request_id)
    assert (row.state, row.backfill_id) == (RequestState.SUBMITTED, made.backfill_id)
    assert env.tracker.last_tick.recovered == 1
    assert _thread(env, request_id) == [
        f"Backfill #{made.backfill_id} submitted by <@{USER}>: Facebook Ads - daily "
        f"(#{TRANSFER}), 2026-01-01 → 2026-01-31 (31 daily runs). "
        "I'll post updates in this thread."
    ]
    with session_scope(env.session_factory) as session:
        [event] = [
            e for e in list_events(session, request_id=request_id) if e.to_state == "SUBMITTED"
        ]
        assert event.actor == "recovery" and event.announced_at is not None
    assert len(env.sim.backfills()) == 1  # nothing was created again
    # and the tracker follows it from there like any other
    env.run_until(lambda: env.state(request_id) is RequestState.RUNNING)
    assert _thread(env, request_id)[-1] == (
        f":arrows_counterclockwise: Backfill #{made.backfill_id} is running."
    )


def test_without_a_backfill_it_goes_back_to_pending_with_retry(env: TrackerEnv) -> None:
    request_id = _stuck(env)
    env.tick(121)
    row = env.request(request_id)
    assert (row.state, row.state_reason, row.confirmed_by) == (
        RequestState.PENDING,
        INTERRUPTED,
        None,
    )
    card = env.slack.message(CHANNEL, row.message_ts)
    assert card is not None
    assert (ids.ACTION_RETRY_SUBMIT, str(request_id)) in buttons(card)
    assert _thread(env, request_id) == []
    assert env.sim.backfills() == []


def test_the_check_runs_every_interval_of_tracker_time(env: TrackerEnv) -> None:
    tracker = attach_recovery(
        Tracker(
            settings=env.settings,
            session_factory=env.session_factory,
            dts=env.dts,
            vault=env.vault,
            notifier=env.notifier,
            clock=env.clock,
            owner="worker-slow-recovery",
            recovery_interval_seconds=300,
        )
    )
    tracker.run_once()  # the first tick checks at once (nothing stuck yet)
    request_id = _stuck(env)
    env.tick(200, tracker)  # stuck long enough, but the next check is due at 300 s
    assert env.state(request_id) is RequestState.SUBMITTING
    env.tick(100, tracker)
    assert env.state(request_id) is RequestState.PENDING
    assert tracker.last_tick.recovered == 1


def test_housekeeping_forgets_slack_deliveries_older_than_a_day(env: TrackerEnv) -> None:
    now = env.clock.now()
    with session_scope(env.session_factory) as session:
        assert claim_delivery(session, delivery_id="Ev-old", now=now - timedelta(days=2))
        assert claim_delivery(session, delivery_id="Ev-new", now=now - timedelta(hours=1))
    env.tracker.run_once()
    with session_scope(env.session_factory) as session:
        kept = sorted(row.delivery_id for row in session.query(SlackDelivery).all())
        # a retry of the recent event is still recognised as already handled
        assert not claim_delivery(session, delivery_id="Ev-new", now=now)
    assert kept == ["Ev-new"]
