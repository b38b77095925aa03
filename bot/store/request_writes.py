"""Writing a request: ``create_request`` (PENDING, with its "created" event),
:func:`transition` (the only way its state changes) and ``update_request`` (every other
column). Keyword-only, session first; none commits.

``transition`` is a conditional UPDATE that reports whether it won, so a double click, a
Slack retry or a second process can never move a request twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from bot.errors import NotFoundError
from bot.store.events import add_event
from bot.store.models import FINAL_STATES, BackfillRequest, RequestState
from bot.store.statements import expire_cached, rowcount
from bot.store.workspaces import ensure_workspace

# columns only the store itself may write
_PROTECTED = frozenset({"id", "state", "version", "created_at", "updated_at"})
_REQUEST_COLUMNS = frozenset(BackfillRequest.__table__.columns.keys())
# the table, not the mapped class: a Core UPDATE does not autoflush the session, so the
# events added before it are written together at the next flush or commit (a tick that
# records fifty changes sends one INSERT of fifty events, not fifty)
_REQUESTS = cast(Table, BackfillRequest.__table__)


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
    changes["version"] = _REQUESTS.c.version + 1
    # one conditional UPDATE per expected state (normally one): the first that matches
    # tells us the state we moved from without a separate read that could go stale
    won_from: RequestState | None = None
    for state in dict.fromkeys(candidates):
        statement = (
            update(_REQUESTS)
            .where(_REQUESTS.c.id == request_id, _REQUESTS.c.state == state)
            .values(changes)
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
    changes["version"] = _REQUESTS.c.version + 1
    statement = update(_REQUESTS).where(_REQUESTS.c.id == request_id).values(changes)
    if rowcount(session.execute(statement)) != 1:
        raise NotFoundError(f"Backfill request #{request_id} does not exist.")
    expire_cached(session, BackfillRequest, request_id)


class RequestUpdates:
    """``update_request`` for many requests, written together: the updates with the same
    columns go in one executemany (one round trip on PostgreSQL) when ``write`` is called.

    For a tracker tick that records dozens of progress changes of rows it has locked; the
    rows must exist (they are locked), so no per-row check is made.
    """

    def __init__(self) -> None:
        self._pending: dict[tuple[str, ...], list[dict[str, Any]]] = {}

    def add(self, *, request_id: int, now: datetime, values: Mapping[str, Any]) -> None:
        changes = dict(values)
        _check_values(changes)
        changes["updated_at"] = now
        keys = tuple(sorted(changes))
        # bound as v_<column>: a bind may not bear its column's own name in a SET clause
        row = {f"v_{key}": value for key, value in changes.items()}
        self._pending.setdefault(keys, []).append({**row, "request_id_": request_id})

    def write(self, session: Session) -> None:
        for keys, rows in self._pending.items():
            statement = (
                update(_REQUESTS)
                .where(_REQUESTS.c.id == bindparam("request_id_"))
                .values({key: bindparam(f"v_{key}") for key in keys})
                .values(version=_REQUESTS.c.version + 1)
            )
            session.execute(statement, rows)
            for row in rows:
                expire_cached(session, BackfillRequest, row["request_id_"])
        self._pending.clear()
