"""Plans: one request, several backfills (several transfers, a long range in chunks,
steps queued after a running backfill), shown on one card and confirmed once.

A plan is the request whose card the person confirms (PENDING → QUEUED while its steps
run → COMPLETED / FAILED / CANCELLED); each step is a request of its own, QUEUED until
its turn (``bot.service.plan_runner`` submits it then, exactly once). Steps of different
transfers run in parallel; a transfer's chunks one after another. Kept apart from
``submission`` so the approval gate (policies) can sit in front of ``confirm`` for the
plan as a whole, by its total days (the plan row's ``days``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Protocol

from bot.errors import (
    AccessDeniedError,
    BotError,
    DtsError,
    DtsRejectedError,
    MissingTokenError,
    StateConflictError,
)
from bot.messages.blocks import Block, error_text, plural
from bot.messages.plan_cards import PlanView, plan_pending_card, plan_status_card
from bot.parsing.plans import PlanCommand, plan_steps, resolve_targets
from bot.service.deps import Deps, RequestSnapshot, log, snapshot
from bot.service.plan_runner import PlanRunner
from bot.service.policies import WorkspaceRules
from bot.service.request_cards import overlap_warnings
from bot.service.submission import Submission
from bot.service.transfer_cache import match_transfers
from bot.service.types import Actor, Reply
from bot.store.models import TRACKED_STATES, RequestState
from bot.store.plans import (
    NewStep,
    PlanRows,
    add_steps,
    load_plan,
    plan_id_of,
    release_blocker,
)
from bot.store.queries import (
    create_request,
    find_request_by_backfill,
    get_request,
    transition,
    update_request,
)
from bot.supermetrics.models import Backfill


class PostCard(Protocol):
    def __call__(
        self, actor: Actor, req: RequestSnapshot, *, text: str, blocks: Sequence[Block]
    ) -> Reply: ...


def view_of(rows: PlanRows) -> PlanView:
    return PlanView(plan=rows.plan, steps=rows.steps, links=rows.links)


class Plans:
    def __init__(self, deps: Deps, submission: Submission, *, post_card: PostCard) -> None:
        self.d = deps
        self.submission = submission
        self.runner = PlanRunner(deps, submission)
        # intake's: the one way a card is posted and its ts remembered
        self.post_card = post_card

    def advance(self, plan_id: int) -> int:
        return self.runner.advance(plan_id)

    def advance_all(self) -> int:
        return self.runner.advance_all()

    def requeue_stuck(self, step: RequestSnapshot) -> bool | None:
        return self.runner.requeue_stuck(step)

    # --- a new plan -----------------------------------------------------------------

    def request(self, actor: Actor, text: str, command: PlanCommand) -> Reply:
        """Resolve the targets, look for overlaps, record the plan PENDING, post its card."""
        try:
            team = self.d.team_client(actor.slack_team_id)
        except MissingTokenError as exc:
            raise MissingTokenError(
                "Planning several backfills needs this workspace's Supermetrics token to "
                "check the transfers, and none is set up yet. An admin can add it with "
                "`/backfill setup`."
            ) from exc
        listed = self.d.transfers.transfers(team)
        by_id = {t.transfer_id: t.display_name for t in listed}
        transfers = resolve_targets(
            command.targets,
            lookup=lambda name: [
                (t.transfer_id, t.display_name) for t in match_transfers(name, listed)
            ],
            names_of=by_id.get,
        )
        warnings = [
            f"Transfer #{tid} is not in the transfer list of this workspace's Supermetrics "
            "team; check the id before confirming."
            for tid, _name in transfers
            if tid not in by_id
        ]
        steps = plan_steps(transfers, command.chunks)
        try:
            incomplete = team.list_incomplete_backfills()
        except DtsError as exc:
            incomplete = []
            warnings.append(f"I couldn't check for overlapping backfills ({error_text(exc)})")
        for transfer_id, _name in transfers:
            warnings += overlap_warnings(
                incomplete,
                transfer_id=transfer_id,
                req_start=command.range_start,
                req_end=command.range_end,
            )
        new_steps = [
            NewStep(
                transfer_id=step.transfer_id,
                transfer_name=step.transfer_name,
                range_start=step.range_start,
                range_end=step.range_end,
                after=step.after,
                blocked_by_backfill_id=_blocker(
                    incomplete, step.transfer_id, step.range_start, step.range_end
                ),
            )
            for step in steps
        ]
        now = self.d.now()
        single = len(transfers) == 1
        with self.d.session() as session:
            plan = create_request(
                session,
                slack_team_id=actor.slack_team_id,
                channel_id=actor.channel_id,
                user_id=actor.user_id,
                user_tz=actor.tz,
                text=text,
                transfer_id=transfers[0][0] if single else None,
                transfer_name=transfers[0][1] if single else f"{len(transfers)} transfers",
                range_start=command.range_start,
                range_end=command.range_end,
                # by its total days: approvals and limits apply to the plan as a whole
                days=sum(step.days for step in steps),
                notes=command.notes,
                now=now,
                expires_at=now + timedelta(seconds=self.d.settings.confirmation_ttl_seconds),
            )
            add_steps(session, plan=plan, steps=new_steps, now=now)
            rows = load_plan(session, plan_request_id=plan.id)
            assert rows is not None
            card = plan_pending_card(view_of(rows), warnings=warnings)
            plan_snapshot = snapshot(plan)
        return self.post_card(actor, plan_snapshot, text=card.text, blocks=card.blocks)

    # --- confirm, cancel --------------------------------------------------------------

    def is_plan(self, request_id: int) -> bool:
        with self.d.session() as session:
            return plan_id_of(session, request_id=request_id) == request_id

    def is_running(self, plan_id: int) -> bool:
        with self.d.session() as session:
            row = get_request(session, request_id=plan_id)
            return row is not None and row.state is RequestState.QUEUED

    def confirm(self, actor: Actor, plan_id: int, *, cancel_blockers: bool = False) -> Reply:
        req, rules = self.d.request_and_rules(actor, plan_id)
        rules.check_may_act(actor, req, "confirm")
        if cancel_blockers and req.state is RequestState.QUEUED:
            # the thread asked: a blocker ended FAILED and still holds the dates
            self._cancel_blockers(actor, req, is_admin=rules.is_admin(actor))
            self.advance(req.id)
            self.show(req.id)
            return Reply(text="", request_id=req.id)
        if req.state is not RequestState.PENDING:
            if req.state is RequestState.QUEUED and req.confirmed_by == actor.user_id:
                return Reply(text="", request_id=req.id)  # a double click
            raise StateConflictError(
                f"Plan #{req.id} is {req.state.value.lower()}, so it can't be confirmed again."
            )
        if cancel_blockers:
            self._cancel_blockers(actor, req, is_admin=rules.is_admin(actor))
        rule = self._approval_rule(rules, req)
        if rule is not None:
            # approvals weigh the plan as a whole: its total days
            if not self.submission.approvals.hold(actor, req, rules, rule):
                raise StateConflictError(f"Plan #{req.id} was confirmed or cancelled meanwhile.")
            return Reply(
                text=f"Plan #{req.id} is confirmed and now waits for approval: "
                f"{rules.approvers_text()} can approve {rule}.",
                request_id=req.id,
            )
        return self._start(actor, req, expected=RequestState.PENDING, confirmed_by=actor.user_id)

    def approve(self, actor: Actor, plan_id: int) -> Reply:
        """An approver's Approve: the plan starts (its steps are submitted as they may)."""
        req, rules = self.d.request_and_rules(actor, plan_id)
        if req.state is not RequestState.AWAITING_APPROVAL:
            if req.state is RequestState.QUEUED and req.approved_by == actor.user_id:
                return Reply(text="", request_id=req.id)  # a double click
            raise StateConflictError(
                f"Plan #{req.id} is {req.state.value.lower()}, so there is nothing to approve."
            )
        rules.check_may_approve(actor, req, "approve")
        return self._start(
            actor,
            req,
            expected=RequestState.AWAITING_APPROVAL,
            confirmed_by=req.confirmed_by or req.user_id,
            approved_by=actor.user_id,
        )

    def _approval_rule(self, rules: WorkspaceRules, req: RequestSnapshot) -> str | None:
        if req.approved_by is not None:
            return None
        with self.d.session() as session:
            rows = load_plan(session, plan_request_id=req.id)
            transfers = sorted(
                {s.transfer_id for s in rows.steps if s.transfer_id is not None} if rows else set()
            )
        candidates: list[int | None] = [*transfers] or [req.transfer_id]
        for transfer_id in candidates:
            rule = rules.approval_reason(days=req.days, transfer_id=transfer_id)
            if rule is not None:
                return rule
        return None

    def _start(
        self,
        actor: Actor,
        req: RequestSnapshot,
        *,
        expected: RequestState,
        confirmed_by: str,
        approved_by: str | None = None,
    ) -> Reply:
        values: dict[str, object] = {"confirmed_by": confirmed_by, "state_reason": None}
        if approved_by is not None:
            values["approved_by"] = approved_by
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=expected,
                to=RequestState.QUEUED,
                actor=actor.user_id,
                now=self.d.now(),
                announce=True,
                values=values,
                payload={"plan": True},
            )
        if not won:
            raise StateConflictError(f"Plan #{req.id} was confirmed or cancelled meanwhile.")
        # "confirmed" first in the thread, then each step's "submitted"
        self.show(req.id)
        self.d.flush_announcements(req.id)
        self.advance(req.id)
        return Reply(text="", request_id=req.id)

    def drop_step(self, actor: Actor, plan_id: int, step_id: int) -> Reply:
        """Remove on the card before confirmation: the step leaves the plan (DISMISSED)."""
        req, rules = self.d.request_and_rules(actor, plan_id)
        rules.check_may_act(actor, req, "change")
        if req.state is not RequestState.PENDING:
            raise StateConflictError(
                f"Plan #{req.id} is {req.state.value.lower()}; its steps can't be changed now."
            )
        with self.d.session() as session:
            rows = load_plan(session, plan_request_id=plan_id)
            live = [s.id for s in rows.steps if s.state is RequestState.QUEUED] if rows else []
            if step_id not in live:
                raise StateConflictError(f"That step is not part of plan #{plan_id} any more.")
            if len(live) == 1:
                raise StateConflictError(
                    "That is the plan's last step: press Cancel to drop the whole request."
                )
            transition(
                session,
                request_id=step_id,
                expected=RequestState.QUEUED,
                to=RequestState.DISMISSED,
                actor=actor.user_id,
                now=self.d.now(),
                reason=f"Removed from the plan by <@{actor.user_id}>.",
            )
            rows = load_plan(session, plan_request_id=plan_id)
            assert rows is not None
            days = sum(s.days for s in rows.steps if s.state is RequestState.QUEUED)
            # the plan's total days: what approvals and limits weigh
            update_request(session, request_id=plan_id, now=self.d.now(), values={"days": days})
            rows = load_plan(session, plan_request_id=plan_id)
            assert rows is not None
            card = plan_pending_card(view_of(rows))
            plan = snapshot(rows.plan)
        self.d.show_card(plan, text=card.text, blocks=card.blocks)
        return Reply(text="", request_id=plan_id)

    def _cancel_blockers(self, actor: Actor, plan: RequestSnapshot, *, is_admin: bool) -> None:
        """Cancel the backfills the plan's steps overlap (the requester's own or an
        admin's); the steps then wait only until Supermetrics reports them cancelled."""
        with self.d.session() as session:
            rows = load_plan(session, plan_request_id=plan.id)
            blockers = view_of(rows).blockers if rows else []
            owners = {
                b: find_request_by_backfill(
                    session, slack_team_id=plan.slack_team_id, backfill_id=b
                )
                for b in blockers
            }
        for backfill_id, owner in owners.items():
            mine = owner is not None and owner.user_id == actor.user_id
            if not (mine or is_admin):
                raise AccessDeniedError(
                    f"Backfill #{backfill_id} was not started by you here, so only an admin "
                    "may cancel it. Press Queue after instead, or ask an admin."
                )
        team = self.d.team_client(plan.slack_team_id)
        for backfill_id in owners:
            try:
                cancelled = team.cancel_backfill(backfill_id=backfill_id)
            except DtsRejectedError:
                log.info("blocker %s had already finished", backfill_id)
                continue
            if not cancelled.status.is_final:
                continue  # the next advance asks Supermetrics again
            with self.d.session() as session:
                # cancelled: the steps behind it may go (a FAILED one no longer blocks)
                release_blocker(session, plan_request_id=plan.id, backfill_id=backfill_id)

    def cancel(self, actor: Actor, plan_id: int, cancel_step: object) -> Reply:
        """Cancel the running steps (``cancel_step``: the one-backfill cancel) and drop the
        waiting ones; the plan ends CANCELLED once every step is over."""
        req, rules = self.d.request_and_rules(actor, plan_id)
        rules.check_may_act(actor, req, "cancel")
        if req.state is not RequestState.QUEUED:
            raise StateConflictError(
                f"Plan #{req.id} is {req.state.value.lower()}; there is nothing running to cancel."
            )
        with self.d.session() as session:
            rows = load_plan(session, plan_request_id=plan_id)
            steps = [snapshot(step) for step in rows.steps] if rows else []
        dropped = cancelled = 0
        for step in steps:
            if step.state is RequestState.QUEUED:
                with self.d.session() as session:
                    dropped += transition(
                        session,
                        request_id=step.id,
                        expected=RequestState.QUEUED,
                        to=RequestState.CANCELLED,
                        actor=actor.user_id,
                        now=self.d.now(),
                        reason=f"Dropped: <@{actor.user_id}> cancelled the plan.",
                    )
            elif step.state in TRACKED_STATES:
                try:
                    cancel_step(actor, step.id)  # type: ignore[operator]
                    cancelled += 1
                except BotError as exc:
                    log.info(
                        "plan %s: step %s not cancelled: %s", plan_id, step.id, exc.user_message
                    )
        self.advance(plan_id)
        self.show(plan_id)
        self.d.flush_announcements(plan_id)
        return Reply(
            text=f"Plan #{plan_id}: {plural(cancelled, 'running backfill')} cancelled, "
            f"{plural(dropped, 'waiting step')} dropped.",
            request_id=plan_id,
        )

    def steps_with_failures(self, plan_id: int) -> list[int]:
        with self.d.session() as session:
            rows = load_plan(session, plan_request_id=plan_id)
            return [s.id for s in rows.steps if s.error_report] if rows else []

    def show(self, plan_id: int) -> None:
        """Redraw the plan's card as the store holds it now."""
        with self.d.session() as session:
            rows = load_plan(session, plan_request_id=plan_id)
            if rows is None:
                return
            card = plan_status_card(view_of(rows))
            plan = snapshot(rows.plan)
        self.d.show_card(plan, text=card.text, blocks=card.blocks)

    # --- advancing (the tracker's tick, and right after confirm) -------------------------


def _blocker(incomplete: list[Backfill], transfer_id: int, start: date, end: date) -> int | None:
    """The newest unfinished backfill of the transfer that overlaps the range (the API's
    "incomplete", FAILED included: it refuses overlapping creates)."""
    overlapping = [
        b.backfill_id
        for b in incomplete
        if b.transfer_id == transfer_id
        and b.status.is_incomplete
        and b.removed_time is None
        and b.range_start <= end
        and b.range_end >= start
    ]
    return max(overlapping) if overlapping else None
