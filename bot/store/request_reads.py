"""Reading requests and their events: by id, by backfill, by card message, a workspace's
list, its event trail, and the submissions a dead process left behind. None commits."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import BackfillRequest, RequestEvent, RequestState


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
