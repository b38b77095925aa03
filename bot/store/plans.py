"""Plans in the store: a plan is the request whose card was confirmed; each step is a
request of its own, linked by a ``plan_steps`` row. Steps change state only through
``queries.transition`` like any request, so a step is submitted by exactly one process.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from bot.store.models import BackfillRequest, PlanStep, RequestState
from bot.store.queries import create_request


@dataclass(frozen=True)
class NewStep:
    transfer_id: int
    transfer_name: str | None
    range_start: date
    range_end: date
    after: int | None  # index of the step that must be final first
    blocked_by_backfill_id: int | None = None


@dataclass
class PlanRows:
    """A plan's request and its steps (requests and links, in position order)."""

    plan: BackfillRequest
    steps: list[BackfillRequest]
    links: list[PlanStep]


def add_steps(
    session: Session, *, plan: BackfillRequest, steps: Sequence[NewStep], now: datetime
) -> list[int]:
    """Record the steps of a PENDING plan, each a QUEUED request; return their ids."""
    ids: list[int] = []
    for position, step in enumerate(steps):
        row = create_request(
            session,
            slack_team_id=plan.slack_team_id,
            channel_id=plan.channel_id,
            user_id=plan.user_id,
            user_tz=plan.user_tz,
            text=f"step {position + 1} of request #{plan.id}",
            transfer_id=step.transfer_id,
            transfer_name=step.transfer_name,
            range_start=step.range_start,
            range_end=step.range_end,
            days=(step.range_end - step.range_start).days + 1,
            notes=(),
            now=now,
            expires_at=plan.expires_at,
        )
        # straight to QUEUED: a step is never confirmed on its own (no card, no expiry)
        row.state = RequestState.QUEUED
        session.flush()
        session.add(
            PlanStep(
                plan_request_id=plan.id,
                request_id=row.id,
                position=position,
                after_request_id=ids[step.after] if step.after is not None else None,
                blocked_by_backfill_id=step.blocked_by_backfill_id,
                created_at=now,
            )
        )
        ids.append(row.id)
    session.flush()
    return ids


def plan_id_of(session: Session, *, request_id: int) -> int | None:
    """The plan a request belongs to (itself when it is a plan), or None."""
    return session.scalars(
        select(PlanStep.plan_request_id).where(
            (PlanStep.request_id == request_id) | (PlanStep.plan_request_id == request_id)
        )
    ).first()


def load_plan(session: Session, *, plan_request_id: int) -> PlanRows | None:
    plan = session.get(BackfillRequest, plan_request_id, populate_existing=True)
    if plan is None:
        return None
    links = list(
        session.scalars(
            select(PlanStep)
            .where(PlanStep.plan_request_id == plan_request_id)
            .order_by(PlanStep.position)
            .execution_options(populate_existing=True)
        )
    )
    if not links:
        return None
    by_id = {
        row.id: row
        for row in session.scalars(
            select(BackfillRequest)
            .where(BackfillRequest.id.in_([link.request_id for link in links]))
            .execution_options(populate_existing=True)
        )
    }
    return PlanRows(plan=plan, steps=[by_id[link.request_id] for link in links], links=links)


def plan_of(session: Session, *, request_id: int) -> PlanRows | None:
    """The plan of a request (a plan or one of its steps), or None for a plain request."""
    plan_id = plan_id_of(session, request_id=request_id)
    return None if plan_id is None else load_plan(session, plan_request_id=plan_id)


def plans_to_advance(
    session: Session, *, now: datetime, done: Collection[RequestState], limit: int = 200
) -> list[int]:
    """Confirmed plans worth a look this tick: a waiting step whose chunk before it is
    over and whose blocker (if one of ours) is over, or no step left unfinished.

    One query, so a tick with many plans that are simply running stays cheap; the
    runner re-checks everything under its own guarded transitions."""
    step = aliased(BackfillRequest)
    plan = aliased(BackfillRequest)
    before = aliased(BackfillRequest)
    blocker = aliased(BackfillRequest)
    done_states = list(done)
    blocker_running = (
        select(blocker.id)
        .where(
            blocker.slack_team_id == plan.slack_team_id,
            blocker.backfill_id == PlanStep.blocked_by_backfill_id,
            blocker.id != step.id,
            blocker.state.not_in(done_states),
        )
        .exists()
    )
    ready = (
        select(PlanStep.plan_request_id)
        .join(step, step.id == PlanStep.request_id)
        .join(plan, plan.id == PlanStep.plan_request_id)
        .outerjoin(before, before.id == PlanStep.after_request_id)
        .where(
            plan.state == RequestState.QUEUED,
            step.state == RequestState.QUEUED,
            or_(step.next_poll_at.is_(None), step.next_poll_at <= now),
            or_(PlanStep.after_request_id.is_(None), before.state.in_(done_states)),
            or_(PlanStep.blocker_status.is_(None), PlanStep.blocker_status != "FAILED"),
            or_(
                PlanStep.blocked_by_backfill_id.is_(None),
                PlanStep.blocker_status == "DONE",
                ~blocker_running,
            ),
        )
    )
    unfinished = (
        select(step.id)
        .join(PlanStep, PlanStep.request_id == step.id)
        .where(PlanStep.plan_request_id == plan.id, step.state.not_in(done_states))
        .exists()
    )
    finished = select(plan.id).where(
        plan.state == RequestState.QUEUED,
        plan.id.in_(select(PlanStep.plan_request_id)),
        ~unfinished,
    )
    ids = set(session.scalars(ready.limit(limit))) | set(session.scalars(finished.limit(limit)))
    return sorted(ids)


def orphaned_step_ids(session: Session, *, limit: int = 200) -> list[int]:
    """QUEUED steps of plans that ended without them (dismissed, expired, cancelled)."""
    waiting = [RequestState.PENDING, RequestState.AWAITING_APPROVAL, RequestState.QUEUED]
    plan = select(BackfillRequest.id).where(BackfillRequest.state.not_in(waiting))
    query = (
        select(PlanStep.request_id)
        .join(BackfillRequest, BackfillRequest.id == PlanStep.request_id)
        .where(
            BackfillRequest.state == RequestState.QUEUED,
            PlanStep.plan_request_id.in_(plan),
        )
        .limit(limit)
    )
    return list(session.scalars(query))


def set_blocker_status(session: Session, *, request_id: int, status: str | None) -> None:
    link = session.scalars(select(PlanStep).where(PlanStep.request_id == request_id)).one()
    link.blocker_status = status
    session.flush()


def release_blocker(session: Session, *, plan_request_id: int, backfill_id: int) -> None:
    """The backfill no longer holds its dates (cancelled): steps behind it may go."""
    for link in session.scalars(
        select(PlanStep).where(
            PlanStep.plan_request_id == plan_request_id,
            PlanStep.blocked_by_backfill_id == backfill_id,
        )
    ):
        link.blocker_status = "DONE"
    session.flush()
