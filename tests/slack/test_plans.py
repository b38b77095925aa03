"""Plans end to end over signed HTTP: several transfers on one card, a long range in
chunks run one after another, steps queued after a running backfill."""

from __future__ import annotations

from datetime import date

import pytest

from bot.messages import ids
from bot.service.background import attach_recovery
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from bot.store.models import RequestState
from bot.tracking.tracker import Tracker
from tests.slack.harness import CHANNEL, REQUESTER, SlackHarness, action_ids, block_text


@pytest.fixture
def tracker(bot: SlackHarness) -> Tracker:
    client = build_web_client(bot.settings)
    return attach_recovery(
        Tracker(
            settings=bot.settings,
            session_factory=bot.runtime.session_factory,
            dts=bot.runtime.dts,
            vault=bot.runtime.vault,
            notifier=SlackNotifier(client),
            clock=bot.clock,
            owner="test-tracker",
        )
    )


def _run_until(bot: SlackHarness, tracker: Tracker, done: object, what: str) -> None:
    for _ in range(400):
        bot.clock.advance(30)
        tracker.run_once()
        if done():  # type: ignore[operator]
            return
    raise AssertionError(f"never: {what}")


def test_three_transfers_one_card_one_confirm_three_creates(
    bot: SlackHarness, tracker: Tracker
) -> None:
    bot.command("transfers 456789, 456790 and 456791 for last week")
    plan, card = bot.posted_card()
    text = block_text(card)
    assert "3 backfills, run in parallel" in text
    for label in (
        "Facebook Ads - daily (#456789)",
        "Google Ads (#456790)",
        "LinkedIn Ads (#456791)",
    ):
        assert label in text
    assert action_ids(card) == [ids.ACTION_CONFIRM, ids.ACTION_DISMISS]
    steps = [row.id for row in bot.requests()[1:]]
    removes = [b["accessory"]["action_id"] for b in card["blocks"] if "accessory" in b]
    assert removes == [f"{ids.ACTION_PLAN_DROP_STEP}:{step}" for step in steps]
    assert bot.sim.backfills() == []

    bot.click(ids.ACTION_CONFIRM, str(plan.id), message_ts=plan.message_ts or "")
    bot.wait(lambda: len(bot.sim.backfills()) == 3, "three creates", timeout=60)
    # last week in Helsinki on Tuesday 10 February 2026
    assert sorted((b.transfer_id, b.range_start, b.range_end) for b in bot.sim.backfills()) == [
        (456789, date(2026, 2, 2), date(2026, 2, 8)),
        (456790, date(2026, 2, 2), date(2026, 2, 8)),
        (456791, date(2026, 2, 2), date(2026, 2, 8)),
    ]
    # a second click changes nothing
    bot.click(ids.ACTION_CONFIRM, str(plan.id), message_ts=plan.message_ts or "")
    card = bot.card(plan.id)
    assert action_ids(card) == [ids.ACTION_CANCEL_BACKFILL]

    _run_until(bot, tracker, lambda: bot.request(plan.id).state.is_final, "the plan to finish")
    assert len(bot.sim.backfills()) == 3
    thread = bot.fake.thread(CHANNEL, plan.message_ts or "")
    texts = [m["text"] for m in thread]
    steps = [t for t in texts if t.startswith("Step ")]
    assert len(steps) == 9, texts  # each step: submitted, running, completed; by its name
    assert not any("<@" in t for t in steps)
    # the requester is mentioned once, when the whole plan is done
    ends = [t for t in texts if f"<@{REQUESTER.user_id}> plan" in t]
    assert len(ends) == 1 and "completed" in ends[0], texts
    # LinkedIn Ads fails on the 10th and 20th: not in this week, so all complete
    assert bot.request(plan.id).state == RequestState.COMPLETED
    assert "3/3 backfills done" in block_text(bot.card(plan.id))


def test_731_days_two_chunks_the_second_after_the_first(
    bot: SlackHarness, tracker: Tracker
) -> None:
    bot.command("transfer 456789 from 2024-01-01 to 2025-12-31")
    plan, card = bot.posted_card()
    assert "2 backfills of ≤ 366 days, run one after another" in block_text(card)
    bot.click(ids.ACTION_CONFIRM, str(plan.id), message_ts=plan.message_ts or "")
    bot.wait(lambda: len(bot.sim.backfills()) == 1, "the first chunk's create", timeout=60)
    [first] = bot.sim.backfills()
    # newest first
    assert (first.range_start, first.range_end) == (date(2024, 12, 31), date(2025, 12, 31))
    for _ in range(3):
        tracker.run_once()
    assert len(bot.sim.backfills()) == 1  # not before the first completes

    _run_until(bot, tracker, lambda: len(bot.sim.backfills()) == 2, "the second chunk's create")
    first_now = next(b for b in bot.sim.backfills() if b.backfill_id == first.backfill_id)
    assert first_now.status.is_final
    second = next(b for b in bot.sim.backfills() if b.backfill_id != first.backfill_id)
    assert (second.range_start, second.range_end) == (date(2024, 1, 1), date(2024, 12, 30))
    _run_until(bot, tracker, lambda: bot.request(plan.id).state.is_final, "the plan's end")
    assert len(bot.sim.backfills()) == 2


