"""The tracker together with the real service: confirm, status (resume), cancel."""

from __future__ import annotations

from bot.service import BackfillService
from bot.service.types import Actor
from bot.store.models import RequestState
from tests.tracking.conftest import CHANNEL, TEAM, TRANSFER, USER, TrackerEnv, buttons


def _service(env: TrackerEnv) -> BackfillService:
    return BackfillService(
        settings=env.settings,
        session_factory=env.session_factory,
        dts=env.dts,
        vault=env.vault,
        notifier=env.notifier,
        clock=env.clock,
        announcer=env.tracker.announcer,
    )


def test_through_the_service_confirm_then_cancel_from_slack(env: TrackerEnv) -> None:
    service = _service(env)
    actor = Actor(slack_team_id=TEAM, user_id=USER, channel_id=CHANNEL, tz="UTC")
    asked = service.handle_text(
        actor=actor, text=f"transfer {TRANSFER} from 2026-01-01 to 2026-01-31"
    )
    assert asked.request_id is not None
    service.confirm(actor=actor, request_id=asked.request_id)
    row = env.request(asked.request_id)
    assert row.state is RequestState.SUBMITTED
    card_ts = row.message_ts
    thread = env.slack.thread(CHANNEL, card_ts)
    assert [msg["text"] for msg in thread] == [
        f"Backfill #{row.backfill_id} submitted by <@{USER}>: Facebook Ads - daily "
        f"(#{TRANSFER}), 2026-01-01 → 2026-01-31 (31 daily runs). "
        "I'll post updates in this thread."
    ]

    env.run_until(lambda: env.state(asked.request_id) is RequestState.RUNNING)
    env.clock.advance(20)
    service.cancel_backfill(actor=actor, request_id=asked.request_id)
    env.tick(5)
    texts = [msg["text"] for msg in env.slack.thread(CHANNEL, card_ts)]
    assert texts[1:3] == [
        f":calendar: Backfill #{row.backfill_id} is scheduled: 31 daily runs queued.",
        f":arrows_counterclockwise: Backfill #{row.backfill_id} is running.",
    ]
    assert texts[-1].startswith(
        f":no_entry_sign: <@{USER}> Backfill #{row.backfill_id} was cancelled by <@{USER}>: "
    )
    assert len(texts) == 4  # each status exactly once, nothing after the cancel
    assert buttons(env.slack.message(CHANNEL, card_ts) or {}) == []


def test_status_resumes_a_paused_backfill_and_the_thread_says_so(env: TrackerEnv) -> None:
    service = _service(env)
    actor = Actor(slack_team_id=TEAM, user_id=USER, channel_id=CHANNEL, tz="UTC")
    sub = env.submit()
    env.sim.inject("500", count=3)
    for seconds in (5, 5, 10):
        env.tick(seconds)
    assert env.request(sub.request_id).tracking_paused
    assert env.replies(sub)[-1].startswith(":double_vertical_bar: Tracking of backfill")

    reply = service.handle_text(actor=actor, text=f"status {sub.request_id}")
    assert "resumed" in reply.text or any("resumed" in str(b) for b in reply.blocks)
    env.tick(1)  # polled again at once: it had moved on to RUNNING meanwhile
    assert env.replies(sub)[-2:] == [
        f":arrow_forward: Tracking of backfill #{sub.backfill_id} resumed (asked by <@{USER}>).",
        f":arrows_counterclockwise: Backfill #{sub.backfill_id} is running.",
    ]
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)
    assert env.replies(sub)[-1].startswith(":white_check_mark:")
