"""Small builders shared by the store tests (and the cross-process race worker)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.store.models import BackfillRequest, RequestState
from bot.store.queries import create_request, transition


def new_request(
    session: Session,
    *,
    now: datetime,
    team: str = "T0001",
    user: str = "U0001",
    channel: str = "C0001",
    transfer_id: int | None = 456789,
    expires_in: timedelta = timedelta(hours=24),
) -> BackfillRequest:
    return create_request(
        session,
        slack_team_id=team,
        channel_id=channel,
        user_id=user,
        user_tz="Europe/Helsinki",
        text="backfill transfer 456789 for last January",
        transfer_id=transfer_id,
        transfer_name=None,
        range_start=date(2024, 1, 1),
        range_end=date(2024, 1, 31),
        days=31,
        notes=["Read last January as 2024-01-01..2024-01-31."],
        now=now,
        expires_at=now + expires_in,
    )


def tracked_request(session: Session, *, now: datetime, backfill_id: int) -> BackfillRequest:
    """A request already submitted and due for polling at ``now``."""
    request = new_request(session, now=now)
    for expected, to in (
        (RequestState.PENDING, RequestState.SUBMITTING),
        (RequestState.SUBMITTING, RequestState.SUBMITTED),
    ):
        assert transition(
            session,
            request_id=request.id,
            expected=expected,
            to=to,
            actor="U0001",
            now=now,
            values={"backfill_id": backfill_id, "next_poll_at": now}
            if to is RequestState.SUBMITTED
            else None,
        )
    return request
