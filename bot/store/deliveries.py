"""Slack event deliveries already handled, so a retried event (X-Slack-Retry-Num) runs once.

Slack resends an event it thinks we missed, with the same ``event_id``; the first
process to insert that id handles it, every later delivery finds it and stops.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store.models import Base
from bot.store.types import UTCDateTime


class SlackDelivery(Base):
    __tablename__ = "slack_deliveries"
    __table_args__ = (Index("ix_slack_deliveries_received_at", "received_at"),)

    delivery_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


def claim_delivery(session: Session, *, delivery_id: str, now: datetime) -> bool:
    """Record the delivery id; return True if this call was the first to see it."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(SlackDelivery)
        .values(delivery_id=delivery_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["delivery_id"])
    )
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return int(result.rowcount) == 1


def prune_deliveries(session: Session, *, before: datetime) -> int:
    """Forget deliveries received before ``before`` (Slack retries for minutes, not days)."""
    result = session.execute(delete(SlackDelivery).where(SlackDelivery.received_at < before))
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
