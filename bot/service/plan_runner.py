"""Running plans: submit each step when its turn comes, exactly once.

``advance`` (the tracker's tick, through ``BackfillService.advance_plans``, and right
after a confirm) submits the steps whose turn has come: the chunk before them final, the
backfill they are queued after final. Each goes through a guarded QUEUED → SUBMITTING
transition, so exactly one process submits a step; a process killed between steps leaves
only rows that the next ``advance`` in any process carries on from. A blocker that ends
FAILED (it keeps its dates at Supermetrics) makes the thread ask, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.errors import (
    BotError,
    DtsForbiddenError,
    DtsNotFoundError,
    DtsRateLimitedError,
    DtsRejectedError,
    DtsUnauthorizedError,
)
from bot.messages.blocks import error_text
from bot.messages.plan_cards import PLAN_BLOCKED
from bot.service.deps import Deps, RequestSnapshot, log, snapshot
from bot.service.submission import Submission
from bot.store.events import add_event
from bot.store.models import BACKFILL_FINAL_STATES, RequestState
from bot.store.plans import (
    load_plan,
    orphaned_step_ids,
    plan_id_of,
    plans_to_advance,
    set_blocker_status,
)
from bot.store.queries import find_request_by_backfill, get_request, transition, update_request
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


class PlanRunner:
    def __init__(self, deps: Deps, submission: Submission) -> None:
        self.d = deps
        self.submission = submission

    def advance_all(self) -> int:
        """Submit every running plan's steps whose turn has come, end finished plans, drop
        the steps of plans that ended unconfirmed; return how many steps were submitted."""
        with self.d.session() as session:
            plan_ids = plans_to_advance(session, now=self.d.now(), done=STEP_DONE)
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

    def _ask(self, session: Session, plan: RequestSnapshot, step_id: int, blocker: int) -> None:
        """The blocker ended FAILED (its dates stay blocked): ask in the thread, once."""
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
            # steps removed before the confirm were never part of what ran
            states = [s for s in states if s is not RequestState.DISMISSED] or states
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


def _retry_after(exc: BotError, default: float) -> float:
    if isinstance(exc, DtsRateLimitedError) and exc.retry_after:
        return float(exc.retry_after)
    return max(default, 1.0)
