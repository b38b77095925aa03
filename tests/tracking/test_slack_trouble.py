"""When Slack says no: nothing is lost, nothing is posted twice, the tracker keeps going."""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta

import pytest

from bot.slack.slack_notifier import build_web_client
from bot.store.db import session_scope
from bot.store.models import RequestState
from bot.store.queries import add_event, create_request, pending_announcements, update_request
from bot.tracking.announcer import Announcer
from tests.tracking.conftest import CHANNEL, TEAM, USER, TrackerEnv, buttons, card_text

ALL_STATUSES = ("submitted by", "is scheduled", "is running", ":white_check_mark:")


def _counts(replies: list[str]) -> list[int]:
    return [sum(marker in reply for reply in replies) for marker in ALL_STATUSES]


def test_failed_replies_are_retried_later_without_duplicates(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    env.slack.fail_next("chat.postMessage", "fatal_error")
    env.tick(5)  # SCHEDULED seen; its reply fails
    assert env.state(sub.request_id) is RequestState.SCHEDULED
    assert len(env.replies(sub)) == 1
    env.tick(5)  # RUNNING seen; SCHEDULED's retry waits out its pause (2 s) first
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)
    env.tick(5)
    replies = env.replies(sub)
    assert _counts(replies) == [1, 1, 1, 1]
    # still in order: a later event never overtakes a pending earlier one
    assert [next(m for m in ALL_STATUSES if m in r) for r in replies] == list(ALL_STATUSES)


def test_rate_limited_by_slack_then_posted(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    # two 429s in a row: slack_sdk waits and retries once, then the announcer takes over
    env.slack.rate_limit_next("chat.update", retry_after=0, count=2)
    env.tick(5)
    assert len(env.replies(sub)) == 1  # the card update failed before the reply was posted
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)
    env.tick(5)
    assert _counts(env.replies(sub)) == [1, 1, 1, 1]
    with session_scope(env.session_factory) as session:
        assert pending_announcements(session) == []


def test_a_deleted_card_is_posted_again_and_the_thread_follows_it(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    build_web_client(env.settings).chat_delete(channel=CHANNEL, ts=sub.ts)
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)
    env.tick(5)
    row = env.request(sub.request_id)
    assert row.message_ts != sub.ts
    new_card = env.slack.message(CHANNEL, row.message_ts)
    assert new_card is not None
    assert "COMPLETED ▓▓▓▓▓▓▓▓▓▓ 3/3 days" in card_text(new_card)
    old = [msg["text"] for msg in env.slack.thread(CHANNEL, sub.ts)]
    new = [msg["text"] for msg in env.slack.thread(CHANNEL, row.message_ts)]
    assert _counts(old + new) == [1, 1, 1, 1]
    assert ":white_check_mark:" in new[-1]


def test_bot_removed_from_the_channel_does_not_stop_tracking(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    other = env.submit(date(2026, 1, 1), date(2026, 1, 3), transfer_id=456790, channel="C2")
    env.slack.bot_not_in(CHANNEL)
    env.run_until(
        lambda: all(env.state(s.request_id) is RequestState.COMPLETED for s in (sub, other))
    )
    # the other channel was told everything; this one nothing yet, but nothing is lost
    assert _counts(env.replies(other)) == [1, 1, 1, 1]
    assert len(env.replies(sub)) == 1
    env.slack.bot_joins(CHANNEL)
    env.run_until(lambda: len(env.replies(sub)) == 4, step=30)
    assert _counts(env.replies(sub)) == [1, 1, 1, 1]


def test_a_slack_outage_longer_than_ten_attempts_loses_no_reply(env: TrackerEnv) -> None:
    """Fifteen minutes and more of HTTP 500 on every thread post (issue 17: 9)."""
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    # slack_sdk tries each call three times: 90 answers are 30 attempts of the announcer
    env.slack.fail_next("chat.postMessage", "internal_error", count=90, status=500)
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)
    started = env.clock.now()
    env.run_until(lambda: not _pending(env), step=60, max_steps=200)
    assert env.clock.now() - started > timedelta(minutes=15)
    assert _counts(env.replies(sub)) == [1, 1, 1, 1]


def test_announcements_that_keep_failing_are_given_up_with_a_log_line(
    env: TrackerEnv, caplog: pytest.LogCaptureFixture
) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    env.tracker.announcer.max_attempts = 10  # ANNOUNCE_MAX_ATTEMPTS=10 (default: no limit)
    env.slack.bot_not_in(CHANNEL)
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)
    # SCHEDULED, RUNNING, two progress updates (card only) and COMPLETED, kept in order
    assert len(_pending(env)) == 5
    with caplog.at_level(logging.ERROR, logger="bot.tracking.announcer"):
        # ten attempts each, with pauses growing to five minutes: bounded, not forever
        steps = env.run_until(lambda: not _pending(env), step=300, max_steps=100)
    assert steps > 5
    assert caplog.text.count("giving up announcing event") == 3
    assert "not_in_channel" in caplog.text
    env.slack.bot_joins(CHANNEL)
    env.tick(300)
    assert len(env.replies(sub)) == 1  # given up means given up, not posted late


def _pending(env: TrackerEnv) -> list[int]:
    with session_scope(env.session_factory) as session:
        return [event.id for event in pending_announcements(session)]


