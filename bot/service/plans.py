"""Plans: one request, several backfills (several transfers, a long range in chunks,
steps queued after a running backfill), shown on one card and confirmed once.

A plan is the request whose card the person confirms (PENDING → QUEUED while its steps
run → COMPLETED / FAILED / CANCELLED); each step is a request of its own, QUEUED until
its turn. ``advance`` submits the steps whose turn has come (the chunk before them final,
the backfill they are queued after final): each through a guarded QUEUED → SUBMITTING
transition, so exactly one process submits a step, and a process killed between steps
leaves only rows that the next ``advance`` (any process's tracker tick) carries on from.
Steps of different transfers run in parallel; a transfer's chunks one after another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import (
    AccessDeniedError,
    BotError,
    DtsError,
    DtsForbiddenError,
    DtsNotFoundError,
    DtsRateLimitedError,
    DtsRejectedError,
    DtsUnauthorizedError,
    MissingTokenError,
    StateConflictError,
)
from bot.messages.blocks import error_text, plural
from bot.messages.plan_cards import PLAN_BLOCKED, PlanView, plan_pending_card, plan_status_card
from bot.parsing.plans import PlanCommand, plan_steps, resolve_targets
from bot.service.deps import Deps, RequestSnapshot, log, snapshot
from bot.service.submission import Submission
from bot.service.transfer_cache import match_transfers
from bot.service.types import Actor, Reply
from bot.store.events import add_event
from bot.store.models import BACKFILL_FINAL_STATES, TRACKED_STATES, RequestState
from bot.store.plans import (
    NewStep,
    PlanRows,
    add_steps,
    load_plan,
    orphaned_step_ids,
    plan_id_of,
    release_blocker,
    running_plan_ids,
    set_blocker_status,
)
from bot.store.queries import (
    create_request,
    find_request_by_backfill,
    get_request,
    transition,
    update_request,
)
from bot.supermetrics.client import DtsTeamClient
from bot.supermetrics.models import Backfill, BackfillStatus

ACTOR = "plan"
_REFUSED = (DtsUnauthorizedError, DtsForbiddenError, DtsNotFoundError, DtsRejectedError)
# a step is over (its turn passed) in these states
STEP_DONE = BACKFILL_FINAL_STATES | {RequestState.REJECTED, RequestState.DISMISSED}


@dataclass(frozen=True)
class _Ready:
    step: RequestSnapshot
    plan: RequestSnapshot


def view_of(rows: PlanRows) -> PlanView:
    return PlanView(plan=rows.plan, steps=rows.steps, links=rows.links)


class Plans:
    def __init__(self, deps: Deps, submission: Submission) -> None:
        self.d = deps
        self.submission = submission

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
        return self._post_card(actor, plan_snapshot, card.text, card.blocks)

    def _post_card(self, actor: Actor, plan: RequestSnapshot, text: str, blocks: list) -> Reply:  # type: ignore[type-arg]
        from bot.service.intake import Intake  # the one way a card is posted and remembered

        return Intake(self.d)._post_card(actor, plan, text=text, blocks=blocks)

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
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=RequestState.PENDING,
                to=RequestState.QUEUED,
                actor=actor.user_id,
                now=self.d.now(),
                announce=True,
                values={"confirmed_by": actor.user_id, "state_reason": None},
                payload={"plan": True},
            )
        if not won:
            raise StateConflictError(f"Plan #{req.id} was confirmed or cancelled meanwhile.")
        self.advance(req.id)
        self.show(req.id)
        self.d.flush_announcements(req.id)
        return Reply(text="", request_id=req.id)

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

    def advance_all(self) -> int:
        """Submit every running plan's steps whose turn has come, end finished plans, drop
        the steps of plans that ended unconfirmed; return how many steps were submitted."""
        with self.d.session() as session:
            plan_ids = running_plan_ids(session)
            for step_id in orphaned_step_ids(session):
                transition(
                    session,
                    request_id=step_id,
                    expected=RequestState.QUEUED,
                    to=RequestState.DISMISSED,
                    actor=ACTOR,
                    now=self.d.now(),
                    reason="The plan ended before this step's turn.",
                )
        submitted = 0
        for plan_id in plan_ids:
            try:
                submitted += self.advance(plan_id)
            except BotError as exc:
                log.warning("advancing plan %s failed: %s", plan_id, exc.user_message)
        return submitted

    def advance(self, plan_id: int) -> int:
        now = self.d.now()
        ready: list[_Ready] = []
        external: list[tuple[RequestSnapshot, RequestSnapshot, int]] = []
        asked = False
        with self.d.session() as session:
            rows = load_plan(session, plan_request_id=plan_id)
            if rows is None or rows.plan.state is not RequestState.QUEUED:
                return 0
            plan = snapshot(rows.plan)
            states = {step.id: step.state for step in rows.steps}
            for step, link in zip(rows.steps, rows.links, strict=True):
                if step.state is not RequestState.QUEUED:
                    continue
                if step.next_poll_at is not None and step.next_poll_at > now:
                    continue  # backing off after a failed submit or a blocker check
                if (
                    link.after_request_id is not None
                    and states.get(link.after_request_id) not in STEP_DONE
                ):
                    continue
                blocker = link.blocked_by_backfill_id
                if blocker is not None and link.blocker_status != "DONE":
                    if link.blocker_status == "FAILED":
                        continue  # the thread asked what to do
                    own = find_request_by_backfill(
                        session, slack_team_id=plan.slack_team_id, backfill_id=blocker
                    )
                    if own is None or own.id == step.id:
                        external.append((snapshot(step), plan, blocker))
                        continue
                    if own.state not in STEP_DONE:
                        continue
                    if own.state is RequestState.FAILED:
                        self._ask(session, plan, step.id, blocker)
                        asked = True
                        continue
                ready.append(_Ready(snapshot(step), plan))
        for waiting, plan_snap, blocker in external:
            outcome = self._external_blocker(waiting, plan_snap, blocker)
            asked = asked or outcome == "asked"
            if outcome == "done":
                ready.append(_Ready(waiting, plan_snap))
        submitted = sum(1 for item in ready if self._submit_step(item))
        self._finish_if_done(plan_id)
        if asked:
            self.d.flush_announcements(plan_id)  # the question, now rather than next tick
        return submitted

    def _ask(self, session: object, plan: RequestSnapshot, step_id: int, blocker: int) -> None:
        """The blocker ended FAILED (its dates stay blocked): ask in the thread, once."""
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        set_blocker_status(session, request_id=step_id, status="FAILED")
        add_event(
            session,
            request_id=plan.id,
            kind=PLAN_BLOCKED,
            actor=ACTOR,
            now=self.d.now(),
            payload={"step_request_id": step_id, "backfill_id": blocker},
            needs_announcement=True,
        )

    def _external_blocker(self, step: RequestSnapshot, plan: RequestSnapshot, blocker: int) -> str:
        """A blocker started outside this bot: ask Supermetrics (at most once per
        ``poll_min_seconds`` per step)."""
        try:
            backfill = self.d.team_client(plan.slack_team_id).get_backfill(backfill_id=blocker)
        except DtsNotFoundError:
            return "done"  # gone: nothing holds the dates any more
        except BotError as exc:
            log.info("plan %s: blocker %s not checked: %s", plan.id, blocker, exc.user_message)
            backfill = None
        with self.d.session() as session:
            if backfill is not None and backfill.status is BackfillStatus.FAILED:
                self._ask(session, plan, step.id, blocker)
                return "asked"
            if backfill is not None and backfill.status.is_final:
                set_blocker_status(session, request_id=step.id, status="DONE")
                return "done"
            update_request(
                session,
                request_id=step.id,
                now=self.d.now(),
                values={
                    "next_poll_at": self.d.now()
                    + timedelta(seconds=self.d.settings.poll_min_seconds)
                },
            )
        return "wait"

    def _submit_step(self, item: _Ready) -> bool:
        step, plan = item.step, item.plan
        now = self.d.now()
        with self.d.session() as session:
            won = transition(
                session,
                request_id=step.id,
                expected=RequestState.QUEUED,
                to=RequestState.SUBMITTING,
                actor=ACTOR,
                now=now,
                values={
                    "confirmed_by": plan.confirmed_by,
                    "message_channel": plan.message_channel or plan.channel_id,
                    "thread_ts": plan.message_ts,
                    "next_poll_at": None,
                    "state_reason": None,
                },
            )
            row = get_request(session, request_id=step.id) if won else None
            claimed = snapshot(row) if row is not None else None
        if claimed is None:
            return False  # another process took this step
        assert claimed.transfer_id is not None
        try:
            team: DtsTeamClient = self.d.team_client(claimed.slack_team_id)
            backfill: Backfill = team.create_backfill(
                transfer_id=claimed.transfer_id,
                range_start=claimed.range_start,
                range_end=claimed.range_end,
            )
        except _REFUSED as exc:
            with self.d.session() as session:
                transition(
                    session,
                    request_id=claimed.id,
                    expected=RequestState.SUBMITTING,
                    to=RequestState.REJECTED,
                    actor=ACTOR,
                    now=self.d.now(),
                    announce=True,
                    reason=error_text(exc),
                )
            self.d.flush_announcements(claimed.id)
            return False
        except BotError as exc:
            self.requeue(
                claimed,
                error_text(exc),
                retry_after=_retry_after(exc, self.d.settings.poll_min_seconds),
            )
            return False
        self.submission.record_submitted(
            claimed, backfill, by=ACTOR, confirmed_by=claimed.confirmed_by or claimed.user_id
        )
        return True

    def requeue(self, step: RequestSnapshot, reason: str, *, retry_after: float) -> bool:
        """SUBMITTING → QUEUED: the create failed for now (or a dead process left it and
        Supermetrics has no such backfill); the next advance tries again."""
        with self.d.session() as session:
            return transition(
                session,
                request_id=step.id,
                expected=RequestState.SUBMITTING,
                to=RequestState.QUEUED,
                actor=ACTOR,
                now=self.d.now(),
                reason=reason,
                values={"next_poll_at": self.d.now() + timedelta(seconds=retry_after)},
            )

    def requeue_stuck(self, step: RequestSnapshot) -> bool | None:
        """Recovery found no backfill for a request left SUBMITTING: a plan's step goes
        back to QUEUED (None: not a step, recovery's own Retry applies)."""
        with self.d.session() as session:
            plan_id = plan_id_of(session, request_id=step.id)
        if plan_id is None or plan_id == step.id:
            return None
        return self.requeue(step, "The submission was interrupted; trying again.", retry_after=0.0)

    def _finish_if_done(self, plan_id: int) -> None:
        """Every step over: the plan ends (announced once: the requester is mentioned)."""
        with self.d.session() as session:
            rows = load_plan(session, plan_request_id=plan_id)
            if rows is None or rows.plan.state is not RequestState.QUEUED:
                return
            states = [step.state for step in rows.steps]
            if not all(state in STEP_DONE for state in states):
                return
            if any(state is RequestState.CANCELLED for state in states):
                end = RequestState.CANCELLED
            elif all(state is RequestState.COMPLETED for state in states):
                end = RequestState.COMPLETED
            else:
                end = RequestState.FAILED
            won = transition(
                session,
                request_id=plan_id,
                expected=RequestState.QUEUED,
                to=end,
                actor=ACTOR,
                now=self.d.now(),
                announce=True,
                values={
                    "runs_total": sum(step.runs_total or 0 for step in rows.steps),
                    "runs_completed": sum(step.runs_completed or 0 for step in rows.steps),
                    "runs_failed": sum(step.runs_failed or 0 for step in rows.steps),
                },
                payload={"plan": True},
            )
        if won:
            self.d.flush_announcements(plan_id)


def _blocker(incomplete: list[Backfill], transfer_id: int, start: date, end: date) -> int | None:
    """The newest incomplete backfill of the transfer that overlaps the range."""
    overlapping = [
        b.backfill_id
        for b in incomplete
        if b.transfer_id == transfer_id and b.range_start <= end and b.range_end >= start
    ]
    return max(overlapping) if overlapping else None


def _retry_after(exc: BotError, default: float) -> float:
    if isinstance(exc, DtsRateLimitedError) and exc.retry_after:
        return float(exc.retry_after)
    return max(default, 1.0)
