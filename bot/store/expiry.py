"""Expiry: requests nobody confirmed (or approved) in time move to EXPIRED."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import BackfillRequest, RequestState
from bot.store.request_writes import transition

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
