"""Requests left SUBMITTING by a process that died in the create call are recovered."""

from __future__ import annotations

import threading
from datetime import date

from bot.messages import ids
from bot.service import Actor
from bot.service.recovery import INTERRUPTED
from bot.store.db import session_scope
from bot.store.models import BackfillRequest, RequestState
from bot.store.queries import list_events, transition
from tests.service.conftest import TEAM, ServiceWorld

ALICE = Actor(slack_team_id=TEAM, user_id="U0ALICE", channel_id="C0GEN", tz="UTC")
JANUARY = (date(2026, 1, 1), date(2026, 1, 31))


def _stuck(world: ServiceWorld, text: str = "transfer 456789 for last month") -> int:
    """A confirmed request whose process died before it recorded the create's answer."""
    reply = world.service.handle_text(actor=ALICE, text=text)
    assert reply.request_id is not None
    with session_scope(world.session_factory) as session:
        assert transition(
            session,
            request_id=reply.request_id,
            expected=RequestState.PENDING,
            to=RequestState.SUBMITTING,
            actor=ALICE.user_id,
            now=world.clock.now(),
            values={"confirmed_by": ALICE.user_id},
        )
    return reply.request_id


def _row(world: ServiceWorld, request_id: int) -> BackfillRequest:
    with session_scope(world.session_factory) as session:
        row = session.get(BackfillRequest, request_id)
        assert row is not None
        session.expunge(row)
        return row


def _card(world: ServiceWorld, request_id: int) -> dict[str, object]:
    row = _row(world, request_id)
    assert row.message_ts is not None
    return world.notifier.messages[row.message_ts]


def _action_ids(message: dict[str, object]) -> list[str]:
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    return [
        element["action_id"]
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def test_a_backfill_that_was_created_is_recorded_and_announced(world: ServiceWorld) -> None:
    request_id = _stuck(world)
    world.clock.advance(20)
    made = world.sim.create(456789, *JANUARY)  # the create landed; its answer was lost
    world.clock.advance(60)
    assert world.service.recover_stuck_submissions() == 0  # not old enough yet
    assert _row(world, request_id).state == RequestState.SUBMITTING

    world.clock.advance(60)
    assert world.service.recover_stuck_submissions() == 1
    row = _row(world, request_id)
    assert (row.state, row.backfill_id, row.confirmed_by) == (
        RequestState.SUBMITTED,
        made.backfill_id,
        ALICE.user_id,
    )
    assert row.next_poll_at is not None  # the tracker takes it from here
    card = _card(world, request_id)
    assert ids.ACTION_CANCEL_BACKFILL in _action_ids(card)
    replies = [m for m in world.notifier.messages.values() if m["thread_ts"] == row.message_ts]
    assert len(replies) == 1 and f"#{made.backfill_id}" in replies[0]["text"]
    with session_scope(world.session_factory) as session:
        [event] = [
            e for e in list_events(session, request_id=request_id) if e.to_state == "SUBMITTED"
        ]
        assert event.actor == "recovery" and event.announced_at is not None
    assert len(world.sim.backfills()) == 1  # nothing was created again
    assert world.service.recover_stuck_submissions() == 0


def test_no_backfill_means_back_to_pending_with_retry(world: ServiceWorld) -> None:
    request_id = _stuck(world)
    world.clock.advance(121)
    assert world.service.recover_stuck_submissions() == 1
    row = _row(world, request_id)
    assert (row.state, row.state_reason, row.confirmed_by) == (
        RequestState.PENDING,
        INTERRUPTED,
        None,
    )
    card = _card(world, request_id)
    assert ids.ACTION_RETRY_SUBMIT in _action_ids(card)
    assert "interrupted" in str(card["text"])
    # Retry submits it as usual
    world.service.confirm(actor=ALICE, request_id=request_id)
    assert _row(world, request_id).state == RequestState.SUBMITTED
    assert len(world.sim.backfills()) == 1


def test_a_backfill_of_another_request_is_not_taken(world: ServiceWorld) -> None:
    first = world.service.handle_text(actor=ALICE, text="transfer 456789 for last month")
    assert first.request_id is not None
    world.service.confirm(actor=ALICE, request_id=first.request_id)
    theirs = _row(world, first.request_id).backfill_id
    assert theirs is not None
    request_id = _stuck(world)  # same transfer, same range
    world.clock.advance(300)
    assert world.service.recover_stuck_submissions(older_than_seconds=60) == 1
    row = _row(world, request_id)
    assert (row.state, row.backfill_id) == (RequestState.PENDING, None)


def test_look_up_trouble_leaves_it_for_the_next_pass(world: ServiceWorld) -> None:
    request_id = _stuck(world)
    world.clock.advance(20)
    world.sim.create(456789, *JANUARY)
    world.clock.advance(200)
    world.sim.inject("500")
    assert world.service.recover_stuck_submissions() == 0
    assert _row(world, request_id).state == RequestState.SUBMITTING
    assert world.service.recover_stuck_submissions() == 1
    assert _row(world, request_id).state == RequestState.SUBMITTED


def test_two_recoverers_at_once_move_each_request_once(world: ServiceWorld) -> None:
    found = _stuck(world)
    world.clock.advance(5)
    world.sim.create(456789, *JANUARY)
    missing = _stuck(world, "transfer 456790 for last month")
    world.clock.advance(200)
    barrier = threading.Barrier(2, timeout=10)
    moved: list[int] = []

    def recover() -> None:
        barrier.wait()
        moved.append(world.service.recover_stuck_submissions())

    threads = [threading.Thread(target=recover) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(moved) == 2
    assert _row(world, found).state == RequestState.SUBMITTED
    assert _row(world, missing).state == RequestState.PENDING
    with session_scope(world.session_factory) as session:
        for request_id in (found, missing):
            recovered = [
                e
                for e in list_events(session, request_id=request_id)
                if e.actor == "recovery" and e.kind == "state"
            ]
            assert len(recovered) == 1
