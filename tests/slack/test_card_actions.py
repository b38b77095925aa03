"""The card's other buttons: edit dates (modal), cancel before and after submit, access."""

from __future__ import annotations

import json
import threading
from datetime import date
from typing import Any

import httpx

from bot.messages import ids
from bot.messages.modals import END_ACTION, START_ACTION
from tests.slack.harness import (
    ADMIN,
    CHANNEL,
    OTHER,
    REQUESTER,
    SlackHarness,
    action_ids,
    block_text,
)


def _pending(bot: SlackHarness, text: str = "transfer 456789 for last month") -> Any:
    bot.command(text)
    row, _ = bot.posted_card()
    return row


def _dates(start: str, end: str) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        ids.BLOCK_EDIT_START: {START_ACTION: {"type": "datepicker", "selected_date": start}},
        ids.BLOCK_EDIT_END: {END_ACTION: {"type": "datepicker", "selected_date": end}},
    }


def _open_edit(bot: SlackHarness, row: Any) -> dict[str, Any]:
    bot.click(ids.ACTION_EDIT, str(row.id), message_ts=row.message_ts)
    [view] = bot.wait(bot.fake.views, "the edit-dates modal")
    return view


def test_edit_dates_modal_prefilled_then_saved(bot: SlackHarness) -> None:
    row = _pending(bot)
    view = _open_edit(bot, row)
    assert view["callback_id"] == ids.VIEW_EDIT_DATES
    pickers = {
        b["block_id"]: b["element"].get("initial_date")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert pickers == {ids.BLOCK_EDIT_START: "2026-01-01", ids.BLOCK_EDIT_END: "2026-01-31"}

    ack = bot.submit_view(
        ids.VIEW_EDIT_DATES,
        private_metadata=view["private_metadata"],
        values=_dates("2026-01-10", "2026-01-20"),
    )
    assert ack.status_code == 200 and not ack.content  # closes the modal

    edited = bot.wait(
        lambda: r if (r := bot.request(row.id)).range_start == date(2026, 1, 10) else None,
        "the new range stored",
    )
    assert (edited.range_end, edited.days, edited.state) == (date(2026, 1, 20), 11, "PENDING")
    card = bot.wait(
        lambda: c if "2026-01-10 → 2026-01-20" in block_text(c := bot.card(row.id)) else None,
        "the card to show the new range",
    )
    assert "11 daily runs" in block_text(card)
    assert action_ids(card) == [ids.ACTION_CONFIRM, ids.ACTION_EDIT, ids.ACTION_DISMISS]
    assert "edited" in [e.kind for e in bot.events(row.id)]


def test_invalid_dates_are_shown_inline_and_change_nothing(bot: SlackHarness) -> None:
    row = _pending(bot)
    meta = _open_edit(bot, row)["private_metadata"]

    reversed_ack = bot.submit_view(
        ids.VIEW_EDIT_DATES, private_metadata=meta, values=_dates("2026-01-20", "2026-01-10")
    )
    body = reversed_ack.json()
    assert body["response_action"] == "errors"
    assert ids.BLOCK_EDIT_END in body["errors"]

    future_ack = bot.submit_view(
        ids.VIEW_EDIT_DATES, private_metadata=meta, values=_dates("2026-03-01", "2026-03-05")
    )
    assert ids.BLOCK_EDIT_START in future_ack.json()["errors"]

    too_long = bot.submit_view(
        ids.VIEW_EDIT_DATES, private_metadata=meta, values=_dates("2024-01-01", "2026-01-31")
    )
    assert "366" in json.dumps(too_long.json()["errors"])

    stored = bot.request(row.id)
    assert (stored.range_start, stored.range_end, stored.version) == (
        date(2026, 1, 1),
        date(2026, 1, 31),
        row.version,
    )


def test_cancel_before_submit_dismisses_and_says_who(bot: SlackHarness) -> None:
    row = _pending(bot)
    bot.click(ids.ACTION_DISMISS, str(row.id), message_ts=row.message_ts)
    bot.wait_request(row.id, "DISMISSED")
    card = bot.wait(
        lambda: c if "Cancelled by" in block_text(c := bot.card(row.id)) else None,
        "the card to say who cancelled",
    )
    assert f"<@{REQUESTER.user_id}>" in block_text(card) and action_ids(card) == []
    assert bot.sim.backfills() == []


def test_cancel_after_submit_cancels_the_backfill_and_says_so_in_the_thread(
    bot: SlackHarness,
) -> None:
    row = _pending(bot)
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts)
    submitted = bot.wait_request(row.id, "SUBMITTED")
    bot.wait(lambda: bot.fake.thread(CHANNEL, row.message_ts), "the first thread reply")

    bot.click(ids.ACTION_CANCEL_BACKFILL, str(row.id), message_ts=row.message_ts)
    cancelled = bot.wait_request(row.id, "CANCELLED")
    assert cancelled.finished_at is not None
    [backfill] = bot.sim.backfills()
    assert backfill.backfill_id == submitted.backfill_id and backfill.status == "CANCELLED"
    replies = bot.wait(
        lambda: [m for m in bot.fake.thread(CHANNEL, row.message_ts) if "ancel" in m["text"]],
        "a thread reply about the cancel",
    )
    assert replies
    card = bot.card(row.id)
    assert ids.ACTION_CANCEL_BACKFILL not in action_ids(card)


