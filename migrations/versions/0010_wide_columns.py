"""Row ids as BIGINT on PostgreSQL (ids are int64 everywhere: ``status 2147483648`` failed
with "integer out of range"), and transfer names as TEXT (the API sets no length; a
256-character name failed to store).

SQLite's INTEGER primary keys already hold int64 (and must stay INTEGER to remain the
rowid), so only the transfer name changes there.

Revision ID: 0010_wide_columns
Revises: 0009_team_polling
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_wide_columns"
down_revision: str | Sequence[str] | None = "0009_team_polling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROW_IDS = (
    ("backfill_requests", "id"),
    ("request_events", "id"),
    ("request_events", "request_id"),
    ("plan_steps", "id"),
    ("plan_steps", "plan_request_id"),
    ("plan_steps", "request_id"),
    ("plan_steps", "after_request_id"),
)
_SEQUENCES = ("backfill_requests_id_seq", "request_events_id_seq", "plan_steps_id_seq")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgres():
        for table, column in _ROW_IDS:
            op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer())
        for sequence in _SEQUENCES:
            op.execute(f"ALTER SEQUENCE IF EXISTS {sequence} AS bigint")
    with op.batch_alter_table("backfill_requests", schema=None) as batch_op:
        batch_op.alter_column("transfer_name", type_=sa.Text(), existing_type=sa.String(length=255))


def downgrade() -> None:
    with op.batch_alter_table("backfill_requests", schema=None) as batch_op:
        # names longer than the old column are cut to fit it
        batch_op.alter_column(
            "transfer_name",
            type_=sa.String(length=255),
            existing_type=sa.Text(),
            postgresql_using="left(transfer_name, 255)",
        )
    if _postgres():
        for sequence in _SEQUENCES:
            op.execute(f"ALTER SEQUENCE IF EXISTS {sequence} AS integer")
        for table, column in reversed(_ROW_IDS):
            op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger())
