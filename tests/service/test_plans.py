"""Plans in the service: resolution and refusals, cancel, a FAILED blocker, recovery of a
step a dead process left SUBMITTING, steps of plans that ended unconfirmed."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import AccessDeniedError, BotError
from bot.service.types import Actor
from bot.store.db import session_scope
from bot.store.models import BackfillRequest, RequestState
from bot.store.plans import PlanRows, load_plan
from bot.store.queries import get_request, list_events, transition
from tests.service.conftest import TEAM, ServiceWorld

ALICE = Actor(slack_team_id=TEAM, user_id="U0ALICE", channel_id="C0PLANS", tz="UTC")
BOB = Actor(slack_team_id=TEAM, user_id="U0BOB", channel_id="C0PLANS", tz="UTC")


def _plan(world: ServiceWorld, plan_id: int = 1) -> PlanRows:
    with session_scope(world.session_factory) as session:
        rows = load_plan(session, plan_request_id=plan_id)
        assert rows is not None
        return rows


def _row(world: ServiceWorld, request_id: int) -> BackfillRequest:
    with session_scope(world.session_factory) as session:
        row = get_request(session, request_id=request_id)
        assert row is not None
        return row


def _advance_until(world: ServiceWorld, done: object) -> None:
    for _ in range(300):
        world.clock.advance(3600)
        world.service.advance_plans()
        # the tracker's part: observe the steps' backfills (poll by hand here)
        _observe(world)
        if done():  # type: ignore[operator]
            return
    raise AssertionError("never happened")


def _observe(world: ServiceWorld) -> None:
    from bot.tracking.recording import record_observation

    team = world.service.deps.team_client(TEAM)
    with session_scope(world.session_factory) as session:
        rows = session.query(BackfillRequest).filter(BackfillRequest.backfill_id.is_not(None)).all()
        for row in rows:
            if row.state.is_final:
                continue
            backfill = team.get_backfill(backfill_id=row.backfill_id or 0)
            record_observation(
                session,
                row=row,
                backfill=backfill,
                quiet_since=world.clock.now(),
                now=world.clock.now(),
                settings=world.service.settings,
            )


def test_unknown_names_in_a_list_are_refused_and_nothing_is_recorded(
    world: ServiceWorld,
) -> None:
    with pytest.raises(BotError) as caught:
        world.service.handle_text(
            actor=ALICE, text="backfill 456789, Snapchat and Pinterest Ads for last week"
        )
    assert '"Snapchat"' in caught.value.user_message
    assert '"Pinterest Ads"' in caught.value.user_message
    with session_scope(world.session_factory) as session:
        assert get_request(session, request_id=1) is None
    assert world.sim.backfills() == []


def test_all_matching_transfers_become_one_step_each(world: ServiceWorld) -> None:
    world.service.handle_text(actor=ALICE, text="backfill all daily transfers for last week")
    rows = _plan(world)
    assert [(s.transfer_id, s.transfer_name) for s in rows.steps] == [
        (456789, "Facebook Ads - daily"),
        (456792, "FB ads - daily"),
    ]
    assert rows.plan.state is RequestState.PENDING
    assert rows.plan.days == 14  # the plan's total days (approvals weigh the whole plan)
    assert all(s.state is RequestState.QUEUED for s in rows.steps)
    card = world.notifier.messages[rows.plan.message_ts or ""]
    assert "Facebook Ads - daily (#456789)" in str(card) and "FB ads - daily (#456792)" in str(card)


def test_cancel_cancels_the_running_step_and_drops_the_waiting_one(world: ServiceWorld) -> None:
    world.service.handle_text(actor=ALICE, text="transfer 456789 from 2024-01-01 to 2025-12-31")
    world.service.confirm(actor=ALICE, request_id=1)
    first, second = _plan(world).steps
    assert first.state is RequestState.SUBMITTED and second.state is RequestState.QUEUED
    with pytest.raises(AccessDeniedError):
        world.service.cancel_backfill(actor=BOB, request_id=1)
    world.service.cancel_backfill(actor=ALICE, request_id=1)
    rows = _plan(world)
    assert [s.state for s in rows.steps] == [RequestState.CANCELLED, RequestState.CANCELLED]
    assert rows.plan.state is RequestState.CANCELLED
    [backfill] = world.sim.backfills()
    assert backfill.status.value == "CANCELLED"
    world.service.advance_plans()
    assert len(world.sim.backfills()) == 1  # the dropped step is never submitted


def test_a_failed_blocker_asks_once_then_cancel_and_submit(world: ServiceWorld) -> None:
    world.sim.fail_dates(456789, [date(2026, 1, 25)], "Connection timeout")
    blocker = world.sim.create(
        team_id=1, transfer_id=456789, range_start=date(2026, 1, 20), range_end=date(2026, 1, 31)
    )
    world.service.handle_text(actor=ALICE, text="transfers 456789 and 456790 for last month")
    world.service.confirm(actor=ALICE, request_id=1)
    plan = _plan(world)
    waiting = plan.steps[0]
    assert plan.links[0].blocked_by_backfill_id == blocker.backfill_id

    def blocked() -> bool:
        return _plan(world).links[0].blocker_status == "FAILED"

    _advance_until(world, blocked)
    for _ in range(3):
        world.clock.advance(60)
        world.service.advance_plans()
    assert _row(world, waiting.id).state is RequestState.QUEUED
    with session_scope(world.session_factory) as session:
        asks = [e for e in list_events(session, request_id=1) if e.kind == "plan_blocked"]
    assert len(asks) == 1  # asked once, however many ticks pass
    thread = [p.text for p in world.notifier.posts if p.thread_ts == plan.plan.message_ts]
    assert sum(f"backfill #{blocker.backfill_id}, which ended FAILED" in t for t in thread) == 1

    # the blocker was started outside Slack: only an admin may cancel it
    with pytest.raises(AccessDeniedError):
        world.service.cancel_blockers_and_confirm(actor=ALICE, request_id=1)
    admin = Actor(slack_team_id=TEAM, user_id="U0ADMIN", channel_id="C0PLANS", is_admin=True)
    world.service.cancel_blockers_and_confirm(actor=admin, request_id=1)
    step = _row(world, waiting.id)
    assert step.state is RequestState.SUBMITTED
    created = next(b for b in world.sim.backfills() if b.backfill_id == step.backfill_id)
    assert (created.range_start, created.range_end) == (date(2026, 1, 1), date(2026, 1, 31))


def test_recovery_puts_a_step_left_submitting_back_in_its_queue(world: ServiceWorld) -> None:
    world.service.handle_text(actor=ALICE, text="transfer 456789 from 2024-01-01 to 2025-12-31")
    world.service.confirm(actor=ALICE, request_id=1)
    _first, second = _plan(world).steps
    # a process claimed the second step and died before its create
    with session_scope(world.session_factory) as session:
        assert transition(
            session,
            request_id=second.id,
            expected=RequestState.QUEUED,
            to=RequestState.SUBMITTING,
            actor="plan",
            now=world.clock.now(),
        )
    world.clock.advance(600)
    assert world.service.recover_stuck_submissions(older_than_seconds=60) == 1
    assert _row(world, second.id).state is RequestState.QUEUED
    assert len(world.sim.backfills()) == 1


def test_steps_of_a_plan_that_ended_unconfirmed_are_dropped(world: ServiceWorld) -> None:
    world.service.handle_text(actor=ALICE, text="transfers 456789 and 456790 for last week")
    world.service.dismiss(actor=ALICE, request_id=1)
    world.service.advance_plans()
    rows = _plan(world)
    assert rows.plan.state is RequestState.DISMISSED
    assert [s.state for s in rows.steps] == [RequestState.DISMISSED, RequestState.DISMISSED]
    assert world.sim.backfills() == []
