"""Workspace policies (requester groups, approvers, what needs approval) and two-person
approval: the request state AWAITING_APPROVAL (17 letters, so the state columns widen from
16 to 24) and who approved a request.

Revision ID: 0006_policies_approvals
Revises: 0003
Create Date: 2026-11-30

The state lists are spelled out rather than imported: a migration must not change when
the models do. Downgrade first settles requests still awaiting approval (EXPIRED, with a
reason) so the narrower CHECK constraint holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_policies_approvals"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = (
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
NEW_STATES = ("PENDING", "AWAITING_APPROVAL", *OLD_STATES[1:])
CHECK = "ck_backfill_requests_state_valid"
_WORKSPACE_LISTS = ("requester_groups", "approvers", "approver_groups", "approval_transfers")


def _check(states: Sequence[str]) -> str:
    return "state IN ({})".format(", ".join(f"'{state}'" for state in states))


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        for name in _WORKSPACE_LISTS:
            # existing rows get an empty list: "everyone" / "no approval"
            batch_op.add_column(
                sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
            )
        batch_op.add_column(sa.Column("approval_over_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        for name in _WORKSPACE_LISTS:
            batch_op.alter_column(name, server_default=None, existing_type=sa.JSON())

    with op.batch_alter_table("backfill_requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.alter_column(
            "state", existing_type=sa.String(length=16), type_=sa.String(length=24)
        )
        batch_op.add_column(sa.Column("approved_by", sa.String(length=32), nullable=True))
        batch_op.create_check_constraint(op.f(CHECK), _check(NEW_STATES))
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        for name in ("from_state", "to_state"):
            batch_op.alter_column(
                name, existing_type=sa.String(length=16), type_=sa.String(length=24)
            )


def downgrade() -> None:
    op.execute(
        "UPDATE backfill_requests SET state = 'EXPIRED', "
        "state_reason = 'Still awaiting approval when approvals were removed.' "
        "WHERE state = 'AWAITING_APPROVAL'"
    )
    op.execute(
        "UPDATE request_events SET from_state = 'PENDING' WHERE from_state = 'AWAITING_APPROVAL'"
    )
    op.execute(
        "UPDATE request_events SET to_state = 'PENDING' WHERE to_state = 'AWAITING_APPROVAL'"
    )
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        for name in ("from_state", "to_state"):
            batch_op.alter_column(
                name, existing_type=sa.String(length=24), type_=sa.String(length=16)
            )
    with op.batch_alter_table("backfill_requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.drop_column("approved_by")
        batch_op.alter_column(
            "state", existing_type=sa.String(length=24), type_=sa.String(length=16)
        )
        batch_op.create_check_constraint(op.f(CHECK), _check(OLD_STATES))
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("approval_over_days")
        for name in reversed(_WORKSPACE_LISTS):
            batch_op.drop_column(name)
