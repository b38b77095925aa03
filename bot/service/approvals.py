"""Two-person approval: the gate between a requester's Confirm and the create call.

A request the workspace's rules say needs approval (``WorkspaceRules.approval_reason``)
moves PENDING → AWAITING_APPROVAL on Confirm instead of SUBMITTING; its card shows Approve
and Reject, and the approvers hear of it (a mention in the thread and a DM each). Approve
is the same guarded move as Confirm (AWAITING_APPROVAL → SUBMITTING, one winner), after
which ``Submission`` submits exactly once. Reject closes the card with the reason. The
tracker's expiry pass ends requests nobody approved in ``APPROVAL_TTL_SECONDS``.
"""

from __future__ import annotations

from datetime import timedelta

from bot.errors import BotError, CommandError, StateConflictError
from bot.messages.approvals import approval_notice, awaiting_approval_card
from bot.messages.blocks import escape_mrkdwn
from bot.service.deps import Deps, RequestSnapshot, log, snapshot
from bot.service.policies import WorkspaceRules
from bot.service.request_cards import closed
from bot.service.types import Actor, Reply
from bot.store.models import TRACKED_STATES, RequestState
from bot.store.queries import transition

AWAITING = RequestState.AWAITING_APPROVAL


class Approvals:
    def __init__(self, deps: Deps) -> None:
        self.d = deps

    # --- the gate (called by Confirm) ---------------------------------------------------

    def needs_approval(self, rules: WorkspaceRules, req: RequestSnapshot) -> str | None:
        """Why this request must wait for an approver, or None (already approved: None)."""
        if req.approved_by is not None:
            return None  # approved, then put back to PENDING by a failed create: Retry
        return rules.approval_reason(days=req.days, transfer_id=req.transfer_id)

    def hold(self, actor: Actor, req: RequestSnapshot, rules: WorkspaceRules, rule: str) -> bool:
        """PENDING → AWAITING_APPROVAL (guarded); show the card and tell the approvers.

        False when the request moved on first (another click won).
        """
        now = self.d.now()
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=RequestState.PENDING,
                to=AWAITING,
                actor=actor.user_id,
                now=now,
                values={
                    "confirmed_by": actor.user_id,
                    "state_reason": None,
                    "expires_at": now + timedelta(seconds=self.d.settings.approval_ttl_seconds),
                },
                payload={"approval_needed": rule, "approvers": rules.approver_ids()},
            )
        if not won:
            return False
        approvers = rules.approvers_text()
        card = awaiting_approval_card(
            req.summary, confirmed_by=actor.user_id, rule=rule, approvers=approvers
        )
        self.d.show_card(req, text=card.text, blocks=card.blocks)
        self._notify(req, rules, rule=rule, approvers=approvers)
        return True

    def _notify(
        self, req: RequestSnapshot, rules: WorkspaceRules, *, rule: str, approvers: str
    ) -> None:
        """A mention in the card's thread and a DM to each approver; failures are logged."""
        thread = req.thread_ts or req.message_ts
        notice = approval_notice(req.summary, approvers=approvers, rule=rule, dm=False)
        try:
            if req.message_channel and thread:
                self.d.notifier.post(
                    slack_team_id=req.slack_team_id,
                    channel=req.message_channel,
                    text=notice.text,
                    blocks=notice.blocks,
                    thread_ts=thread,
                )
        except BotError as exc:
            log.warning("approval mention for request %s failed: %s", req.id, exc.user_message)
        dm = approval_notice(req.summary, approvers=approvers, rule=rule, dm=True)
        for user in rules.approver_ids():
            if user == req.user_id:
                continue
            try:
                self.d.notifier.post(
                    slack_team_id=req.slack_team_id, channel=user, text=dm.text, blocks=dm.blocks
                )
            except BotError as exc:
                log.warning("approval DM to %s failed: %s", user, exc.user_message)

    # --- Approve --------------------------------------------------------------------------

    def claim(self, actor: Actor, request_id: int) -> RequestSnapshot | None:
        """AWAITING_APPROVAL → SUBMITTING for an approver; None for a quiet double click.

        Raises AccessDeniedError (who may approve instead) or StateConflictError.
        """
        req, rules = self.d.request_and_rules(actor, request_id)
        if req.state is not AWAITING:
            self._moved_on(actor, req)
            return None
        rules.check_may_approve(actor, req, "approve")
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=AWAITING,
                to=RequestState.SUBMITTING,
                actor=actor.user_id,
                now=self.d.now(),
                values={"approved_by": actor.user_id, "state_reason": None},
                payload={"approved_by": actor.user_id},
            )
        if not won:
            with self.d.session() as session:
                now_req = snapshot(self.d.load(session, actor, request_id))
            self._moved_on(actor, now_req)
            return None
        return req

    def _moved_on(self, actor: Actor, req: RequestSnapshot) -> None:
        if req.state is RequestState.SUBMITTING or req.state in TRACKED_STATES:
            if req.approved_by == actor.user_id:
                return  # the approver's own double click
            if req.approved_by:
                raise StateConflictError(
                    f"Request #{req.id} was already approved by <@{req.approved_by}>; it is "
                    "submitted only once."
                )
        if req.state is RequestState.PENDING:
            raise StateConflictError(
                f"Request #{req.id} is not confirmed yet: <@{req.user_id}> confirms it first, "
                "then it can be approved."
            )
        raise StateConflictError(
            f"Request #{req.id} is {req.state.value.lower()}, so it can't be approved any more."
            + (f" {req.state_reason}" if req.state_reason else "")
        )

    # --- Reject ---------------------------------------------------------------------------

    def check_reject(self, actor: Actor, request_id: int) -> RequestSnapshot:
        """The request, if the actor may reject it now (before the reason form opens)."""
        req, rules = self.d.request_and_rules(actor, request_id)
        if req.state is not AWAITING:
            raise StateConflictError(
                f"Request #{req.id} is {req.state.value.lower()}, not awaiting approval, so "
                "it can't be rejected."
            )
        rules.check_may_approve(actor, req, "reject")
        return req

    def reject(self, actor: Actor, request_id: int, reason: str) -> Reply:
        reason = " ".join(reason.split())
        if not reason:
            raise CommandError(
                "Say why the request is rejected, e.g. `reject 12 covers last year, too much`."
            )
        req = self.check_reject(actor, request_id)
        text = f"Rejected by <@{actor.user_id}>: {escape_mrkdwn(reason)}"
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=AWAITING,
                to=RequestState.REJECTED,
                actor=actor.user_id,
                now=self.d.now(),
                reason=text,
                payload={"rejected_by": actor.user_id, "rejection": reason},
            )
        if not won:
            raise StateConflictError(
                f"Request #{req.id} moved on before the rejection arrived; nothing was changed."
            )
        card = closed(req, f":no_entry: *Not approved.* {text}", "Nothing was submitted.")
        self.d.show_card(req, text=card.text, blocks=card.blocks)
        thread = req.thread_ts or req.message_ts
        if req.message_channel and thread:
            try:
                self.d.notifier.post(
                    slack_team_id=req.slack_team_id,
                    channel=req.message_channel,
                    text=f"<@{req.user_id}> request #{req.id} was not approved. {text}",
                    thread_ts=thread,
                )
            except BotError as exc:
                log.warning("rejection reply for request %s failed: %s", req.id, exc.user_message)
        return Reply(text=f"Request #{req.id} is rejected; nothing was submitted.")
