"""Store functions: keyword-only, session first; none of them commits (``session_scope`` does).

A request's state changes only through :func:`transition`, a conditional UPDATE that
reports whether it won, so a double click, a Slack retry or a second process can never
move a request twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session

from bot.errors import NotFoundError
from bot.store.events import (
    add_event,
    mark_announced,
    pending_announcements,
    record_announce_failure,
)
from bot.store.models import (
    FINAL_STATES,
    TRACKED_STATES,
    BackfillRequest,
    RequestEvent,
    RequestState,
)
from bot.store.statements import expire_cached, is_postgres, rowcount
from bot.store.workspaces import (
    configure_workspace,
    ensure_workspace,
    get_workspace,
    list_workspaces,
    set_policy,
    set_workspace_token,
)

# workspace and event functions live in their own modules; every store function the
# other parts call is importable from here
__all__ = [
    "add_event",
    "claim_due",
    "configure_workspace",
    "create_request",
    "ensure_workspace",
    "expire_pending",
    "find_request_by_backfill",
    "find_request_by_message",
    "get_request",
    "get_workspace",
    "list_events",
    "list_requests",
    "list_stuck_submissions",
    "list_workspaces",
    "mark_announced",
    "pending_announcements",
    "record_announce_failure",
    "refresh_request",
    "release",
    "set_policy",
    "set_workspace_token",
    "team_events",
    "transition",
    "update_request",
]

# columns only the store itself may write
_PROTECTED = frozenset({"id", "state", "version", "created_at", "updated_at"})
_REQUEST_COLUMNS = frozenset(BackfillRequest.__table__.columns.keys())


# --- requests --------------------------------------------------------------------------


def create_request(
    session: Session,
    *,
    slack_team_id: str,
    channel_id: str,
    user_id: str,
    user_tz: str | None,
    text: str,
    transfer_id: int | None,
    transfer_name: str | None,
    range_start: date,
    range_end: date,
    days: int,
    notes: Sequence[str],
    now: datetime,
    expires_at: datetime,
) -> BackfillRequest:
    """Record a new PENDING request and its "created" event."""
    ensure_workspace(session, slack_team_id=slack_team_id, now=now)
    request = BackfillRequest(
        slack_team_id=slack_team_id,
        channel_id=channel_id,
        user_id=user_id,
        user_tz=user_tz,
        text=text,
        transfer_id=transfer_id,
        transfer_name=transfer_name,
        range_start=range_start,
        range_end=range_end,
        days=days,
        notes=list(notes),
        state=RequestState.PENDING,
        error_report=[],
        runs_total=0,
        runs_created=0,
        runs_completed=0,
        runs_failed=0,
        poll_failures=0,
        tracking_paused=False,
        created_at=now,
        updated_at=now,
        expires_at=expires_at,
        version=1,
    )
    session.add(request)
    session.flush()
    add_event(
        session,
        request_id=request.id,
        kind="created",
        actor=user_id,
        now=now,
        to_state=RequestState.PENDING,
        payload={"transfer_id": transfer_id, "range": [str(range_start), str(range_end)]},
    )
    return request


def get_request(session: Session, *, request_id: int) -> BackfillRequest | None:
    """Return the request, or None."""
    return session.get(BackfillRequest, request_id)


def refresh_request(session: Session, *, request_id: int) -> BackfillRequest | None:
    """Return the request as the database holds it now (discarding cached attributes)."""
    return session.get(BackfillRequest, request_id, populate_existing=True)


def find_request_by_backfill(
    session: Session, *, slack_team_id: str, backfill_id: int
) -> BackfillRequest | None:
    """Return the newest request that submitted this backfill, or None."""
    query = (
        select(BackfillRequest)
        .where(
            BackfillRequest.slack_team_id == slack_team_id,
            BackfillRequest.backfill_id == backfill_id,
        )
        .order_by(BackfillRequest.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def find_request_by_message(
    session: Session, *, channel_id: str, message_ts: str
) -> BackfillRequest | None:
    """Return the request whose card is this message (or whose thread this is), or None."""
    query = (
        select(BackfillRequest)
        .where(
            BackfillRequest.message_channel == channel_id,
            BackfillRequest.message_ts == message_ts,
        )
        .order_by(BackfillRequest.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def list_requests(
    session: Session,
    *,
    slack_team_id: str,
    states: Collection[RequestState] | None = None,
    limit: int = 20,
    user_id: str | None = None,
) -> list[BackfillRequest]:
    """Return a workspace's requests (one person's, with ``user_id``), newest first."""
    query = select(BackfillRequest).where(BackfillRequest.slack_team_id == slack_team_id)
    if user_id is not None:
        query = query.where(BackfillRequest.user_id == user_id)
    if states is not None:
        query = query.where(BackfillRequest.state.in_(list(states)))
    query = query.order_by(BackfillRequest.created_at.desc(), BackfillRequest.id.desc())
    return list(session.scalars(query.limit(limit)))


def list_events(session: Session, *, request_id: int) -> list[RequestEvent]:
    """Return a request's events, oldest first."""
    query = select(RequestEvent).where(RequestEvent.request_id == request_id)
    return list(session.scalars(query.order_by(RequestEvent.id)))


