"""Request events (the audit trail and what is still to be announced); none commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.models import RequestEvent, RequestState
from bot.store.statements import expire_cached, rowcount


def add_event(
    session: Session,
    *,
    request_id: int,
    kind: str,
    actor: str,
    now: datetime,
    payload: Mapping[str, Any] | None = None,
    from_state: RequestState | None = None,
    to_state: RequestState | None = None,
    needs_announcement: bool = False,
) -> RequestEvent:
    """Append an event to a request's trail (written with the session's next flush: any
    ORM query or the commit; so the events of many changes go in one INSERT)."""
    event = RequestEvent(
        request_id=request_id,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        payload=dict(payload or {}),
        created_at=now,
        needs_announcement=needs_announcement,
        announced_at=None,
        announce_attempts=0,
    )
    session.add(event)
    return event


def pending_announcements(
    session: Session, *, limit: int = 100, request_id: int | None = None
) -> list[RequestEvent]:
    """Return events still to be announced, oldest first."""
    query = select(RequestEvent).where(
        RequestEvent.needs_announcement.is_(True), RequestEvent.announced_at.is_(None)
    )
    if request_id is not None:
        query = query.where(RequestEvent.request_id == request_id)
    return list(session.scalars(query.order_by(RequestEvent.id).limit(limit)))


def mark_announced(session: Session, *, event_id: int, now: datetime) -> bool:
    """Mark an event announced unless someone already did; return whether this call did."""
    statement = (
        update(RequestEvent)
        .where(RequestEvent.id == event_id, RequestEvent.announced_at.is_(None))
        .values(announced_at=now)
        .execution_options(synchronize_session=False)
    )
    won = rowcount(session.execute(statement)) == 1
    expire_cached(session, RequestEvent, event_id)
    return won


def record_announce_failure(session: Session, *, event_id: int) -> int:
    """Count a failed attempt to announce an event; return the attempts so far."""
    statement = (
        update(RequestEvent)
        .where(RequestEvent.id == event_id)
        .values(announce_attempts=RequestEvent.announce_attempts + 1)
        .returning(RequestEvent.announce_attempts)
        .execution_options(synchronize_session=False)
    )
    attempts = session.execute(statement).scalar_one_or_none()
    expire_cached(session, RequestEvent, event_id)
    return int(attempts or 0)