def test_unconfirmed_requests_expire_and_their_card_loses_the_buttons(env: TrackerEnv) -> None:
    now = env.clock.now()
    ts = env.notifier.post(
        slack_team_id=TEAM,
        channel=CHANNEL,
        text="Confirm?",
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": "Backfill?"}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "backfill_confirm",
                        "text": {"type": "plain_text", "text": "Confirm"},
                        "value": "1",
                    }
                ],
            },
        ],
    )
    with session_scope(env.session_factory) as session:
        request = create_request(
            session,
            slack_team_id=TEAM,
            channel_id=CHANNEL,
            user_id=USER,
            user_tz="UTC",
            text="transfer 456789 for last January",
            transfer_id=456789,
            transfer_name=None,
            range_start=date(2026, 1, 1),
            range_end=date(2026, 1, 31),
            days=31,
            notes=[],
            now=now,
            expires_at=now + timedelta(minutes=10),
        )
        update_request(
            session,
            request_id=request.id,
            now=now,
            values={"message_channel": CHANNEL, "message_ts": ts},
        )
        request_id = request.id
    env.tick(300)
    assert env.state(request_id) is RequestState.PENDING
    env.tick(301)
    assert env.state(request_id) is RequestState.EXPIRED
    card = env.slack.message(CHANNEL, ts)
    assert card is not None
    assert buttons(card) == []
    assert "expired before anyone confirmed it" in card_text(card)
    assert "/backfill transfer 456789 for last January" in card_text(card)
    assert env.slack.thread(CHANNEL, ts) == []  # no reply: the card says it all
    updates = [c for c in env.slack.calls_to("chat.update") if c.args.get("ts") == ts]
    env.tick(60)
    assert [c for c in env.slack.calls_to("chat.update") if c.args.get("ts") == ts] == updates
    assert len(updates) == 1


def test_two_announcers_flushing_at_once_post_each_event_once(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3), flush=False)
    now = env.clock.now()
    with session_scope(env.session_factory) as session:
        for n in range(30):
            add_event(
                session,
                request_id=sub.request_id,
                kind="progress",
                actor="tracker",
                now=now,
                payload={
                    "status": "RUNNING",
                    "runs_total": 30,
                    "runs_completed": n,
                    "runs_failed": 0,
                    "reply": True,
                },
                needs_announcement=True,
            )
    announcers = [
        Announcer(
            settings=env.settings,
            session_factory=env.session_factory,
            notifier=env.notifier,
            clock=env.clock,
        )
        for _ in range(4)
    ]
    barrier = threading.Barrier(len(announcers))

    def flush(announcer: Announcer) -> None:
        barrier.wait()
        for _ in range(10):
            announcer.flush()

    threads = [threading.Thread(target=flush, args=(a,)) for a in announcers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    replies = env.replies(sub)
    assert replies[0].startswith(f"Backfill #{sub.backfill_id} submitted by")
    assert replies[1:] == [
        f"Backfill #{sub.backfill_id}: RUNNING {_bar(n)} {n}/30 days" for n in range(30)
    ]
    assert _pending(env) == []


def _bar(n: int) -> str:
    filled = round(10 * n / 30)
    return "▓" * filled + "░" * (10 - filled)


@pytest.mark.parametrize("tracker_settings_overrides", [{"tracker_batch_size": 2}])
def test_requests_stuck_on_slack_do_not_crowd_out_the_others(env: TrackerEnv) -> None:
    stuck = [
        env.submit(date(2026, 1, 1), date(2026, 1, 3), transfer_id=456790 + n, channel="C9")
        for n in range(3)
    ]
    env.slack.bot_not_in("C9")
    healthy = env.submit(date(2026, 1, 1), date(2026, 1, 3))  # newest, in a good channel
    env.run_until(lambda: env.state(healthy.request_id) is RequestState.COMPLETED)
    env.tick(5)
    # (with two polls a tick, some statuses pass unseen; what was seen was all told)
    replies = env.replies(healthy)
    assert ":white_check_mark:" in replies[-1]
    with session_scope(env.session_factory) as session:
        assert pending_announcements(session, request_id=healthy.request_id) == []
        assert len(pending_announcements(session)) >= 3  # the stuck ones still wait
    assert all(len(env.replies(sub)) == 1 for sub in stuck)


def test_the_card_shows_the_last_change_even_when_a_reply_only_event_follows(
    env: TrackerEnv,
) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    now = env.clock.now()
    with session_scope(env.session_factory) as session:
        update_request(
            session,
            request_id=sub.request_id,
            now=now,
            values={"dts_status": "RUNNING", "runs_total": 3, "runs_completed": 2},
        )
        for kind, payload in (
            ("progress", {"status": "RUNNING", "runs_total": 3, "runs_completed": 2}),
            ("tracking_paused", {"reason": "Supermetrics is down.", "failures": 8}),
        ):
            add_event(
                session,
                request_id=sub.request_id,
                kind=kind,
                actor="tracker",
                now=now,
                payload=payload,
                needs_announcement=True,
            )
    env.tracker.announcer.flush(request_id=sub.request_id)
    assert "RUNNING ▓▓▓▓▓▓▓░░░ 2/3 days" in card_text(env.card(sub))
    assert env.replies(sub)[-1].startswith(":double_vertical_bar: Tracking of backfill")
