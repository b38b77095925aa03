"""Retry failed days end to end: the FAILED backfill that blocks the retry is closed first.

The DTS API (and the simulator) counts a FAILED backfill as incomplete, so it refuses any
overlapping create; confirming a retry cancels it (allowed from FAILED) and then creates.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.messages import ids
from bot.service.background import attach_recovery
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from bot.store.models import RequestState
from bot.supermetrics.models import BackfillStatus
from bot.tracking.tracker import Tracker
from tests.slack.harness import CHANNEL, REQUESTER, SlackHarness, action_ids, block_text

FAILED_DAYS = [date(2026, 1, 3), date(2026, 1, 4), date(2026, 1, 8)]


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


def _run_until_failed(bot: SlackHarness, tracker: Tracker, request_id: int) -> None:
    for _ in range(200):
        bot.clock.advance(5)
        tracker.run_once()
        if bot.request(request_id).state == RequestState.FAILED:
            return
    raise AssertionError(f"request {request_id} never FAILED: {bot.request(request_id).state}")


def _failed_request(bot: SlackHarness, tracker: Tracker) -> int:
    """Submit 2026-01-01 → 10 with three failing days; track it until it FAILED."""
    bot.sim.fail_dates(456789, FAILED_DAYS, "Connection timeout")
    bot.command("transfer 456789 from 2026-01-01 to 2026-01-10")
    row, _ = bot.posted_card()
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    bot.wait_request(row.id, "SUBMITTED")
    _run_until_failed(bot, tracker, row.id)
    return row.id


def test_retry_closes_the_failed_backfill_then_creates_the_new_ones(
    bot: SlackHarness, tracker: Tracker
) -> None:
    parent_id = _failed_request(bot, tracker)
    parent = bot.request(parent_id)
    [failed] = bot.sim.backfills()
    assert failed.status is BackfillStatus.FAILED and parent.backfill_id == failed.backfill_id

    bot.click(ids.ACTION_RETRY_FAILED_DAYS, str(parent_id), message_ts=parent.message_ts or "")
    bot.wait(
        lambda: next((t for t in bot.ephemeral_texts(REQUESTER) if "2 confirmation" in t), None),
        "the retry summary",
    )
    retries = [r for r in bot.requests() if r.id != parent_id]
    assert [(r.range_start, r.range_end, r.state) for r in retries] == [
        (date(2026, 1, 3), date(2026, 1, 4), "PENDING"),
        (date(2026, 1, 8), date(2026, 1, 8), "PENDING"),
    ]
    for retry in retries:
        card = bot.card(retry.id)
        assert ids.ACTION_CONFIRM in action_ids(card)
        assert f"backfill #{failed.backfill_id}" in block_text(card)
        assert "will be closed (cancelled) when you confirm" in block_text(card)

    first, second = retries
    bot.click(ids.ACTION_CONFIRM, str(first.id), message_ts=first.message_ts or "")
    submitted = bot.wait_request(first.id, "SUBMITTED")
    bot.click(ids.ACTION_CONFIRM, str(second.id), message_ts=second.message_ts or "")
    submitted_too = bot.wait_request(second.id, "SUBMITTED")

    by_id = {b.backfill_id: b for b in bot.sim.backfills()}
    assert by_id[failed.backfill_id].status is BackfillStatus.CANCELLED
    assert (
        by_id[submitted.backfill_id or 0].range_start,
        by_id[submitted.backfill_id or 0].range_end,
    ) == (
        date(2026, 1, 3),
        date(2026, 1, 4),
    )
    assert by_id[submitted_too.backfill_id or 0].range_start == date(2026, 1, 8)
    assert len(by_id) == 3
    assert ("PATCH", f"/v1/teams/1/backfills/{failed.backfill_id}") in bot.sim.calls

    # the parent stays FAILED; its history says the backfill was closed, once
    after = bot.request(parent_id)
    assert (after.state, after.dts_status) == ("FAILED", "CANCELLED")
    closes = [e for e in bot.events(parent_id) if e.kind == "failed_backfill_closed"]
    assert len(closes) == 1
    assert closes[0].payload["retry_request_id"] == first.id
    assert closes[0].needs_announcement and closes[0].announced_at is not None
    tracker.run_once()  # a later flush finds nothing more to say
    thread = bot.fake.thread(CHANNEL, parent.message_ts or "")
    closed_replies = [m for m in thread if "closed it" in m["text"]]
    assert len(closed_replies) == 1
    assert f"Backfill #{failed.backfill_id} had finished with errors" in closed_replies[0]["text"]
    assert f"request #{first.id}" in closed_replies[0]["text"]


def test_cancel_on_a_failed_request_closes_its_backfill(
    bot: SlackHarness, tracker: Tracker
) -> None:
    parent_id = _failed_request(bot, tracker)
    [failed] = bot.sim.backfills()

    bot.command(f"cancel {parent_id}", name="cancel")
    said = str(bot.response_body("cancel").get("text"))
    assert f"Backfill #{failed.backfill_id} (request #{parent_id}) had finished with errors" in said
    assert "dates are free for new backfills" in said
    [closed] = bot.sim.backfills()
    assert closed.status is BackfillStatus.CANCELLED
    assert bot.request(parent_id).state == "FAILED"
    # the thread says so, once (the service's flush; the tracker's finds nothing more)
    tracker.run_once()
    card_ts = bot.request(parent_id).message_ts or ""
    closed_replies = [m for m in bot.fake.thread(CHANNEL, card_ts) if "closed it" in m["text"]]
    assert [m["text"] for m in closed_replies] == [
        f":broom: Backfill #{failed.backfill_id} had finished with errors; <@{REQUESTER.user_id}> "
        "closed it (cancelled) at Supermetrics so its dates are free for new backfills. "
        "Its failed days stay recorded above."
    ]

    # the dates are free: the same range can be backfilled again
    bot.command("transfer 456789 from 2026-01-01 to 2026-01-10", name="again")
    row, _ = bot.posted_card(2)
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    bot.wait_request(row.id, "SUBMITTED")

    bot.command(f"cancel {parent_id}", name="twice")
    said = str(bot.response_body("twice").get("text"))
    assert "already closed" in said
    assert len([e for e in bot.events(parent_id) if e.kind == "failed_backfill_closed"]) == 1
