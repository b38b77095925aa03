"""Workspace store functions: keyword-only, session first; none of them commits."""

from __future__ import annotations

from collections.abc import Sequence
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
