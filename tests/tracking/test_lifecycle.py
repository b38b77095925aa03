"""Whole backfills, driven through the simulator's clock, as people see them in Slack.

The simulator (defaults): CREATED for 5 s, SCHEDULED for 5 s, then one run per day, 10 s
each, newest day first.  The tracker polls every 5 s while things change
(POLL_MIN_SECONDS=5 here) and replies with progress at most every 60 s.
"""

from __future__ import annotations

from datetime import date

from bot.messages import ids
from bot.store.models import RequestState
from tests.tracking.conftest import CHANNEL, TRANSFER, USER, TrackerEnv, buttons, card_text


def _progress(update: dict[str, object]) -> str:
    """The progress line of a card, e.g. ``RUNNING ▓▓░░░░░░░░ 6/31 days``."""
    text = card_text(update)  # type: ignore[arg-type]
    return next(line.strip("`") for line in text.splitlines() if line.startswith("`"))


def test_a_backfill_followed_from_submit_to_completed(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 31))
    assert env.replies(sub) == [
        f"Backfill #{sub.backfill_id} submitted by <@{USER}>: Facebook Ads - daily "
        f"(#{TRANSFER}), 2026-01-01 → 2026-01-31 (31 daily runs). "
        "I'll post updates in this thread."
    ]

    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)

    b = sub.backfill_id
    assert env.replies(sub) == [
        f"Backfill #{b} submitted by <@{USER}>: Facebook Ads - daily (#{TRANSFER}), "
        "2026-01-01 → 2026-01-31 (31 daily runs). I'll post updates in this thread.",
        f":calendar: Backfill #{b} is scheduled: 31 daily runs queued.",
        f":arrows_counterclockwise: Backfill #{b} is running.",
        # RUNNING seen at t=10 s; a run ends every 10 s; a progress reply at most every 60 s
        f"Backfill #{b}: RUNNING ▓▓░░░░░░░░ 6/31 days",
        f"Backfill #{b}: RUNNING ▓▓▓▓░░░░░░ 12/31 days",
        f"Backfill #{b}: RUNNING ▓▓▓▓▓▓░░░░ 18/31 days",
        f"Backfill #{b}: RUNNING ▓▓▓▓▓▓▓▓░░ 24/31 days",
        f"Backfill #{b}: RUNNING ▓▓▓▓▓▓▓▓▓▓ 30/31 days",
        f":white_check_mark: <@{USER}> Backfill #{b} completed: 31/31 days transferred in 5 min.",
    ]

    # the card was updated in place on every change, never skipping a run count
    lines = [_progress(update) for update in env.card_updates(sub)]
    running = [line for line in lines if line.startswith("RUNNING")]
    assert [line.split()[2] for line in running] == [f"{n}/31" for n in range(31)]
    assert lines[-1] == "COMPLETED ▓▓▓▓▓▓▓▓▓▓ 31/31 days"
    assert "SCHEDULED ░░░░░░░░░░ 0/31 days" in lines

    # once final: no Cancel button, and no more polling
    card = env.card(sub)
    assert buttons(card) == []
    assert "backfill #" in card_text(card) and "COMPLETED" in card_text(card)
    calls = len(env.sim.calls)
    for _ in range(10):
        env.tick(60)
    assert len(env.sim.calls) == calls
    assert env.slack.violations == []


def test_a_backfill_failing_on_some_dates_lists_them_and_offers_a_retry(
    env: TrackerEnv,
) -> None:
    env.sim.fail_dates(
        TRANSFER,
        [date(2026, 1, 3), date(2026, 1, 4), date(2026, 1, 5), date(2026, 1, 9)],
        error="Quota exceeded for the Facebook Ads API",
    )
    env.sim.fail_dates(TRANSFER, [date(2026, 1, 10)], error="Access token expired")
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 10))

    env.run_until(lambda: env.state(sub.request_id) is RequestState.FAILED)

    replies = env.replies(sub)
    final = replies[-1]
    assert final == (
        f":x: <@{USER}> Backfill #{sub.backfill_id} failed: 5/10 days transferred, "
        "5 failed in 1 min."
    )
    # the failures, grouped by message with date spans, and the retry button
    thread = env.slack.thread(CHANNEL, sub.ts)
    last = thread[-1]
    assert card_text(last).splitlines()[-3:] == [
        "*5 days failed:*",
        "• 2026-01-03 → 2026-01-05, 2026-01-09 (4 days): Quota exceeded for the Facebook Ads API",
        "• 2026-01-10 (1 day): Access token expired",
    ]
    assert buttons(last) == [(ids.ACTION_RETRY_FAILED_DAYS, str(sub.request_id))]
    # runs failing along the way show on the card; the final card has no Cancel button
    lines = [_progress(update) for update in env.card_updates(sub)]
    assert "RUNNING ▓░░░░░░░░░ 0/10 days · 1 failed" in lines
    assert lines[-1] == "FAILED ▓▓▓▓▓▓▓▓▓▓ 5/10 days · 5 failed"
    assert buttons(env.card(sub)) == []
    # FAILED is the end: the API would still list it, but the tracker stops polling
    row = env.request(sub.request_id)
    assert row.next_poll_at is None and row.lease_owner is None
    assert [item["date"] for item in row.error_report] == [
        "2026-01-03",
        "2026-01-04",
        "2026-01-05",
        "2026-01-09",
        "2026-01-10",
    ]


def test_a_backfill_cancelled_outside_slack_is_reflected(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 31))
    env.run_until(lambda: env.request(sub.request_id).runs_completed >= 3)
    env.sim.cancel(sub.backfill_id)  # as if someone cancelled it in the Supermetrics Hub

    env.run_until(lambda: env.state(sub.request_id) is RequestState.CANCELLED)

    final = env.replies(sub)[-1]
    assert final.startswith(
        f":no_entry_sign: <@{USER}> Backfill #{sub.backfill_id} was cancelled outside Slack "
        "(e.g. in Supermetrics): "
    )
    # the run in progress when it was cancelled finishes and is counted
    assert "/31 days transferred" in final
    card = env.card(sub)
    assert buttons(card) == []
    assert "CANCELLED" in card_text(card)
