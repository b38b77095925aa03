"""Plans: a request of several backfills (several transfers, or a long range in chunks).
Each step is a request of its own, linked to its plan in ``plan_steps``; QUEUED joins the
request states (a step waiting for its turn, a confirmed plan while its steps run).

Revision ID: 0008_plan_steps
Revises: 0007_slack_installations
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_plan_steps"
down_revision: str | Sequence[str] | None = "0007_slack_installations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATES = (
    "PENDING",
    "AWAITING_APPROVAL",
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
_NEW_STATES = (*_OLD_STATES, "QUEUED")


def _check(states: Sequence[str]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _replace_state_check(states: Sequence[str]) -> None:
    # batch mode: SQLite cannot alter a CHECK constraint in place, so the table is copied
    with op.batch_alter_table("backfill_requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_backfill_requests_state_valid"), type_="check")
        batch_op.create_check_constraint("state_valid", _check(states))


def upgrade() -> None:
    _replace_state_check(_NEW_STATES)
    op.create_table(
        "plan_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_request_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("after_request_id", sa.Integer(), nullable=True),
        sa.Column("blocked_by_backfill_id", sa.BigInteger(), nullable=True),
        sa.Column("blocker_status", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_request_id"],
            ["backfill_requests.id"],
            name=op.f("fk_plan_steps_plan_request_id_backfill_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["backfill_requests.id"],
            name=op.f("fk_plan_steps_request_id_backfill_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_steps")),
        sa.UniqueConstraint("request_id", name=op.f("uq_plan_steps_request_id")),
    )
    op.create_index(
        "ix_plan_steps_plan_request_id_position",
        "plan_steps",
        ["plan_request_id", "position"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_plan_steps_plan_request_id_position", table_name="plan_steps")
    op.drop_table("plan_steps")
    # requests a plan left QUEUED have no place in the old state set: they were never sent
    op.execute(
        "UPDATE backfill_requests SET state = 'DISMISSED', "
        "state_reason = 'Dropped by a database downgrade (plans removed).' "
        "WHERE state = 'QUEUED'"
    )
    _replace_state_check(_OLD_STATES)