def team_events(
    session: Session,
    *,
    slack_team_id: str,
    since: datetime | None = None,
    transfer_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[RequestEvent, BackfillRequest]]:
    """A workspace's request events with their requests, oldest first (the newest ``limit``)."""
    query = (
        select(RequestEvent, BackfillRequest)
        .join(BackfillRequest, RequestEvent.request_id == BackfillRequest.id)
        .where(BackfillRequest.slack_team_id == slack_team_id)
    )
    if since is not None:
        query = query.where(RequestEvent.created_at >= since)
    if transfer_id is not None:
        query = query.where(BackfillRequest.transfer_id == transfer_id)
    if limit is None:
        rows = session.execute(query.order_by(RequestEvent.id)).all()
    else:
        rows = session.execute(query.order_by(RequestEvent.id.desc()).limit(limit)).all()
        rows = list(reversed(rows))
    return [(event, request) for event, request in rows]


def _check_values(values: Mapping[str, Any]) -> None:
    refused = _PROTECTED.intersection(values)
    if refused:
        raise ValueError(
            f"cannot set {sorted(refused)} directly; state changes go through transition()"
        )
    unknown = set(values) - _REQUEST_COLUMNS
    if unknown:
        raise ValueError(f"backfill_requests has no column(s) {sorted(unknown)}")


def transition(
    session: Session,
    *,
    request_id: int,
    expected: RequestState | Collection[RequestState],
    to: RequestState,
    actor: str,
    now: datetime,
    reason: str | None = None,
    values: Mapping[str, Any] | None = None,
    announce: bool = False,
    payload: Mapping[str, Any] | None = None,
) -> bool:
    """Move a request to ``to`` if it is still in ``expected``; return whether this call won."""
    changes = dict(values or {})
    _check_values(changes)
    candidates = [expected] if isinstance(expected, RequestState) else list(expected)
    if not candidates:
        raise ValueError("transition() needs at least one expected state")
    changes["state"] = to
    if reason is not None:
        changes["state_reason"] = reason
    if to is RequestState.SUBMITTED:
        changes.setdefault("submitted_at", now)
    if to in FINAL_STATES:
        changes.setdefault("finished_at", now)
    changes["updated_at"] = now
    changes["version"] = BackfillRequest.version + 1
    # one conditional UPDATE per expected state (normally one): the first that matches
    # tells us the state we moved from without a separate read that could go stale
    won_from: RequestState | None = None
    for state in dict.fromkeys(candidates):
        statement = (
            update(BackfillRequest)
            .where(BackfillRequest.id == request_id, BackfillRequest.state == state)
            .values(changes)
            .execution_options(synchronize_session=False)
        )
        if rowcount(session.execute(statement)) == 1:
            won_from = state
            break
    if won_from is None:
        return False
    expire_cached(session, BackfillRequest, request_id)
    event_payload = dict(payload or {})
    if reason is not None:
        event_payload.setdefault("reason", reason)
    add_event(
        session,
        request_id=request_id,
        kind="state",
        actor=actor,
        now=now,
        payload=event_payload,
        from_state=won_from,
        to_state=to,
        needs_announcement=announce,
    )
    return True


