"""Policies in Slack: anyone may read them (``/backfill policy``); admins change them in
the Policies modal. The shell does the same with ``python -m bot policy``."""

from __future__ import annotations

from bot.errors import AccessDeniedError
from bot.messages.blocks import section
from bot.messages.policy_modal import PolicyChanges, PolicyForm, policy_lines
from bot.service.deps import Deps, log
from bot.service.types import OPEN_POLICY, Actor, Reply
from bot.store.models import Workspace
from bot.store.queries import ensure_workspace, set_policy


def policy_form(ws: Workspace, *, default_max_days: int) -> PolicyForm:
    return PolicyForm(
        requesters=tuple(ws.allowed_users or ()),
        requester_groups=tuple(ws.requester_groups or ()),
        approvers=tuple(ws.approvers or ()),
        approver_groups=tuple(ws.approver_groups or ()),
        approval_over_days=ws.approval_over_days,
        approval_transfers=tuple(int(t) for t in ws.approval_transfers or ()),
        max_days=ws.max_days,
        channels=tuple(ws.allowed_channels or ()),
        default_max_days=default_max_days,
    )


class PolicyAdmin:
    def __init__(self, deps: Deps) -> None:
        self.d = deps

    def form(self, actor: Actor) -> PolicyForm:
        with self.d.session() as session:
            ws = ensure_workspace(session, slack_team_id=actor.slack_team_id, now=self.d.now())
            return policy_form(ws, default_max_days=self.d.settings.max_backfill_days)

    def show(self, actor: Actor) -> Reply:
        """Admins get the modal; everyone else reads the policy and who can change it."""
        rules = self.d.rules(actor)
        if rules.is_admin(actor):
            return Reply(text="", opens=OPEN_POLICY)
        lines = policy_lines(self.form(actor))
        text = (
            "*Backfill policies in this workspace*\n" + "\n".join(lines) + "\n"
            f"Only {rules.admins_text()} can change them."
        )
        return Reply(text=text, blocks=[section(text)])

    def change(self, actor: Actor, changes: PolicyChanges) -> Reply:
        rules = self.d.rules(actor)
        if not rules.is_admin(actor):
            raise AccessDeniedError(
                f"Only {rules.admins_text()} can change this workspace's policies. Nothing "
                "was changed."
            )
        with self.d.session() as session:
            ws = set_policy(
                session, slack_team_id=actor.slack_team_id, now=self.d.now(), changes=changes
            )
            form = policy_form(ws, default_max_days=self.d.settings.max_backfill_days)
        log.info("policies of %s changed by %s", actor.slack_team_id, actor.user_id)
        text = "*Policies saved.*\n" + "\n".join(policy_lines(form))
        return Reply(text=text, blocks=[section(text)])
