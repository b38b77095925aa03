"""Workspace store functions: keyword-only, session first; none of them commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Workspace
from bot.store.statements import dialect_insert


def ensure_workspace(session: Session, *, slack_team_id: str, now: datetime) -> Workspace:
    """Return the workspace row, creating it (race-free) if it does not exist yet."""
    existing = session.get(Workspace, slack_team_id)
    if existing is not None:
        return existing
    values = {
        "slack_team_id": slack_team_id,
        "admins": [],
        "allowed_users": [],
        "allowed_channels": [],
        "requester_groups": [],
        "approvers": [],
        "approver_groups": [],
        "approval_transfers": [],
        "created_at": now,
        "updated_at": now,
    }
    session.execute(dialect_insert(session)(Workspace).values(**values).on_conflict_do_nothing())
    workspace = session.get(Workspace, slack_team_id)
    assert workspace is not None  # inserted above or by a concurrent writer
    return workspace


def get_workspace(session: Session, *, slack_team_id: str) -> Workspace | None:
    """Return the workspace, or None."""
    return session.get(Workspace, slack_team_id)


def list_workspaces(session: Session) -> list[Workspace]:
    """Return every workspace, ordered by Slack team id."""
    return list(session.scalars(select(Workspace).order_by(Workspace.slack_team_id)))


def set_workspace_token(
    session: Session,
    *,
    slack_team_id: str,
    supermetrics_team_id: int,
    token_ciphertext: bytes,
    set_by: str,
    now: datetime,
) -> Workspace:
    """Store the workspace's Supermetrics team and encrypted token."""
    workspace = ensure_workspace(session, slack_team_id=slack_team_id, now=now)
    workspace.supermetrics_team_id = supermetrics_team_id
    workspace.token_ciphertext = token_ciphertext
    workspace.token_set_by = set_by
    workspace.token_set_at = now
    workspace.updated_at = now
    session.flush()
    return workspace


def configure_workspace(
    session: Session,
    *,
    slack_team_id: str,
    now: datetime,
    admins: Sequence[str] | None = None,
    allowed_users: Sequence[str] | None = None,
    allowed_channels: Sequence[str] | None = None,
    date_order: str | None = None,
    max_days: int | None = None,
) -> Workspace:
    """Change a workspace's settings; arguments left as None stay unchanged."""
    workspace = ensure_workspace(session, slack_team_id=slack_team_id, now=now)
    if admins is not None:
        workspace.admins = list(dict.fromkeys(admins))
    if allowed_users is not None:
        workspace.allowed_users = list(dict.fromkeys(allowed_users))
    if allowed_channels is not None:
        workspace.allowed_channels = list(dict.fromkeys(allowed_channels))
    if date_order is not None:
        workspace.date_order = date_order
    if max_days is not None:
        workspace.max_days = max_days
    workspace.updated_at = now
    session.flush()
    return workspace


# policy fields a workspace holds, by the name ``policy clear --what`` and the modal use
POLICY_LISTS: dict[str, str] = {
    "requesters": "allowed_users",
    "requester-groups": "requester_groups",
    "approvers": "approvers",
    "approver-groups": "approver_groups",
    "approval-transfers": "approval_transfers",
    "channels": "allowed_channels",
}
POLICY_NUMBERS: dict[str, str] = {
    "approval-over-days": "approval_over_days",
    "max-days": "max_days",
}
POLICY_NAMES: tuple[str, ...] = (*POLICY_LISTS, *POLICY_NUMBERS)


def set_policy(
    session: Session,
    *,
    slack_team_id: str,
    now: datetime,
    changes: Mapping[str, Sequence[str] | Sequence[int] | int | None],
) -> Workspace:
    """Change a workspace's policy fields by name (``POLICY_NAMES``); a list replaces the
    list, a number the number, None clears (empty list: everyone / no approval)."""
    unknown = set(changes) - set(POLICY_NAMES)
    if unknown:
        raise ValueError(f"unknown policy field(s) {sorted(unknown)}")
    workspace = ensure_workspace(session, slack_team_id=slack_team_id, now=now)
    for name, value in changes.items():
        if name in POLICY_LISTS:
            items = list(value) if isinstance(value, list | tuple) else []
            setattr(workspace, POLICY_LISTS[name], list(dict.fromkeys(items)))
        else:
            setattr(workspace, POLICY_NUMBERS[name], value if isinstance(value, int) else None)
    workspace.updated_at = now
    session.flush()
    return workspace
