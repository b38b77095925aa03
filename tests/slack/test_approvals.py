"""Two-person approval over signed HTTP with the fake Slack: the policy set from the shell,
Confirm holds a long request for approval, only an approver (never the requester) approves,
10 concurrent Approve clicks make one backfill, Reject asks why, short requests skip it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.cli import policy as policy_cli
from bot.messages import ids
from bot.messages.approvals import REASON_ACTION
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from bot.tracking.tracker import Tracker
from tests.slack.harness import (
    CHANNEL,
    OTHER,
    REQUESTER,
    SlackHarness,
    action_ids,
    block_text,
    harness,
)
from tests.support.fake_slack import FakeUser

APPROVER = FakeUser("U0APPROVER", name="appro", tz="UTC")
NINETY_DAYS = "transfer 456789 from 2025-11-01 to 2026-01-29"


def set_policy(h: SlackHarness, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """``python -m bot policy …`` against the harness's database; returns what it printed."""
    monkeypatch.setenv("DATABASE_URL", h.settings.resolved_database_url())
    monkeypatch.setenv("BOT_ENCRYPTION_KEY", h.key)
    return_code = policy_cli.main(list(args))
    assert return_code == 0
    return ""


@pytest.fixture
def bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackHarness]:
    with harness(tmp_path) as h:
        h.fake.add_user(APPROVER)
        set_policy(
            h,
            monkeypatch,
            "set",
            "--slack-team",
            "T0000FAKE",
            "--approval-over-days",
            "31",
            "--approver",
            APPROVER.user_id,
        )
        yield h
        assert h.fake.violations == []


def _confirmed(bot: SlackHarness, text: str = NINETY_DAYS, count: int = 1) -> Any:
    bot.command(text)
    row, _ = bot.posted_card(count)
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    return row


def _refusals(bot: SlackHarness, user: FakeUser, count: int = 1) -> list[str]:
    return bot.wait(
        lambda: texts if len(texts := bot.ephemeral_texts(user)) >= count else None,
        f"{count} answer(s) to {user.user_id}",
    )


