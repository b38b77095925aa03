"""Privacy of list/status/history by channel membership, the audit trail in Slack and from
the shell, and the Policies modal: a scripted scenario over signed HTTP with the fake Slack."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from bot.cli import audit as audit_cli
from bot.messages import ids
from bot.messages.policy_modal import action_id
from bot.store.db import session_scope
from bot.store.queries import get_workspace
from tests.slack.harness import ADMIN, CHANNEL, OTHER, REQUESTER, TEAM, SlackHarness, block_text

SECRET = "G0SECRET"


def _said(bot: SlackHarness, text: str, *, user: Any, name: str, channel: str = CHANNEL) -> str:
    bot.command(text, user=user, name=name, channel=channel)
    body = bot.response_body(name)
    return str(body.get("text", "")) + "\n" + block_text(body)


def _submitted(bot: SlackHarness, text: str, *, user: Any, channel: str, count: int) -> int:
    bot.command(text, user=user, channel=channel, name=f"request-{count}")
    row, _ = bot.posted_card(count)
    bot.click(
        ids.ACTION_CONFIRM, str(row.id), user=user, channel=channel, message_ts=row.message_ts or ""
    )
    bot.wait_request(row.id, "SUBMITTED")
    return row.id


@pytest.fixture
def scenario(bot: SlackHarness) -> tuple[int, int]:
    """Alice asks in a private channel only she is in; Bob asks in #general (everyone)."""
    bot.fake.add_channel(SECRET, "secret-project")
    bot.fake.set_channel_members(SECRET, [REQUESTER.user_id])
    secret = _submitted(bot, "transfer 456789 last 7 days", user=REQUESTER, channel=SECRET, count=1)
    public = _submitted(bot, "transfer 456790 last 7 days", user=OTHER, channel=CHANNEL, count=2)
    return secret, public


def test_list_and_status_show_only_requests_from_channels_a_person_is_in(
    bot: SlackHarness, scenario: tuple[int, int]
) -> None:
    secret, public = scenario
    bob = _said(bot, "list", user=OTHER, name="bob-list")
    assert f"*#{public}*" in bob and f"*#{secret}*" not in bob
    refused = _said(bot, f"status {secret}", user=OTHER, name="bob-status")
    assert "made in a channel you're not in" in refused and "workspace admins" in refused
    assert "456789" not in refused  # nothing about the request itself leaks
    alice = _said(bot, "list", user=REQUESTER, name="alice-list")
    assert f"*#{public}*" in alice and f"*#{secret}*" in alice
    assert "Facebook Ads" in _said(bot, f"status {secret}", user=REQUESTER, name="alice-status")
    admin = _said(bot, "list", user=ADMIN, name="admin-list")
    assert f"*#{public}*" in admin and f"*#{secret}*" in admin
    # Bob sees his own request even from a channel he has left
    bot.fake.set_channel_members(CHANNEL, [REQUESTER.user_id, ADMIN.user_id])
    assert f"#{public}" in _said(bot, f"status {public}", user=OTHER, name="bob-own")


def test_history_answers_who_did_what_for_what_a_person_may_see(
    bot: SlackHarness, scenario: tuple[int, int]
) -> None:
    secret, public = scenario
    alice = _said(bot, "history transfer 456789", user=REQUESTER, name="alice-history")
    lines = [line for line in alice.splitlines() if line.startswith("• ")]
    assert [line.split(": ", 1)[1] for line in lines] == [
        f"<@{REQUESTER.user_id}> asked for it",
        f"<@{REQUESTER.user_id}> confirmed it",
        f"Supermetrics accepted it: backfill #{bot.request(secret).backfill_id} (CREATED)",
    ]
    assert all(f"*#{secret}*" in line for line in lines)
    assert "History of #456789" in alice
    bob = _said(bot, "history", user=OTHER, name="bob-history")
    assert f"*#{public}*" in bob and f"*#{secret}*" not in bob
    by_user = _said(bot, f"history <@{OTHER.user_id}|bob>", user=ADMIN, name="admin-history")
    assert f"*#{public}*" in by_user and f"*#{secret}*" not in by_user
    late = _said(bot, "history since 2026-02-11", user=ADMIN, name="admin-since")
    assert "No events match" in late
    wrong = _said(bot, "history since yesterday", user=ADMIN, name="admin-wrong")
    assert "YYYY-MM-DD" in wrong


