"""The rules a workspace's policies make, the history query, and events in words."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.errors import AccessDeniedError, CommandError
from bot.messages.audit_lines import describe_event
from bot.messages.policy_modal import parse_groups
from bot.service.history import HistoryQuery
from bot.service.policies import WorkspaceRules
from bot.service.types import Actor


@dataclass(frozen=True)
class Req:
    id: int = 7
    user_id: str = "U0ALICE"
    days: int = 90
    transfer_id: int | None = 456789


def actor(user: str, *, admin: bool = False, channel: str = "C1") -> Actor:
    return Actor(slack_team_id="T1", user_id=user, channel_id=channel, is_admin=admin)


def rules(**values: object) -> WorkspaceRules:
    lookups: list[str] = []

    def groups(group: str) -> frozenset[str]:
        lookups.append(group)
        return frozenset({"U0LEAD"}) if group == "S0LEADS" else frozenset()

    base: dict[str, object] = {
        "admins": frozenset({"U0ADMIN"}),
        "allowed_users": frozenset(),
        "allowed_channels": (),
        "date_order": None,
        "max_days": None,
        "has_token": True,
        "groups": groups,
    }
    base.update(values)
    return WorkspaceRules(**base)  # type: ignore[arg-type]


def test_empty_policies_mean_everyone_and_no_approval() -> None:
    open_rules = rules()
    open_rules.check_allowed(actor("U0ANY"))
    assert open_rules.approval_reason(days=366, transfer_id=1) is None


def test_approval_by_length_or_transfer_and_who_approves() -> None:
    by_days = rules(approval_over_days=31, approvers=("U0APPROVER",))
    assert by_days.approval_reason(days=31, transfer_id=1) is None
    assert by_days.approval_reason(days=32, transfer_id=1) == "backfills over 31 days"
    by_transfer = rules(approval_transfers=frozenset({456789}), approver_groups=("S0LEADS",))
    assert by_transfer.approval_reason(days=2, transfer_id=456789) == (
        "backfills of transfer #456789"
    )
    assert by_transfer.is_approver(actor("U0LEAD"))
    assert not by_transfer.is_approver(actor("U0ADMIN", admin=True))  # approvers are listed
    with pytest.raises(AccessDeniedError) as refused:
        by_transfer.check_may_approve(actor("U0BOB"), Req(days=2), "approve")
    assert refused.value.user_message == (
        "Only members of <!subteam^S0LEADS> can approve backfills of transfer #456789. "
        "Nothing was changed."
    )


def test_the_requester_never_approves_their_own_even_as_an_approver() -> None:
    both = rules(approval_over_days=31, approvers=("U0ALICE", "U0APPROVER"))
    with pytest.raises(AccessDeniedError, match="someone else must approve it"):
        both.check_may_approve(actor("U0ALICE"), Req(), "approve")
    both.check_may_approve(actor("U0APPROVER"), Req(), "approve")


def test_without_listed_approvers_admins_approve() -> None:
    admins = rules(approval_over_days=31)
    assert admins.is_approver(actor("U0ADMIN"))
    assert admins.is_approver(actor("U0OWNER", admin=True))
    assert not admins.is_approver(actor("U0BOB"))
    assert admins.approver_ids() == ["U0ADMIN"]
    assert admins.approvers_text() == "workspace admins (<@U0ADMIN>)"


def test_requester_lists_and_groups_refuse_with_who_may() -> None:
    limited = rules(allowed_users=frozenset({"U0ALICE"}), requester_groups=("S0LEADS",))
    limited.check_allowed(actor("U0ALICE"))
    limited.check_allowed(actor("U0LEAD"))
    limited.check_allowed(actor("U0ADMIN"))  # admins pass
    with pytest.raises(AccessDeniedError) as refused:
        limited.check_allowed(actor("U0BOB"))
    assert refused.value.user_message == (
        "Only <@U0ALICE> and members of <!subteam^S0LEADS> can request backfills in this "
        "workspace. Ask <@U0ADMIN> to add you (`/backfill policy`)."
    )


def test_history_query_reads_transfer_user_and_since() -> None:
    query = HistoryQuery.parse("transfer 456789 <@U0BOB|bob> since 2026-01-05")
    assert (query.transfer_id, query.user_id, str(query.since)) == (456789, "U0BOB", "2026-01-05")
    assert HistoryQuery.parse("#12").transfer_id == 12
    assert HistoryQuery.parse("") == HistoryQuery()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        HistoryQuery.parse("since last week")
    with pytest.raises(CommandError, match="'everything'"):
        HistoryQuery.parse("everything")


def test_events_in_words() -> None:
    def said(kind: str, src: str | None, dst: str | None, **payload: object) -> str | None:
        return describe_event(
            kind=kind, from_state=src, to_state=dst, actor="U0LEAD", payload=payload
        )

    assert said(
        "state", "PENDING", "AWAITING_APPROVAL", approval_needed="backfills over 31 days"
    ) == ("<@U0LEAD> confirmed it; it needs approval (backfills over 31 days)")
    assert said("state", "AWAITING_APPROVAL", "SUBMITTING") == "<@U0LEAD> approved it"
    assert said("state", "AWAITING_APPROVAL", "REJECTED", rejection="a <b>") == (
        "<@U0LEAD> rejected it: a &lt;b&gt;"
    )
    assert said("state", "SUBMITTING", "REJECTED", status_code=403, reason="no") == (
        "Supermetrics refused it (403): no"
    )
    assert said("progress", None, None) is None
    plain = describe_event(
        kind="state",
        from_state="RUNNING",
        to_state="COMPLETED",
        actor="tracker",
        payload={"status": "COMPLETED", "runs_total": 3, "runs_completed": 3},
        mrkdwn=False,
    )
    assert plain == "Supermetrics: COMPLETED (3/3 days)"


def test_user_groups_typed_as_ids_or_mentions() -> None:
    assert parse_groups("S0AB, <!subteam^S0CD|@leads> S0EF") == (["S0AB", "S0CD", "S0EF"], None)
    assert parse_groups("leads") == ([], "leads")