def update_request(
    session: Session, *, request_id: int, now: datetime, values: Mapping[str, Any]
) -> None:
    """Change non-state fields of a request (message ts, counters, next poll time)."""
    changes = dict(values)
    _check_values(changes)
    changes["updated_at"] = now
    changes["version"] = BackfillRequest.version + 1
    statement = (
        update(BackfillRequest)
        .where(BackfillRequest.id == request_id)
        .values(changes)
        .execution_options(synchronize_session=False)
    )
    if rowcount(session.execute(statement)) != 1:
        raise NotFoundError(f"Backfill request #{request_id} does not exist.")
    expire_cached(session, BackfillRequest, request_id)


# --- expiry and the tracker's leases ----------------------------------------------------


_EXPIRY_REASONS = {
    RequestState.PENDING: "The request was not confirmed in time.",
    RequestState.AWAITING_APPROVAL: "The request was not approved in time.",
}


def expire_pending(session: Session, *, now: datetime, actor: str = "expiry") -> list[int]:
    """Move unconfirmed (and unapproved) requests past their expiry to EXPIRED; return the
    ids moved."""
    due = session.execute(
        select(BackfillRequest.id, BackfillRequest.state)
        .where(
            BackfillRequest.state.in_(list(_EXPIRY_REASONS)),
            BackfillRequest.expires_at <= now,
        )
        .order_by(BackfillRequest.id)
    ).all()
    return [
        request_id
        for request_id, state in due
        if transition(
            session,
            request_id=request_id,
            expected=state,
            to=RequestState.EXPIRED,
            actor=actor,
            now=now,
            reason=_EXPIRY_REASONS[state],
        )
    ]


def list_stuck_submissions(
    session: Session, *, updated_before: datetime, limit: int = 50
) -> list[BackfillRequest]:
    """Return requests left SUBMITTING since before ``updated_before``, oldest first."""
    query = (
        select(BackfillRequest)
        .where(
            BackfillRequest.state == RequestState.SUBMITTING,
            BackfillRequest.updated_at <= updated_before,
        )
        .order_by(BackfillRequest.updated_at, BackfillRequest.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def _claimable(now: datetime) -> Any:
    # paused requests too: they are looked at, less often, until the API answers again
    return and_(
        BackfillRequest.state.in_(list(TRACKED_STATES)),
        BackfillRequest.next_poll_at.is_not(None),
        BackfillRequest.next_poll_at <= now,
        or_(BackfillRequest.lease_owner.is_(None), BackfillRequest.lease_expires_at <= now),
    )


def _due_ids(now: datetime, limit: int) -> Select[tuple[int]]:
    return (
        select(BackfillRequest.id)
        .where(_claimable(now))
        .order_by(BackfillRequest.next_poll_at, BackfillRequest.id)
        .limit(limit)
    )


def claim_due(
    session: Session, *, now: datetime, owner: str, lease_seconds: float, limit: int
) -> list[BackfillRequest]:
    """Lease up to ``limit`` tracked requests due for polling to ``owner``; return them."""
    lease = {"lease_owner": owner, "lease_expires_at": now + timedelta(seconds=lease_seconds)}
    if is_postgres(session):
        # rows another worker is claiming right now are skipped, not waited for
        ids = list(session.scalars(_due_ids(now, limit).with_for_update(skip_locked=True)))
        if ids:
            session.execute(
                update(BackfillRequest)
                .where(BackfillRequest.id.in_(ids))
                .values(lease)
                .execution_options(synchronize_session=False)
            )
    else:
        # SQLite has one writer at a time; each claim re-checks the lease in its UPDATE
        ids = []
        for request_id in session.scalars(_due_ids(now, limit)).all():
            statement = (
                update(BackfillRequest)
                .where(BackfillRequest.id == request_id, _claimable(now))
                .values(lease)
                .execution_options(synchronize_session=False)
            )
            if rowcount(session.execute(statement)) == 1:
                ids.append(request_id)
    if not ids:
        return []
    query = (
        select(BackfillRequest)
        .where(BackfillRequest.id.in_(ids))
        .order_by(BackfillRequest.next_poll_at, BackfillRequest.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def release(
    session: Session, *, request_id: int, owner: str, next_poll_at: datetime | None
) -> bool:
    """Give up the lease and set the next poll time (None: no more polls), if still owned."""
    statement = (
        update(BackfillRequest)
        .where(BackfillRequest.id == request_id, BackfillRequest.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None, next_poll_at=next_poll_at)
        .execution_options(synchronize_session=False)
    )
    won = rowcount(session.execute(statement)) == 1
    if won:
        expire_cached(session, BackfillRequest, request_id)
    return won
