"""Which FAILED backfills the service closes, and when it leaves them alone."""

from __future__ import annotations

from datetime import date

from bot.errors import SlackApiError
from bot.service import Actor
from bot.store.db import session_scope
from bot.store.models import BackfillRequest, RequestState
from bot.store.queries import list_events, transition
from bot.supermetrics.models import BackfillStatus
from tests.service.conftest import TEAM, ServiceWorld

ALICE = Actor(slack_team_id=TEAM, user_id="U0ALICE", channel_id="C0GEN", tz="UTC")
FAILED_DAYS = [date(2026, 1, 3), date(2026, 1, 4), date(2026, 1, 8)]
TEXT = "transfer 456789 from 2026-01-01 to 2026-01-10"


def _row(world: ServiceWorld, request_id: int) -> BackfillRequest:
    with session_scope(world.session_factory) as session:
        row = session.get(BackfillRequest, request_id)
        assert row is not None
        session.expunge(row)
        return row


def _failed(world: ServiceWorld) -> tuple[int, int]:
    """A request whose backfill FAILED on three days, stored as the tracker would."""
    world.sim.fail_dates(456789, FAILED_DAYS, "Connection timeout")
    reply = world.service.handle_text(actor=ALICE, text=TEXT)
    assert reply.request_id is not None
    world.service.confirm(actor=ALICE, request_id=reply.request_id)
    world.clock.advance(3600)
    [backfill] = world.sim.backfills()
    assert backfill.status is BackfillStatus.FAILED
    with session_scope(world.session_factory) as session:
        assert transition(
            session,
            request_id=reply.request_id,
            expected=RequestState.SUBMITTED,
            to=RequestState.FAILED,
            actor="tracker",
            now=world.clock.now(),
            values={
                "dts_status": "FAILED",
                "error_report": [
                    {"date": e.run_date.isoformat(), "error": e.error}
                    for e in backfill.error_report
                ],
            },
        )
    return reply.request_id, backfill.backfill_id


def _retries(world: ServiceWorld, parent_id: int) -> list[int]:
    world.service.retry_failed_days(actor=ALICE, request_id=parent_id)
    with session_scope(world.session_factory) as session:
        ids = session.query(BackfillRequest.id).filter(BackfillRequest.id != parent_id).all()
    return sorted(i for (i,) in ids)


def _card_text(world: ServiceWorld, request_id: int) -> str:
    row = _row(world, request_id)
    assert row.message_ts is not None
    message = world.notifier.messages[row.message_ts]
    return "\n".join(str(block.get("text", {}).get("text", "")) for block in message["blocks"])


def test_editing_a_retrys_dates_keeps_the_close_on_confirm_warning(world: ServiceWorld) -> None:
    parent_id, backfill_id = _failed(world)
    first, _second = _retries(world, parent_id)
    world.service.edit_dates(
        actor=ALICE, request_id=first, start=date(2026, 1, 2), end=date(2026, 1, 4)
    )
    text = _card_text(world, first)
    assert f"failed in backfill #{backfill_id}" in text
    assert "will be closed (cancelled) when you confirm" in text


def test_a_failed_backfill_already_closed_in_the_hub_is_left_alone(world: ServiceWorld) -> None:
    parent_id, backfill_id = _failed(world)
    first, _second = _retries(world, parent_id)
    world.sim.cancel(backfill_id)
    world.service.confirm(actor=ALICE, request_id=first)
    assert _row(world, first).state == RequestState.SUBMITTED
    assert not any(method == "PATCH" for method, _path in world.sim.calls)
    with session_scope(world.session_factory) as session:
        kinds = [e.kind for e in list_events(session, request_id=parent_id)]
    assert "failed_backfill_closed" not in kinds


def test_only_a_retry_closes_the_failed_backfill(world: ServiceWorld) -> None:
    parent_id, backfill_id = _failed(world)
    reply = world.service.handle_text(
        actor=ALICE, text="transfer 456789 from 2026-01-03 to 2026-01-04"
    )
    assert reply.request_id is not None
    # the FAILED backfill still holds these dates: the request became a one-step plan
    # queued after it, and confirming it does not close it (only a retry does)
    world.service.confirm(actor=ALICE, request_id=reply.request_id)
    assert _row(world, reply.request_id).state == RequestState.QUEUED
    world.service.advance_plans()
    assert _row(world, reply.request_id + 1).state == RequestState.QUEUED  # its step waits
    statuses = {b.backfill_id: b.status for b in world.sim.backfills()}
    assert statuses == {backfill_id: BackfillStatus.FAILED}
    assert _row(world, parent_id).dts_status == "FAILED"


def _thread(world: ServiceWorld, request_id: int) -> list[str]:
    row = _row(world, request_id)
    return [m["text"] for m in world.notifier.messages.values() if m["thread_ts"] == row.message_ts]


def test_the_close_is_said_in_the_parents_thread_once(world: ServiceWorld) -> None:
    parent_id, backfill_id = _failed(world)
    first, _second = _retries(world, parent_id)
    world.service.confirm(actor=ALICE, request_id=first)
    closed = [t for t in _thread(world, parent_id) if "closed it" in t]
    assert closed == [
        f":broom: Backfill #{backfill_id} had finished with errors and still held these dates "
        "at Supermetrics, which refuses overlapping backfills, so I closed it (cancelled) to "
        f"let <@{ALICE.user_id}>'s retry of its failed days run (request #{first}). "
        "The failed days listed above stay as they were."
    ]
    # later flushes (the tracker's) find nothing left to say
    world.clock.advance(60)
    assert world.service.deps.announcer.flush() == 0
    assert len([t for t in _thread(world, parent_id) if "closed it" in t]) == 1


def test_a_slack_failure_on_the_close_reply_is_retried_not_lost(world: ServiceWorld) -> None:
    parent_id, backfill_id = _failed(world)
    world.notifier.fail_with = SlackApiError(error="ratelimited")
    reply = world.service.handle_text(actor=ALICE, text=f"cancel {parent_id}")
    assert "I closed it at Supermetrics" in reply.text
    assert not [t for t in _thread(world, parent_id) if "closed it" in t]
    with session_scope(world.session_factory) as session:
        [event] = [
            e
            for e in list_events(session, request_id=parent_id)
            if e.kind == "failed_backfill_closed"
        ]
        assert event.announced_at is None and event.announce_attempts == 1

    world.clock.advance(60)  # past the announcer's pause after a failure
    assert world.service.deps.announcer.flush() == 1
    assert world.service.deps.announcer.flush() == 0
    assert [t for t in _thread(world, parent_id) if "closed it" in t] == [
        f":broom: Backfill #{backfill_id} had finished with errors; <@{ALICE.user_id}> closed "
        "it (cancelled) at Supermetrics so its dates are free for new backfills. Its failed "
        "days stay recorded above."
    ]
