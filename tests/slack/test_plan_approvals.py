"""Approvals weigh a plan as a whole, by its total days: two 31-day steps (62 days) wait
for an approver; once approved, both are created; two 7-day steps (14 days) do not wait."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.messages import ids
from tests.slack.harness import OTHER, REQUESTER, SlackHarness, action_ids, harness
from tests.slack.test_approvals import APPROVER, set_policy


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


def test_a_plan_over_the_limit_in_total_waits_for_one_approval(bot: SlackHarness) -> None:
    # each step is 31 days (not over the limit alone); the plan is 62
    bot.command("transfers 456789 and 456790 for last month")
    plan, _card = bot.posted_card()
    assert plan.days == 62
    bot.click(ids.ACTION_CONFIRM, str(plan.id), message_ts=plan.message_ts or "")
    bot.wait_request(plan.id, "AWAITING_APPROVAL", timeout=60)
    bot.wait(
        lambda: ids.ACTION_APPROVE in action_ids(bot.card(plan.id)), "the approval card", timeout=60
    )
    assert bot.sim.backfills() == []
    # the requester cannot approve their own plan; another person who is no approver neither
    for user in (REQUESTER, OTHER):
        bot.click(ids.ACTION_APPROVE, str(plan.id), user=user, message_ts=plan.message_ts or "")
    bot.click(ids.ACTION_APPROVE, str(plan.id), user=APPROVER, message_ts=plan.message_ts or "")
    bot.wait(lambda: len(bot.sim.backfills()) == 2, "both steps created", timeout=60)
    approved = bot.wait_request(plan.id, "QUEUED", timeout=60)
    assert approved.approved_by == APPROVER.user_id
    assert sorted(b.transfer_id for b in bot.sim.backfills()) == [456789, 456790]
    bot.wait(
        lambda: ids.ACTION_APPROVE not in action_ids(bot.card(plan.id)),
        "the plan's card without Approve",
        timeout=60,
    )


def test_a_plan_under_the_limit_in_total_starts_at_once(bot: SlackHarness) -> None:
    bot.command("transfers 456789 and 456790 for last week")
    plan, _card = bot.posted_card()
    assert plan.days == 14
    bot.click(ids.ACTION_CONFIRM, str(plan.id), message_ts=plan.message_ts or "")
    bot.wait(lambda: len(bot.sim.backfills()) == 2, "both steps created", timeout=60)
    assert bot.request(plan.id).approved_by is None