def test_audit_exports_the_same_trail_as_jsonl_and_csv(
    bot: SlackHarness, scenario: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret, public = scenario
    monkeypatch.setenv("DATABASE_URL", bot.settings.resolved_database_url())
    out = io.StringIO()
    assert audit_cli.main(["--slack-team", TEAM], out=out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    trail = [(r["request_id"], r["actor"], r["what"]) for r in rows]
    assert trail[:3] == [
        (secret, REQUESTER.user_id, f"{REQUESTER.user_id} asked for it"),
        (secret, REQUESTER.user_id, f"{REQUESTER.user_id} confirmed it"),
        (
            secret,
            REQUESTER.user_id,
            f"Supermetrics accepted it: backfill #{bot.request(secret).backfill_id} (CREATED)",
        ),
    ]
    assert {r["request_id"] for r in rows} == {secret, public}
    assert rows[2]["to_state"] == "SUBMITTED" and rows[2]["payload"]["status"] == "CREATED"
    assert rows[0]["channel_id"] == SECRET and rows[0]["transfer_id"] == 456789

    as_csv = io.StringIO()
    assert audit_cli.main(["--slack-team", TEAM, "--format", "csv"], out=as_csv) == 0
    table = list(csv.DictReader(io.StringIO(as_csv.getvalue())))
    assert [(int(r["request_id"]), r["what"]) for r in table] == [
        (r["request_id"], r["what"]) for r in rows
    ]
    none = io.StringIO()
    assert audit_cli.main(["--slack-team", TEAM, "--since", "2026-02-11"], out=none) == 0
    assert none.getvalue() == ""


def _policy_values(**fields: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    return {block: {action_id(block): value} for block, value in fields.items()}


def test_admins_edit_policies_in_a_modal_and_others_read_them(bot: SlackHarness) -> None:
    bot.command("policy", user=ADMIN, name="admin-policy")
    [view] = bot.wait(bot.fake.views, "the policies modal")
    assert view["callback_id"] == ids.VIEW_POLICY
    bad = bot.submit_view(
        ids.VIEW_POLICY,
        private_metadata=view["private_metadata"],
        values=_policy_values(
            **{ids.BLOCK_POLICY_OVER_DAYS: {"type": "plain_text_input", "value": "a month"}}
        ),
        user=ADMIN,
    )
    assert bad.json()["errors"] == {
        ids.BLOCK_POLICY_OVER_DAYS: "A whole number of days, at least 1 (or empty)."
    }
    ok = bot.submit_view(
        ids.VIEW_POLICY,
        private_metadata=view["private_metadata"],
        values=_policy_values(
            **{
                ids.BLOCK_POLICY_REQUESTER_GROUPS: {
                    "type": "plain_text_input",
                    "value": "<!subteam^S0DATA|@data>",
                },
                ids.BLOCK_POLICY_OVER_DAYS: {"type": "plain_text_input", "value": "31"},
                ids.BLOCK_POLICY_APPROVERS: {
                    "type": "multi_users_select",
                    "selected_users": [ADMIN.user_id],
                },
                ids.BLOCK_POLICY_TRANSFERS: {"type": "plain_text_input", "value": "456791"},
            }
        ),
        user=ADMIN,
    )
    assert ok.status_code == 200 and not ok.content

    def saved() -> Any:
        with session_scope(bot.runtime.session_factory) as session:
            ws = get_workspace(session, slack_team_id=TEAM)
            if ws is None or ws.approval_over_days != 31:
                return None
            return (list(ws.requester_groups), list(ws.approvers), list(ws.approval_transfers))

    assert bot.wait(saved, "the policy stored") == (["S0DATA"], [ADMIN.user_id], [456791])
    # requesters outside the group are refused with who may instead
    bot.fake.add_usergroup("S0DATA", [REQUESTER.user_id])
    refused = _said(bot, "transfer 456789 last 7 days", user=OTHER, name="bob-request")
    assert "Only members of <!subteam^S0DATA> can request backfills" in refused
    shown = _said(bot, "policy", user=OTHER, name="bob-policy")
    assert "backfills over 31 days or of transfer #456791" in shown
    assert f"Only <@{ADMIN.user_id}>" not in shown and "can change them" in shown