def test_overlap_queue_after_created_when_the_blocker_completes(
    bot: SlackHarness, tracker: Tracker
) -> None:
    # a backfill started outside Slack, still running over the same dates
    blocker = bot.sim.create(
        team_id=1, transfer_id=456789, range_start=date(2026, 1, 20), range_end=date(2026, 2, 5)
    )
    bot.command("transfers 456789 and 456790 for last month")
    plan, card = bot.posted_card()
    assert action_ids(card) == [
        ids.ACTION_CONFIRM,
        ids.ACTION_PLAN_CANCEL_BLOCKERS,
        ids.ACTION_DISMISS,
    ]
    assert f"Queue after #{blocker.backfill_id}" in block_text(card)

    bot.click(ids.ACTION_CONFIRM, str(plan.id), message_ts=plan.message_ts or "")
    bot.wait(lambda: len(bot.sim.backfills()) == 2, "the create of the unblocked step", timeout=60)
    assert {b.transfer_id for b in bot.sim.backfills()} == {456789, 456790}  # blocker + 456790
    for _ in range(3):
        tracker.run_once()
    assert len(bot.sim.backfills()) == 2  # the queued step waits for the blocker

    def created() -> bool:
        return len(bot.sim.backfills()) == 3

    _run_until(bot, tracker, created, "the queued step's create")
    blocker_now = next(b for b in bot.sim.backfills() if b.backfill_id == blocker.backfill_id)
    assert blocker_now.status.is_final
    queued = max(bot.sim.backfills(), key=lambda b: b.backfill_id)
    assert (queued.transfer_id, queued.range_start, queued.range_end) == (
        456789,
        date(2026, 1, 1),
        date(2026, 1, 31),
    )


def test_remove_a_step_before_confirming(bot: SlackHarness, tracker: Tracker) -> None:
    bot.command("transfers 456789, 456790 and 456791 for last week")
    plan, _card = bot.posted_card()
    google = bot.requests()[2]  # the plan, then its steps in order
    assert google.transfer_id == 456790
    bot.click(
        f"{ids.ACTION_PLAN_DROP_STEP}:{google.id}",
        f"{plan.id}:{google.id}",
        message_ts=plan.message_ts or "",
    )
    bot.wait_request(google.id, "DISMISSED", timeout=60)
    card = bot.wait(
        lambda: c if "2 backfills" in block_text(c := bot.card(plan.id)) else None,
        "the card without the removed step",
        timeout=60,
    )
    assert "~2. Google Ads (#456790)" in block_text(card)
    assert bot.request(plan.id).days == 14
    bot.click(ids.ACTION_CONFIRM, str(plan.id), message_ts=plan.message_ts or "")
    bot.wait(lambda: len(bot.sim.backfills()) == 2, "two creates", timeout=60)
    _run_until(bot, tracker, lambda: bot.request(plan.id).state.is_final, "the plan's end")
    assert sorted(b.transfer_id for b in bot.sim.backfills()) == [456789, 456791]
    assert bot.request(plan.id).state == RequestState.COMPLETED


def test_a_step_reply_whose_answer_was_lost_is_posted_once(bot: SlackHarness) -> None:
    """Issue 17 (6) for plans: a step's thread reply that reached Slack but answered after
    the client's timeout is found in the plan's thread by its marker, not posted again."""
    tracker = attach_recovery(
        Tracker(
            settings=bot.settings,
            session_factory=bot.runtime.session_factory,
            dts=bot.runtime.dts,
            vault=bot.runtime.vault,
            notifier=SlackNotifier(
                build_web_client(bot.settings.with_overrides(slack_timeout_seconds=1))
            ),
            clock=bot.clock,
            owner="test-tracker",
        )
    )
    bot.command("transfers 456789 and 456790 for last week")
    plan, _card = bot.posted_card()
    bot.click(ids.ACTION_CONFIRM, str(plan.id), message_ts=plan.message_ts or "")
    bot.wait(lambda: len(bot.sim.backfills()) == 2, "two creates", timeout=60)

    def step_replies() -> list[str]:
        thread = bot.fake.thread(CHANNEL, plan.message_ts or "")
        return [m["text"] for m in thread if m["text"].startswith("Step ")]

    # both "submitted" replies are the service's, posted after the creates
    bot.wait(lambda: len(step_replies()) == 2, "both steps' submitted replies", timeout=60)
    # the next reply lands in the thread, but its answer comes after the client's timeout
    bot.fake.answer_late_next("chat.postMessage", 2.5)
    _run_until(bot, tracker, lambda: bot.request(plan.id).state.is_final, "the plan's end")
    replies = step_replies()
    assert len(replies) == 6 and len(set(replies)) == 6, replies
    assert bot.fake.calls_to("conversations.replies"), "the thread was read back first"
    marked = [
        m.get("metadata", {}).get("event_payload", {}).get("marker", "")
        for m in bot.fake.thread(CHANNEL, plan.message_ts or "")
        if m["text"].startswith("Step ")
    ]
    assert all(marker.startswith("request-") for marker in marked), marked