def test_long_request_waits_for_an_approver_and_one_approve_click_of_ten_submits(
    bot: SlackHarness,
) -> None:
    row = _confirmed(bot)
    held = bot.wait_request(row.id, "AWAITING_APPROVAL")
    assert held.days == 90 and held.confirmed_by == REQUESTER.user_id
    assert bot.sim.backfills() == []  # nothing created
    card = bot.wait(
        lambda: c if ids.ACTION_APPROVE in action_ids(c := bot.card(row.id)) else None,
        "the card to show Approve / Reject",
    )
    assert action_ids(card) == [ids.ACTION_APPROVE, ids.ACTION_REJECT]
    assert "Awaiting approval" in block_text(card) and "over 31 days" in block_text(card)
    # the approver is mentioned in the thread and told in a DM
    thread = bot.wait(lambda: bot.fake.thread(CHANNEL, row.message_ts or ""), "the mention")
    assert f"<@{APPROVER.user_id}>" in thread[0]["text"]
    [dm] = bot.wait(lambda: bot.fake.messages(APPROVER.user_id), "the approver's DM")
    assert f"request #{row.id}" in dm["text"]
    assert _refusals(bot, REQUESTER) == [
        f"Request #{row.id} is confirmed and now waits for approval: <@{APPROVER.user_id}> "
        "can approve backfills over 31 days."
    ]

    # the requester may not approve their own request; nor may someone who is no approver
    bot.click(ids.ACTION_APPROVE, str(row.id), message_ts=row.message_ts or "")
    mine = _refusals(bot, REQUESTER, 2)[-1]
    assert "someone else must approve it" in mine and f"<@{APPROVER.user_id}>" in mine
    bot.click(ids.ACTION_APPROVE, str(row.id), user=OTHER, message_ts=row.message_ts or "")
    [theirs] = _refusals(bot, OTHER)
    assert theirs == (
        f"Only <@{APPROVER.user_id}> can approve backfills over 31 days. Nothing was changed."
    )
    assert bot.request(row.id).state == "AWAITING_APPROVAL" and bot.sim.backfills() == []

    start = threading.Barrier(10)
    acks: list[int] = []

    def approve() -> None:
        with httpx.Client(timeout=20.0) as client:
            start.wait(timeout=10)
            response = bot.click(
                ids.ACTION_APPROVE,
                str(row.id),
                user=APPROVER,
                message_ts=row.message_ts or "",
                client=client,
            )
            acks.append(response.status_code)

    threads = [threading.Thread(target=approve) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert acks == [200] * 10
    done = bot.wait_request(row.id, "SUBMITTED")
    [backfill] = bot.sim.backfills()
    assert done.backfill_id == backfill.backfill_id and done.approved_by == APPROVER.user_id
    moves = [(e.from_state, e.to_state, e.actor) for e in bot.events(row.id) if e.kind == "state"]
    assert moves[:3] == [
        ("PENDING", "AWAITING_APPROVAL", REQUESTER.user_id),
        ("AWAITING_APPROVAL", "SUBMITTING", APPROVER.user_id),
        ("SUBMITTING", "SUBMITTED", APPROVER.user_id),
    ]
    card = bot.wait(
        lambda: c if "Approved by" in block_text(c := bot.card(row.id)) else None,
        "the submitted card naming the approver",
    )
    assert f"Approved by <@{APPROVER.user_id}>" in block_text(card)
    # the approver's other nine clicks were quiet (no "already approved" noise)
    assert bot.ephemeral_texts(APPROVER) == []


def test_reject_asks_why_records_it_and_creates_nothing(bot: SlackHarness) -> None:
    row = _confirmed(bot)
    bot.wait_request(row.id, "AWAITING_APPROVAL")
    assert "now waits for approval" in _refusals(bot, REQUESTER)[0]
    # the requester's Reject is refused before any form opens
    bot.click(ids.ACTION_REJECT, str(row.id), message_ts=row.message_ts or "")
    refusal = _refusals(bot, REQUESTER, 2)[-1]
    assert "someone else must reject it" in refusal
    assert bot.fake.views() == []

    bot.click(ids.ACTION_REJECT, str(row.id), user=APPROVER, message_ts=row.message_ts or "")
    [view] = bot.wait(bot.fake.views, "the reason modal")
    assert view["callback_id"] == ids.VIEW_REJECT
    empty = bot.submit_view(
        ids.VIEW_REJECT,
        private_metadata=view["private_metadata"],
        values={ids.BLOCK_REJECT_REASON: {REASON_ACTION: {"type": "plain_text_input"}}},
        user=APPROVER,
    )
    assert empty.json()["response_action"] == "errors"
    ack = bot.submit_view(
        ids.VIEW_REJECT,
        private_metadata=view["private_metadata"],
        values={
            ids.BLOCK_REJECT_REASON: {
                REASON_ACTION: {"type": "plain_text_input", "value": "90 days <is> too much"}
            }
        },
        user=APPROVER,
    )
    assert ack.status_code == 200 and not ack.content
    rejected = bot.wait_request(row.id, "REJECTED")
    assert (
        rejected.state_reason == f"Rejected by <@{APPROVER.user_id}>: 90 days &lt;is&gt; too much"
    )
    assert bot.sim.backfills() == []
    card = bot.wait(
        lambda: c if "Not approved" in block_text(c := bot.card(row.id)) else None,
        "the closed card",
    )
    assert action_ids(card) == [] and "90 days &lt;is&gt; too much" in block_text(card)
    [event] = [e for e in bot.events(row.id) if e.to_state == "REJECTED"]
    assert event.payload["rejection"] == "90 days <is> too much"
    assert event.actor == APPROVER.user_id
    # a late Approve finds it closed
    assert _refusals(bot, APPROVER) == [f"Request #{row.id} is rejected; nothing was submitted."]
    bot.click(ids.ACTION_APPROVE, str(row.id), user=APPROVER, message_ts=row.message_ts or "")
    late = _refusals(bot, APPROVER, 2)[-1]
    assert "rejected, so it can't be approved any more" in late


def test_a_short_request_skips_approval(bot: SlackHarness) -> None:
    row = _confirmed(bot, "transfer 456789 last 7 days")
    done = bot.wait_request(row.id, "SUBMITTED")
    assert done.days == 7 and done.approved_by is None
    assert len(bot.sim.backfills()) == 1
    assert bot.fake.messages(APPROVER.user_id) == []


def test_unapproved_requests_expire_with_a_message(bot: SlackHarness) -> None:
    row = _confirmed(bot)
    held = bot.wait_request(row.id, "AWAITING_APPROVAL")
    assert held.expires_at == bot.clock.now() + timedelta(days=3)
    service = bot.wsgi.bot.listeners.service
    bot.clock.advance(timedelta(days=2))
    assert service.expire_due() == 0
    bot.clock.advance(timedelta(days=1, seconds=1))
    assert service.expire_due() == 1
    expired = bot.request(row.id)
    assert expired.state == "EXPIRED" and expired.state_reason == (
        "The request was not approved in time."
    )
    text = block_text(bot.card(row.id))
    assert "nobody approved it within 72 h" in text and action_ids(bot.card(row.id)) == []
    assert bot.sim.backfills() == []


def test_the_trackers_expiry_pass_ends_unapproved_requests(bot: SlackHarness) -> None:
    row = _confirmed(bot)
    bot.wait_request(row.id, "AWAITING_APPROVAL")
    tracker = Tracker(
        settings=bot.settings,
        session_factory=bot.runtime.session_factory,
        dts=bot.runtime.dts,
        vault=bot.runtime.vault,
        notifier=SlackNotifier(build_web_client(bot.settings)),
        clock=bot.clock,
        owner="test-tracker",
    )
    bot.clock.advance(timedelta(days=3, seconds=1))
    tracker.run_once()
    assert bot.request(row.id).state == "EXPIRED"
    card = bot.card(row.id)
    assert "expired before anyone approved it, so nothing was submitted" in block_text(card)
    assert action_ids(card) == [] and bot.sim.backfills() == []


def test_approver_group_resolved_through_usergroups(
    bot: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.fake.add_usergroup("S0LEADS", [OTHER.user_id])
    set_policy(bot, monkeypatch, "clear", "--slack-team", "T0000FAKE", "--what", "approvers")
    set_policy(
        bot,
        monkeypatch,
        "set",
        "--slack-team",
        "T0000FAKE",
        "--approver-group",
        "S0LEADS",
        "--approval-transfer",
        "456789",
        "--approval-over-days",
        "300",
    )
    row = _confirmed(bot, "transfer 456789 last 7 days")
    bot.wait_request(row.id, "AWAITING_APPROVAL")
    bot.click(ids.ACTION_APPROVE, str(row.id), user=APPROVER, message_ts=row.message_ts or "")
    [refusal] = _refusals(bot, APPROVER)
    assert refusal == (
        "Only members of <!subteam^S0LEADS> can approve backfills of transfer #456789. "
        "Nothing was changed."
    )
    # a group member gets the DM; the group is looked up once and then cached
    bot.wait(lambda: bot.fake.messages(OTHER.user_id), "the group member's DM")
    bot.click(ids.ACTION_APPROVE, str(row.id), user=OTHER, message_ts=row.message_ts or "")
    done = bot.wait_request(row.id, "SUBMITTED")
    assert done.approved_by == OTHER.user_id
    assert len(bot.fake.calls_to("usergroups.users.list")) == 1
