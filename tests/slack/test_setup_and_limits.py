"""Setup modal (admins, inline errors, token stored encrypted and never sent to Slack),
allow-lists, retrying failed days, paused tracking, and Block Kit limits under long input.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from bot.messages import ids
from bot.messages.modals import TEAM_ACTION, TOKEN_ACTION
from bot.store.db import session_scope
from bot.store.models import RequestState, Workspace
from bot.store.queries import create_request, transition, update_request
from tests.slack.harness import (
    ADMIN,
    CHANNEL,
    OTHER,
    REQUESTER,
    TEAM,
    SlackHarness,
    action_ids,
    block_text,
)
from tests.support.block_kit_limits import check_message, check_view

NEW_TOKEN = "sm-new-secret-token-123"


def _setup_values(team: str, token: str) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        ids.BLOCK_SETUP_TEAM: {TEAM_ACTION: {"type": "plain_text_input", "value": team}},
        ids.BLOCK_SETUP_TOKEN: {TOKEN_ACTION: {"type": "plain_text_input", "value": token}},
    }


def _everything_sent_to_slack(bot: SlackHarness) -> str:
    calls = [json.dumps(c.args) for c in bot.fake.calls]
    posts = [json.dumps(p.body) for p in bot.fake.responses]
    return "\n".join(calls + posts)


def test_setup_is_for_admins_only(bot: SlackHarness) -> None:
    bot.command("setup", user=OTHER)
    text = bot.wait(bot.response_texts, "the refusal")[0]
    assert "Only a workspace admin" in text
    assert bot.fake.calls_to("views.open") == []


def test_setup_checks_the_token_inline_then_stores_it_encrypted(bot: SlackHarness) -> None:
    bot.sim.add_team(7, token=NEW_TOKEN)
    bot.command("setup", user=ADMIN)
    [view] = bot.wait(bot.fake.views, "the setup modal")
    assert view["callback_id"] == ids.VIEW_SETUP

    empty = bot.submit_view(
        ids.VIEW_SETUP,
        private_metadata=view["private_metadata"],
        values=_setup_values("seven", ""),
        user=ADMIN,
    )
    assert set(empty.json()["errors"]) == {ids.BLOCK_SETUP_TEAM, ids.BLOCK_SETUP_TOKEN}

    wrong = bot.submit_view(
        ids.VIEW_SETUP,
        private_metadata=view["private_metadata"],
        values=_setup_values("7", "wrong-token"),
        user=ADMIN,
    )
    errors = wrong.json()["errors"]
    assert "401" in errors[ids.BLOCK_SETUP_TOKEN]

    good = bot.submit_view(
        ids.VIEW_SETUP,
        private_metadata=view["private_metadata"],
        values=_setup_values("7", NEW_TOKEN),
        user=ADMIN,
    )
    answer = good.json()
    assert answer["response_action"] == "update"
    assert "Connected to Supermetrics team 7" in json.dumps(answer["view"])
    assert check_view(answer["view"]) == []

    with session_scope(bot.runtime.session_factory) as session:
        workspace = session.get(Workspace, TEAM)
        assert workspace is not None and workspace.supermetrics_team_id == 7
        ciphertext = workspace.token_ciphertext
        assert workspace.token_set_by == ADMIN.user_id
    assert ciphertext and NEW_TOKEN.encode() not in ciphertext
    assert bot.runtime.vault.decrypt(ciphertext) == NEW_TOKEN
    assert NEW_TOKEN not in _everything_sent_to_slack(bot)
    assert NEW_TOKEN not in good.text


def test_allow_list_refuses_people_outside_it(bot: SlackHarness) -> None:
    bot.configure(allowed_users=[REQUESTER.user_id])
    bot.command("transfer 456789 for last month", user=OTHER)
    text = bot.wait(bot.response_texts, "the refusal")[0]
    assert "list of people" in text
    assert bot.requests() == []

    bot.configure(allowed_channels=["C0BACKFILLS"])
    bot.command("transfer 456789 for last month", name="in-general")
    text = bot.wait(lambda: bot.response_texts("in-general"), "the channel refusal")[0]
    assert "<#C0BACKFILLS>" in text
    assert bot.requests() == []


def _finished_with_failures(bot: SlackHarness, failed: list[date], error: str) -> int:
    """A request stored as if the tracker had seen its backfill finish with failed days."""
    now = bot.clock.now()
    with session_scope(bot.runtime.session_factory) as session:
        row = create_request(
            session,
            slack_team_id=TEAM,
            channel_id=CHANNEL,
            user_id=REQUESTER.user_id,
            user_tz="UTC",
            text="transfer 456789 for 2025",
            transfer_id=456789,
            transfer_name="Facebook Ads - daily",
            range_start=date(2025, 1, 1),
            range_end=date(2025, 12, 31),
            days=365,
            notes=[],
            now=now,
            expires_at=now + timedelta(days=1),
        )
        request_id = row.id
        update_request(
            session,
            request_id=request_id,
            now=now,
            values={"message_channel": CHANNEL, "message_ts": bot.next_ts()},
        )
        for to in (RequestState.SUBMITTING, RequestState.SUBMITTED, RequestState.FAILED):
            transition(
                session,
                request_id=request_id,
                expected=RequestState(
                    {"SUBMITTING": "PENDING", "SUBMITTED": "SUBMITTING", "FAILED": "SUBMITTED"}[to]
                ),
                to=to,
                actor="test",
                now=now,
                values={
                    "backfill_id": 777,
                    "runs_total": 365,
                    "runs_completed": 365 - len(failed),
                    "runs_failed": len(failed),
                    "error_report": [{"date": d.isoformat(), "error": error} for d in failed],
                },
            )
    return request_id


def test_long_error_reports_stay_within_slack_limits(bot: SlackHarness) -> None:
    failed = [date(2025, 1, 1) + timedelta(days=2 * n) for n in range(180)]
    request_id = _finished_with_failures(bot, failed, "Connection timeout to data source " * 20)
    bot.command(f"status {request_id}", name="status")
    status = bot.response_body("status")
    assert check_message(status["text"], status["blocks"]) == []
    assert "Failed days: 2025-01-01, 2025-01-03" in block_text(status)
    assert "and 120 more" in block_text(status)


def test_retry_failed_days_posts_one_card_per_span(bot: SlackHarness) -> None:
    failed = [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3), date(2025, 7, 14)]
    request_id = _finished_with_failures(bot, failed, "Connection timeout")
    bot.click(ids.ACTION_RETRY_FAILED_DAYS, str(request_id), message_ts="1.0")
    said = bot.wait(
        lambda: next((t for t in bot.ephemeral_texts(REQUESTER) if "2 confirmation" in t), None),
        "the summary",
    )
    assert "2025-03-01 → 2025-03-03" in said and "2025-07-14" in said
    new = [r for r in bot.requests() if r.id != request_id]
    assert [(r.range_start, r.range_end, r.days, r.state) for r in new] == [
        (date(2025, 3, 1), date(2025, 3, 3), 3, "PENDING"),
        (date(2025, 7, 14), date(2025, 7, 14), 1, "PENDING"),
    ]
    for row in new:
        card = bot.card(row.id)
        assert ids.ACTION_CONFIRM in action_ids(card)
        assert f"failed days of request #{request_id}" in block_text(card)


def test_status_resumes_paused_tracking(bot: SlackHarness) -> None:
    bot.command("transfer 456789 for last month")
    row, _ = bot.posted_card()
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    submitted = bot.wait_request(row.id, "SUBMITTED")
    with session_scope(bot.runtime.session_factory) as session:
        update_request(
            session,
            request_id=row.id,
            now=bot.clock.now(),
            values={"tracking_paused": True, "poll_failures": 8},
        )
    bot.command(f"status {submitted.backfill_id}", name="status")
    status = bot.response_body("status")
    assert "resumed" in block_text(status)
    resumed = bot.request(row.id)
    assert (resumed.tracking_paused, resumed.poll_failures) == (False, 0)
    assert resumed.next_poll_at == bot.clock.now()
    [event] = [e for e in bot.events(row.id) if e.kind == "tracking_resumed"]
    assert event.needs_announcement
