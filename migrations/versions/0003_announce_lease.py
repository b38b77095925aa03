"""A lease on a request while its events are announced, so that processes sharing one
database (SQLite or PostgreSQL) never post an event twice, with no transaction held open
across the Slack call.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("backfill_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("announce_owner", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("announce_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("backfill_requests", schema=None) as batch_op:
        batch_op.drop_column("announce_until")
        batch_op.drop_column("announce_owner")
