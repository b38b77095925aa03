"""Each way a submission can fail: what the card and the requester see, what is stored."""

from __future__ import annotations

from typing import Any

from bot.messages import ids
from tests.slack.harness import REQUESTER, SlackHarness, action_ids, block_text


def _card_then_confirm(bot: SlackHarness, text: str = "transfer 456789 for last month") -> int:
    bot.command(text)
    row, _ = bot.posted_card()
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    return row.id


def _wait_reason(bot: SlackHarness, request_id: int, state: str) -> str:
    row = bot.wait(
        lambda: r if (r := bot.request(request_id)).state == state and r.state_reason else None,
        f"request {request_id} {state} with a reason",
    )
    return str(row.state_reason)


def _card_with_retry(bot: SlackHarness, request_id: int) -> dict[str, Any] | None:
    card = bot.card(request_id)
    ids_now = action_ids(card)
    return card if ids_now and ids_now[0] == ids.ACTION_RETRY_SUBMIT else None


def _wait_ephemeral(bot: SlackHarness, needle: str) -> str:
    return str(
        bot.wait(
            lambda: next((t for t in bot.ephemeral_texts(REQUESTER) if needle in t), None),
            f"an ephemeral containing {needle!r}",
        )
    )


def test_no_token_keeps_the_request_pending_and_points_to_setup(
    bot_without_token: SlackHarness,
) -> None:
    bot = bot_without_token
    bot.command("transfer 456789 for last month")
    row, card = bot.posted_card()
    assert "/backfill setup" in block_text(card)  # warned before anyone confirms
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    reason = _wait_reason(bot, row.id, "PENDING")
    assert "/backfill setup" in reason
    assert "/backfill setup" in _wait_ephemeral(bot, "token")
    assert bot.sim.backfills() == []
    card = bot.wait(
        lambda: c if ids.ACTION_CONFIRM in action_ids(c := bot.card(row.id)) else None,
        "the Confirm button back on the card",
    )
    assert "/backfill setup" in block_text(card)


def test_invalid_token_is_rejected_with_401(bot: SlackHarness) -> None:
    bot.store_token("not-a-valid-token")
    request_id = _card_then_confirm(bot)
    reason = _wait_reason(bot, request_id, "REJECTED")
    assert "401" in reason and "/backfill setup" in reason
    card = bot.wait(
        lambda: c if "Not submitted" in block_text(c := bot.card(request_id)) else None,
        "the card to say it was not submitted",
    )
    assert action_ids(card) == []
    _wait_ephemeral(bot, "401")


def test_missing_write_scope_names_scope_and_permission(bot: SlackHarness) -> None:
    bot.sim.add_token("read-only-token", team_id=1, write=False)
    bot.store_token("read-only-token")
    request_id = _card_then_confirm(bot)
    reason = _wait_reason(bot, request_id, "REJECTED")
    assert "403" in reason
    assert "dwh_transfers_write" in reason and "dwh.transfer.edit" in reason
    assert bot.sim.backfills() == []


def test_unknown_transfer_is_rejected_with_404(bot: SlackHarness) -> None:
    bot.command("transfer 999999 for last month")
    row, card = bot.posted_card()
    assert "not in the transfer list" in block_text(card)
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    reason = _wait_reason(bot, row.id, "REJECTED")
    assert "404" in reason


def test_overlap_is_warned_on_the_card_which_offers_queue_after(
    bot: SlackHarness,
) -> None:
    first = _card_then_confirm(bot)
    running = bot.wait_request(first, "SUBMITTED")

    bot.command("transfer 456789 from January 20 to February 5")
    row, card = bot.posted_card(2)
    warning = block_text(card)
    assert f"overlaps backfill #{running.backfill_id}" in warning and "CREATED" in warning
    # Supermetrics would refuse it now: the card offers to wait, or to cancel the other
    assert action_ids(card) == [
        ids.ACTION_CONFIRM,
        ids.ACTION_PLAN_CANCEL_BLOCKERS,
        ids.ACTION_DISMISS,
    ]
    assert f"Queue after #{running.backfill_id}" in warning

    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    bot.wait_request(row.id, "QUEUED", timeout=60)  # a loaded machine
    assert len(bot.sim.backfills()) == 1  # it waits for the running one


