"""Slack event deliveries already handled, so a retried event (X-Slack-Retry-Num) runs once.

Slack resends an event it thinks we missed, with the same ``event_id``; the first
process to insert that id handles it, every later delivery finds it and stops.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store.models import Base, UTCDateTime
from bot.store.statements import dialect_insert, rowcount


class SlackDelivery(Base):
    __tablename__ = "slack_deliveries"
    __table_args__ = (Index("ix_slack_deliveries_received_at", "received_at"),)

    delivery_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


def claim_delivery(session: Session, *, delivery_id: str, now: datetime) -> bool:
    """Record the delivery id; return True if this call was the first to see it.

    Told by the row RETURNING gives back, not by the row count: through psycopg an
    ``INSERT … ON CONFLICT DO NOTHING`` reports a row count of -1 even for the row it
    inserted, so the first delivery of every event looked like a retry on PostgreSQL.
    """
    statement = (
        dialect_insert(session)(SlackDelivery.__table__)
        .values(delivery_id=delivery_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["delivery_id"])
        .returning(SlackDelivery.__table__.c.delivery_id)
    )
    return session.execute(statement).first() is not None


def prune_deliveries(session: Session, *, before: datetime) -> int:
    """Forget deliveries received before ``before`` (Slack retries for minutes, not days)."""
    return rowcount(
        session.execute(delete(SlackDelivery).where(SlackDelivery.received_at < before))
    )
