"""Initial schema: workspaces, backfill requests, request events.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Written to match ``bot/store/models.py`` exactly (``alembic check`` reports no drift).
The state list is spelled out rather than imported: a migration must not change when
the models do.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = (
    "PENDING",
    "SUBMITTING",
    "SUBMITTED",
    "CREATED",
    "SCHEDULED",
    "RUNNING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "DISMISSED",
    "EXPIRED",
    "REJECTED",
)


def _utc(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("slack_team_id", sa.String(length=32), nullable=False),
        sa.Column("supermetrics_team_id", sa.BigInteger(), nullable=True),
        sa.Column("token_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("token_set_by", sa.String(length=64), nullable=True),
        _utc("token_set_at", nullable=True),
        sa.Column("admins", sa.JSON(), nullable=False),
        sa.Column("allowed_users", sa.JSON(), nullable=False),
        sa.Column("allowed_channels", sa.JSON(), nullable=False),
        sa.Column("date_order", sa.String(length=3), nullable=True),
        sa.Column("max_days", sa.Integer(), nullable=True),
        _utc("created_at", nullable=False),
        _utc("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("slack_team_id", name=op.f("pk_workspaces")),
    )

    op.create_table(
        "backfill_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slack_team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("user_tz", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("transfer_id", sa.BigInteger(), nullable=True),
        sa.Column("transfer_name", sa.String(length=255), nullable=True),
        sa.Column("range_start", sa.Date(), nullable=False),
        sa.Column("range_end", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=32), nullable=True),
        sa.Column("message_channel", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("backfill_id", sa.BigInteger(), nullable=True),
        sa.Column("dts_status", sa.String(length=16), nullable=True),
        sa.Column("runs_total", sa.Integer(), nullable=False),
        sa.Column("runs_created", sa.Integer(), nullable=False),
        sa.Column("runs_completed", sa.Integer(), nullable=False),
        sa.Column("runs_failed", sa.Integer(), nullable=False),
        sa.Column("error_report", sa.JSON(), nullable=False),
        _utc("next_poll_at", nullable=True),
        sa.Column("poll_failures", sa.Integer(), nullable=False),
        sa.Column("tracking_paused", sa.Boolean(), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        _utc("lease_expires_at", nullable=True),
        _utc("last_progress_reply_at", nullable=True),
        _utc("created_at", nullable=False),
        _utc("updated_at", nullable=False),
        _utc("submitted_at", nullable=True),
        _utc("finished_at", nullable=True),
        _utc("expires_at", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ({})".format(", ".join(f"'{state}'" for state in STATES)),
            name=op.f("ck_backfill_requests_state_valid"),
        ),
        sa.CheckConstraint(
            "range_start <= range_end", name=op.f("ck_backfill_requests_range_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["slack_team_id"],
            ["workspaces.slack_team_id"],
            name=op.f("fk_backfill_requests_slack_team_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfill_requests")),
    )
    op.create_index(
        "ix_backfill_requests_state_next_poll_at", "backfill_requests", ["state", "next_poll_at"]
    )
    op.create_index(
        "ix_backfill_requests_state_expires_at", "backfill_requests", ["state", "expires_at"]
    )
    op.create_index(
        "ix_backfill_requests_slack_team_id_created_at",
        "backfill_requests",
        ["slack_team_id", "created_at"],
    )
    op.create_index(
        "ix_backfill_requests_slack_team_id_backfill_id",
        "backfill_requests",
        ["slack_team_id", "backfill_id"],
    )
    op.create_index(
        "ix_backfill_requests_message_channel_message_ts",
        "backfill_requests",
        ["message_channel", "message_ts"],
    )

    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _utc("created_at", nullable=False),
        sa.Column("needs_announcement", sa.Boolean(), nullable=False),
        _utc("announced_at", nullable=True),
        sa.Column("announce_attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["backfill_requests.id"],
            name=op.f("fk_request_events_request_id_backfill_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_events")),
    )
    op.create_index("ix_request_events_request_id_id", "request_events", ["request_id", "id"])
    op.create_index(
        "ix_request_events_needs_announcement_announced_at",
        "request_events",
        ["needs_announcement", "announced_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_request_events_needs_announcement_announced_at", "request_events")
    op.drop_index("ix_request_events_request_id_id", "request_events")
    op.drop_table("request_events")
    for name in (
        "ix_backfill_requests_message_channel_message_ts",
        "ix_backfill_requests_slack_team_id_backfill_id",
        "ix_backfill_requests_slack_team_id_created_at",
        "ix_backfill_requests_state_expires_at",
        "ix_backfill_requests_state_next_poll_at",
    ):
        op.drop_index(name, "backfill_requests")
    op.drop_table("backfill_requests")
    op.drop_table("workspaces")