def test_someone_else_pressing_confirm_changes_nothing(bot: SlackHarness) -> None:
    row = _pending(bot)
    bot.click(ids.ACTION_CONFIRM, str(row.id), user=OTHER, message_ts=row.message_ts)
    bot.click(ids.ACTION_DISMISS, str(row.id), user=OTHER, message_ts=row.message_ts)
    said = bot.wait(
        lambda: t if len(t := bot.ephemeral_texts(OTHER)) == 2 else None,
        "two explanations to the other user",
    )
    assert all(f"Only <@{REQUESTER.user_id}>" in text for text in said)
    stored = bot.request(row.id)
    assert (stored.state, stored.version) == ("PENDING", row.version)
    assert bot.sim.backfills() == []
    assert [e.kind for e in bot.events(row.id)] == ["created"]


def test_a_workspace_admin_may_confirm_someone_elses_request(bot: SlackHarness) -> None:
    row = _pending(bot)
    bot.click(ids.ACTION_CONFIRM, str(row.id), user=ADMIN, message_ts=row.message_ts)
    done = bot.wait_request(row.id, "SUBMITTED")
    assert done.confirmed_by == ADMIN.user_id


def test_twenty_concurrent_confirm_clicks_create_one_backfill(bot: SlackHarness) -> None:
    row = _pending(bot)
    start = threading.Barrier(20)
    acks: list[int] = []

    def click() -> None:
        with httpx.Client(timeout=20.0) as client:
            start.wait(timeout=10)
            response = bot.click(
                ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts, client=client
            )
            acks.append(response.status_code)

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert acks == [200] * 20
    bot.wait_request(row.id, "SUBMITTED")
    # every click's lazy work has run once the 20 clicks are recorded as events or no-ops;
    # the claim is the single PENDING -> SUBMITTING transition
    transitions = [e for e in bot.events(row.id) if e.to_state == "SUBMITTING"]
    assert len(transitions) == 1
    assert len(bot.sim.backfills()) == 1
    assert sum(1 for method, _ in bot.sim.calls if method == "POST") == 1


def test_not_in_channel_explains_how_to_invite(bot: SlackHarness) -> None:
    bot.fake.bot_not_in("C0PRIVATE")
    bot.command("transfer 456789 for last month", channel="C0PRIVATE")
    text = bot.wait(
        lambda: next((t for t in bot.response_texts() if "/invite" in t), None),
        "the invite explanation",
    )
    assert "/invite @Backfill Bot" in text
    [row] = bot.requests()
    assert row.state == "DISMISSED" and row.message_ts is None
