"""Team-batched tracking: a lease and list cadence per workspace (team_polls) and the
latest view of backfills started outside Slack seen in a team's list (external_backfills).

Revision ID: 0009_team_polling
Revises: 0008_plan_steps (the lead re-chains at merge)
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_team_polling"
down_revision: str | Sequence[str] | None = "0008_plan_steps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_polls",
        sa.Column("slack_team_id", sa.String(length=32), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_list_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_change_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("list_floor_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["slack_team_id"],
            ["workspaces.slack_team_id"],
            name=op.f("fk_team_polls_slack_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slack_team_id", name=op.f("pk_team_polls")),
    )
    op.create_table(
        "external_backfills",
        sa.Column("slack_team_id", sa.String(length=32), nullable=False),
        sa.Column("backfill_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("transfer_id", sa.BigInteger(), nullable=False),
        sa.Column("range_start", sa.Date(), nullable=False),
        sa.Column("range_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("runs_total", sa.Integer(), nullable=False),
        sa.Column("runs_completed", sa.Integer(), nullable=False),
        sa.Column("runs_failed", sa.Integer(), nullable=False),
        sa.Column("created_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["slack_team_id"],
            ["workspaces.slack_team_id"],
            name=op.f("fk_external_backfills_slack_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slack_team_id", "backfill_id", name=op.f("pk_external_backfills")),
    )


def downgrade() -> None:
    op.drop_table("external_backfills")
    op.drop_table("team_polls")
