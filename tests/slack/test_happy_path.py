"""From `/backfill ...` to the first thread reply, over real HTTP."""

from __future__ import annotations

from datetime import date

from bot.messages import ids
from tests.slack.harness import CHANNEL, REQUESTER, SlackHarness, action_ids, block_text


def test_command_to_confirmation_card(bot: SlackHarness) -> None:
    ack, _ = bot.command("transfer 456789 for last month")
    assert ack.status_code == 200

    row, card = bot.posted_card()
    assert row.state == "PENDING"
    assert (row.transfer_id, row.transfer_name) == (456789, "Facebook Ads - daily")
    assert (row.range_start, row.range_end, row.days) == (date(2026, 1, 1), date(2026, 1, 31), 31)
    assert row.user_id == REQUESTER.user_id and row.user_tz == "Europe/Helsinki"
    assert row.message_channel == CHANNEL
    text = block_text(card)
    assert "Facebook Ads - daily (#456789)" in text
    assert "2026-01-01 → 2026-01-31" in text and "31 daily runs" in text
    assert action_ids(card) == [ids.ACTION_CONFIRM, ids.ACTION_EDIT, ids.ACTION_DISMISS]
    # the card is the answer: nothing extra is said privately
    assert bot.fake.responses == []
    assert [c.args["user"] for c in bot.fake.calls_to("users.info")] == [REQUESTER.user_id]


def test_confirm_submits_once_and_posts_the_first_thread_reply(bot: SlackHarness) -> None:
    bot.command("transfer 456789 for last month")
    row, _ = bot.posted_card()

    ack = bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    assert ack.status_code == 200

    done = bot.wait_request(row.id, "SUBMITTED")
    [backfill] = bot.sim.backfills()
    assert done.backfill_id == backfill.backfill_id
    assert (backfill.transfer_id, backfill.range_start, backfill.range_end) == (
        456789,
        date(2026, 1, 1),
        date(2026, 1, 31),
    )
    assert done.confirmed_by == REQUESTER.user_id and done.runs_total == 31
    assert done.next_poll_at is not None and done.submitted_at == bot.clock.now()

    thread = bot.wait(
        lambda: bot.fake.thread(CHANNEL, row.message_ts or ""), "the first thread reply"
    )
    assert f"#{backfill.backfill_id}" in thread[0]["text"]
    card = bot.card(row.id)
    assert action_ids(card) == [ids.ACTION_CANCEL_BACKFILL]
    assert f"backfill #{backfill.backfill_id}" in block_text(card)
    # users.info is cached: one lookup for the command and the click together
    assert len(bot.fake.calls_to("users.info")) == 1
    kinds = [(e.kind, e.to_state) for e in bot.events(row.id)]
    assert ("state", "SUBMITTING") in kinds and ("state", "SUBMITTED") in kinds