def test_cancel_the_overlapping_backfill_and_submit(bot: SlackHarness) -> None:
    first = _card_then_confirm(bot)
    running = bot.wait_request(first, "SUBMITTED")
    bot.command("transfer 456789 from January 20 to February 5")
    row, _card = bot.posted_card(2)
    bot.click(ids.ACTION_PLAN_CANCEL_BLOCKERS, str(row.id), message_ts=row.message_ts or "")
    bot.wait(lambda: len(bot.sim.backfills()) == 2, "the create after the cancel", timeout=60)
    old, new = sorted(bot.sim.backfills(), key=lambda b: b.backfill_id)
    assert old.backfill_id == running.backfill_id and old.status.value == "CANCELLED"
    assert (new.range_start.isoformat(), new.range_end.isoformat()) == (
        "2026-01-20",
        "2026-02-05",
    )


def test_rate_limited_keeps_it_pending_with_a_retry_button(bot: SlackHarness) -> None:
    bot.command("transfer 456789 for last month")
    row, _ = bot.posted_card()
    bot.sim.inject("429", retry_after=120)
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    reason = _wait_reason(bot, row.id, "PENDING")
    assert "429" in reason and "120 s" in reason and "UTC" in reason
    bot.wait(lambda: _card_with_retry(bot, row.id), "the card's Retry button")
    assert bot.sim.backfills() == []


def test_server_error_offers_retry_and_the_retry_submits_once(bot: SlackHarness) -> None:
    bot.command("transfer 456789 for last month")
    row, _ = bot.posted_card()
    bot.sim.inject("500")
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    reason = _wait_reason(bot, row.id, "PENDING")
    assert "internal error (500)" in reason
    card = bot.wait(lambda: _card_with_retry(bot, row.id), "the card's Retry button")
    assert "500" in block_text(card)

    bot.click(ids.ACTION_RETRY_SUBMIT, str(row.id), message_ts=row.message_ts or "")
    done = bot.wait_request(row.id, "SUBMITTED")
    assert [b.backfill_id for b in bot.sim.backfills()] == [done.backfill_id]
    assert done.state_reason is None


def test_timeout_after_the_backfill_was_created_does_not_submit_twice(
    bot_with_short_dts_timeout: SlackHarness,
) -> None:
    bot = bot_with_short_dts_timeout
    bot.command("transfer 456789 for last month")
    row, _ = bot.posted_card()
    bot.sim.inject("delay", delay=2.5)  # the create takes effect; its answer is late
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    done = bot.wait_request(row.id, "SUBMITTED")
    assert [b.backfill_id for b in bot.sim.backfills()] == [done.backfill_id]


def _failed_then_landed(bot: SlackHarness) -> tuple[int, int]:
    """A create answered 500 (nothing found by its look-up) that then lands anyway."""
    bot.command("transfer 456789 for last month")
    row, _ = bot.posted_card()
    bot.sim.inject("500")
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    _wait_reason(bot, row.id, "PENDING")
    bot.wait(lambda: _card_with_retry(bot, row.id), "the card's Retry button")
    assert bot.sim.backfills() == []
    # the create was only late: Supermetrics makes the backfill after the look-up
    landed = bot.sim.create(456789, row.range_start, row.range_end)
    return row.id, landed.backfill_id


def test_retry_after_a_create_that_landed_late_adopts_it_instead_of_a_second(
    bot: SlackHarness,
) -> None:
    request_id, landed = _failed_then_landed(bot)
    row = bot.request(request_id)
    bot.click(ids.ACTION_RETRY_SUBMIT, str(request_id), message_ts=row.message_ts or "")
    done = bot.wait_request(request_id, "SUBMITTED")
    assert done.backfill_id == landed
    assert [b.backfill_id for b in bot.sim.backfills()] == [landed]


def test_a_create_that_landed_late_is_tracked_without_anyone_pressing_retry(
    bot: SlackHarness,
) -> None:
    from datetime import timedelta

    request_id, landed = _failed_then_landed(bot)
    service = bot.wsgi.bot.listeners.service
    assert service.recover_stuck_submissions() == 0  # not due yet
    bot.clock.advance(timedelta(seconds=bot.settings.submit_recovery_seconds + 1))
    assert service.recover_stuck_submissions() == 1
    done = bot.wait_request(request_id, "SUBMITTED")
    assert done.backfill_id == landed
    assert [b.backfill_id for b in bot.sim.backfills()] == [landed]
    # looked at once: a request still pending later is not looked up again
    assert bot.request(request_id).next_poll_at is not None  # now polled as a backfill
