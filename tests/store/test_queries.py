"""Store functions on SQLite and PostgreSQL: requests, transitions, events, expiry, leases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.errors import NotFoundError
from bot.store.db import session_scope
from bot.store.models import FINAL_STATES, TRACKED_STATES, RequestState
from bot.store.queries import (
    add_event,
    claim_due,
    configure_workspace,
    ensure_workspace,
    expire_pending,
    find_request_by_backfill,
    find_request_by_message,
    get_request,
    get_workspace,
    list_events,
    list_requests,
    mark_announced,
    pending_announcements,
    record_announce_failure,
    release,
    set_workspace_token,
    transition,
    update_request,
)
from tests.store.conftest import NOW, Database
from tests.store.helpers import new_request, tracked_request


def test_state_sets() -> None:
    assert {s.value for s in TRACKED_STATES} == {"SUBMITTED", "CREATED", "SCHEDULED", "RUNNING"}
    assert not TRACKED_STATES & FINAL_STATES
    assert RequestState.EXPIRED.is_final and not RequestState.RUNNING.is_final


def test_workspace_create_configure_and_token(db: Database) -> None:
    with session_scope(db.factory) as session:
        first = ensure_workspace(session, slack_team_id="T0001", now=NOW)
        again = ensure_workspace(session, slack_team_id="T0001", now=NOW + timedelta(hours=1))
        assert first is again
        configure_workspace(
            session,
            slack_team_id="T0001",
            now=NOW,
            admins=["U1", "U2", "U1"],
            allowed_channels=["C9"],
            date_order="DMY",
            max_days=90,
        )
        set_workspace_token(
            session,
            slack_team_id="T0001",
            supermetrics_team_id=12345,
            token_ciphertext=b"ciphertext",
            set_by="U1",
            now=NOW,
        )
    with session_scope(db.factory) as session:
        workspace = get_workspace(session, slack_team_id="T0001")
        assert workspace is not None
        assert workspace.admins == ["U1", "U2"]
        assert workspace.allowed_users == []
        assert workspace.allowed_channels == ["C9"]
        assert (workspace.date_order, workspace.max_days) == ("DMY", 90)
        assert workspace.supermetrics_team_id == 12345
        assert workspace.token_set_at == NOW
        assert "ciphertext" not in repr(workspace)
        workspace.admins.append("U3")  # in-place changes to JSON lists are saved
    with session_scope(db.factory) as session:
        workspace = get_workspace(session, slack_team_id="T0001")
        assert workspace is not None and workspace.admins == ["U1", "U2", "U3"]
        assert get_workspace(session, slack_team_id="T9999") is None


def test_create_request_records_pending_and_an_event(db: Database) -> None:
    with session_scope(db.factory) as session:
        request_id = new_request(session, now=NOW).id
    with session_scope(db.factory) as session:
        request = get_request(session, request_id=request_id)
        assert request is not None
        assert request.state is RequestState.PENDING
        assert request.version == 1
        assert request.notes == ["Read last January as 2024-01-01..2024-01-31."]
        assert request.created_at == NOW and request.expires_at == NOW + timedelta(hours=24)
        assert get_workspace(session, slack_team_id="T0001") is not None
        [event] = list_events(session, request_id=request_id)
        assert (event.kind, event.to_state, event.actor) == ("created", "PENDING", "U0001")


def test_transition_wins_once_and_records_the_move(db: Database) -> None:
    with session_scope(db.factory) as session:
        request = new_request(session, now=NOW)
        request_id = request.id
        later = NOW + timedelta(minutes=1)
        assert transition(
            session,
            request_id=request_id,
            expected=RequestState.PENDING,
            to=RequestState.SUBMITTING,
            actor="U0002",
            now=later,
            values={"confirmed_by": "U0002"},
        )
        # the cached object reloads: no stale state after a Core UPDATE
        assert request.state is RequestState.SUBMITTING
        assert request.confirmed_by == "U0002" and request.version == 2
        assert not transition(
            session,
            request_id=request_id,
            expected=RequestState.PENDING,
            to=RequestState.DISMISSED,
            actor="U0001",
            now=later,
        )
    with session_scope(db.factory) as session:
        request = get_request(session, request_id=request_id)
        assert request is not None
        assert request.state is RequestState.SUBMITTING and request.updated_at == later
        events = list_events(session, request_id=request_id)
        assert [(e.kind, e.from_state, e.to_state) for e in events] == [
            ("created", None, "PENDING"),
            ("state", "PENDING", "SUBMITTING"),
        ]
        assert events[1].actor == "U0002"


def test_transition_from_several_states_reports_the_real_one(db: Database) -> None:
    with session_scope(db.factory) as session:
        request_id = tracked_request(session, now=NOW, backfill_id=77).id
        assert transition(
            session,
            request_id=request_id,
            expected=[RequestState.CREATED, RequestState.SCHEDULED, RequestState.SUBMITTED],
            to=RequestState.FAILED,
            actor="tracker",
            now=NOW,
            reason="3 of 31 days failed",
            announce=True,
            payload={"runs_failed": 3},
        )
        request = get_request(session, request_id=request_id)
        assert request is not None
        assert request.state_reason == "3 of 31 days failed"
        assert request.finished_at == NOW and request.submitted_at == NOW
        last = list_events(session, request_id=request_id)[-1]
        assert (last.from_state, last.to_state) == ("SUBMITTED", "FAILED")
        assert last.payload == {"runs_failed": 3, "reason": "3 of 31 days failed"}
        assert last.needs_announcement


def test_guarded_field_update_with_expected_equal_to_target(db: Database) -> None:
    with session_scope(db.factory) as session:
        request_id = tracked_request(session, now=NOW, backfill_id=5).id
        assert transition(
            session,
            request_id=request_id,
            expected=RequestState.SUBMITTED,
            to=RequestState.SUBMITTED,
            actor="tracker",
            now=NOW,
            values={"runs_total": 31, "runs_completed": 4},
        )
        request = get_request(session, request_id=request_id)
        assert request is not None and (request.runs_total, request.runs_completed) == (31, 4)


def test_update_request_refuses_state_and_unknown_columns(db: Database) -> None:
    with session_scope(db.factory) as session:
        request_id = new_request(session, now=NOW).id
        with pytest.raises(ValueError, match="transition"):
            update_request(
                session, request_id=request_id, now=NOW, values={"state": RequestState.EXPIRED}
            )
        with pytest.raises(ValueError, match="no column"):
            update_request(session, request_id=request_id, now=NOW, values={"colour": "red"})
        with pytest.raises(ValueError, match="transition"):
            transition(
                session,
                request_id=request_id,
                expected=RequestState.PENDING,
                to=RequestState.DISMISSED,
                actor="x",
                now=NOW,
                values={"version": 99},
            )
        update_request(
            session,
            request_id=request_id,
            now=NOW,
            values={"message_channel": "C0001", "message_ts": "1700000000.000100"},
        )
        with pytest.raises(NotFoundError):
            update_request(session, request_id=999_999, now=NOW, values={"thread_ts": "1.2"})
    with session_scope(db.factory) as session:
        found = find_request_by_message(session, channel_id="C0001", message_ts="1700000000.000100")
        assert found is not None and found.id == request_id
        assert found.state is RequestState.PENDING and found.version == 2
        assert find_request_by_message(session, channel_id="C0002", message_ts="1") is None


def test_lookup_by_backfill_and_listing(db: Database) -> None:
    big_backfill_id = 2**40 + 7  # ids are int64 in the API
    with session_scope(db.factory) as session:
        first = new_request(session, now=NOW).id
        second = tracked_request(
            session, now=NOW + timedelta(seconds=1), backfill_id=big_backfill_id
        ).id
        third = new_request(session, now=NOW + timedelta(seconds=2), team="T0002").id
    with session_scope(db.factory) as session:
        found = find_request_by_backfill(
            session, slack_team_id="T0001", backfill_id=big_backfill_id
        )
        assert found is not None and found.id == second and found.backfill_id == big_backfill_id
        assert (
            find_request_by_backfill(session, slack_team_id="T0002", backfill_id=big_backfill_id)
            is None
        )
        assert [r.id for r in list_requests(session, slack_team_id="T0001")] == [second, first]
        assert [r.id for r in list_requests(session, slack_team_id="T0001", limit=1)] == [second]
        tracked = list_requests(session, slack_team_id="T0001", states=TRACKED_STATES)
        assert [r.id for r in tracked] == [second]
        assert [r.id for r in list_requests(session, slack_team_id="T0002")] == [third]


def test_expire_pending_moves_only_overdue_pending_requests(db: Database) -> None:
    with session_scope(db.factory) as session:
        overdue = new_request(session, now=NOW, expires_in=timedelta(minutes=5)).id
        fresh = new_request(session, now=NOW, expires_in=timedelta(hours=1)).id
        confirmed = new_request(session, now=NOW, expires_in=timedelta(minutes=5)).id
        assert transition(
            session,
            request_id=confirmed,
            expected=RequestState.PENDING,
            to=RequestState.SUBMITTING,
            actor="U1",
            now=NOW,
        )
    later = NOW + timedelta(minutes=10)
    with session_scope(db.factory) as session:
        assert expire_pending(session, now=later) == [overdue]
    with session_scope(db.factory) as session:
        assert expire_pending(session, now=later) == []
        states = {
            rid: get_request(session, request_id=rid).state  # type: ignore[union-attr]
            for rid in (overdue, fresh, confirmed)
        }
        assert states == {
            overdue: RequestState.EXPIRED,
            fresh: RequestState.PENDING,
            confirmed: RequestState.SUBMITTING,
        }
        last = list_events(session, request_id=overdue)[-1]
        assert (last.to_state, last.actor) == ("EXPIRED", "expiry")


def test_announcements_are_pending_until_marked_once(db: Database) -> None:
    with session_scope(db.factory) as session:
        request_id = tracked_request(session, now=NOW, backfill_id=9).id
        other_id = tracked_request(session, now=NOW, backfill_id=10).id
        for rid, to in ((request_id, RequestState.RUNNING), (other_id, RequestState.SCHEDULED)):
            assert transition(
                session,
                request_id=rid,
                expected=RequestState.SUBMITTED,
                to=to,
                actor="tracker",
                now=NOW,
                announce=True,
            )
        progress = add_event(
            session,
            request_id=request_id,
            kind="progress",
            actor="tracker",
            now=NOW,
            payload={"runs_completed": 3, "runs_failed": 0, "runs_total": 31},
            needs_announcement=True,
        )
        session.flush()  # events are written with the session's next flush
        progress_id = progress.id
    with session_scope(db.factory) as session:
        pending = pending_announcements(session)
        assert [e.kind for e in pending] == ["state", "state", "progress"]
        assert [e.id for e in pending] == sorted(e.id for e in pending)
        mine = pending_announcements(session, request_id=request_id)
        assert [(e.kind, e.to_state) for e in mine] == [("state", "RUNNING"), ("progress", None)]
        assert len(pending_announcements(session, limit=1)) == 1
        assert record_announce_failure(session, event_id=progress_id) == 1
        assert record_announce_failure(session, event_id=progress_id) == 2
    with session_scope(db.factory) as session:
        assert mark_announced(session, event_id=progress_id, now=NOW)
    with session_scope(db.factory) as session:
        assert not mark_announced(session, event_id=progress_id, now=NOW + timedelta(seconds=1))
        remaining = pending_announcements(session, request_id=request_id)
        assert [e.to_state for e in remaining] == ["RUNNING"]
        marked = [e for e in list_events(session, request_id=request_id) if e.id == progress_id]
        assert marked[0].announced_at == NOW and marked[0].announce_attempts == 2


def test_claim_due_leases_and_hands_over_after_expiry(db: Database) -> None:
    with session_scope(db.factory) as session:
        ids = [tracked_request(session, now=NOW, backfill_id=100 + i).id for i in range(4)]
        update_request(
            session, request_id=ids[3], now=NOW, values={"next_poll_at": NOW + timedelta(hours=1)}
        )
        update_request(session, request_id=ids[2], now=NOW, values={"tracking_paused": True})

    with session_scope(db.factory) as session:
        first = claim_due(session, now=NOW, owner="worker-a", lease_seconds=60, limit=1)
    with session_scope(db.factory) as session:
        second = claim_due(session, now=NOW, owner="worker-b", lease_seconds=60, limit=10)
    with session_scope(db.factory) as session:
        assert claim_due(session, now=NOW, owner="worker-c", lease_seconds=60, limit=10) == []
    assert [r.id for r in first] == [ids[0]]
    # not-yet-due rows are left alone; paused ones are still looked at when due
    assert [r.id for r in second] == [ids[1], ids[2]]
    assert first[0].lease_owner == "worker-a"
    assert first[0].lease_expires_at == NOW + timedelta(seconds=60)

    # worker-a dies; after its lease runs out worker-c takes the row over
    later = NOW + timedelta(seconds=61)
    with session_scope(db.factory) as session:
        taken = claim_due(session, now=later, owner="worker-c", lease_seconds=60, limit=10)
        assert sorted(r.id for r in taken) == [ids[0], ids[1], ids[2]]
    with session_scope(db.factory) as session:
        # the dead owner can no longer release (and so cannot reschedule) the row
        assert not release(session, request_id=ids[0], owner="worker-a", next_poll_at=later)
        assert release(
            session, request_id=ids[0], owner="worker-c", next_poll_at=later + timedelta(seconds=30)
        )
        request = get_request(session, request_id=ids[0])
        assert request is not None
        assert request.lease_owner is None and request.lease_expires_at is None
        assert request.next_poll_at == later + timedelta(seconds=30)
    with session_scope(db.factory) as session:
        assert claim_due(session, now=later, owner="worker-d", lease_seconds=60, limit=10) == []
        again = claim_due(
            session, now=later + timedelta(seconds=30), owner="worker-d", lease_seconds=60, limit=10
        )
        assert [r.id for r in again] == [ids[0]]


def test_claim_due_skips_final_requests(db: Database) -> None:
    with session_scope(db.factory) as session:
        request_id = tracked_request(session, now=NOW, backfill_id=1).id
        assert transition(
            session,
            request_id=request_id,
            expected=TRACKED_STATES,
            to=RequestState.COMPLETED,
            actor="tracker",
            now=NOW,
        )
        assert claim_due(session, now=NOW, owner="w", lease_seconds=60, limit=10) == []


def test_dates_in_json_are_stored_as_iso_strings(db: Database) -> None:
    with session_scope(db.factory) as session:
        request_id = tracked_request(session, now=NOW, backfill_id=3).id
        assert transition(
            session,
            request_id=request_id,
            expected=RequestState.SUBMITTED,
            to=RequestState.FAILED,
            actor="tracker",
            now=NOW,
            values={"error_report": [{"date": date(2024, 1, 3), "error": "quota exceeded"}]},
            payload={"error_report": [{"date": date(2024, 1, 3), "error": "quota exceeded"}]},
        )
    with session_scope(db.factory) as session:
        request = get_request(session, request_id=request_id)
        assert request is not None
        assert request.error_report == [{"date": "2024-01-03", "error": "quota exceeded"}]
        last = list_events(session, request_id=request_id)[-1]
        assert last.payload["error_report"][0]["date"] == "2024-01-03"
