"""The tables of "Add to Slack" (OAuth v2) and what the tracker does when an app leaves.

``slack_installations``, ``slack_bots`` and ``slack_oauth_states`` have the columns of
slack_sdk's SQLAlchemy installation and OAuth-state stores (the Slack adapter hands these
``Table`` objects to them), declared here so that our Alembic migrations create them and
``alembic check`` watches them; slack_sdk's ``create_tables()`` is never called. Token
columns are ``Text``: they hold vault ciphertext (Fernet, about twice the token's length),
never a token. ``slack_team_enterprises`` remembers which Enterprise Grid organization a
workspace belongs to, so a worker that knows only a request's team finds an org-wide
installation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.store.models import TRACKED_STATES, BackfillRequest, Base
from bot.store.statements import dialect_insert

log = logging.getLogger(__name__)

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"

slack_installations = Table(
    INSTALLATIONS_TABLE,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", Text),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", Text),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", Text),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", Text),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", Text),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(
        f"{INSTALLATIONS_TABLE}_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    BOTS_TABLE,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", Text),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", Text),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(f"{BOTS_TABLE}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    OAUTH_STATES_TABLE,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)

slack_team_enterprises = Table(
    "slack_team_enterprises",
    Base.metadata,
    Column("team_id", String(32), primary_key=True),
    Column("enterprise_id", String(32), nullable=False),
)

UNINSTALLED_REASON = "The Slack app was removed from this workspace."


def remember_team_enterprise(session: Session, *, team_id: str, enterprise_id: str) -> None:
    """Note that ``team_id`` belongs to the Grid organization ``enterprise_id``."""
    insert = dialect_insert(session)(slack_team_enterprises).values(
        team_id=team_id, enterprise_id=enterprise_id
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["team_id"], set_={"enterprise_id": enterprise_id}
        )
    )


def enterprise_of_team(session: Session, *, team_id: str) -> str | None:
    """The Grid organization a workspace was last seen in (None: not on Grid, or unknown)."""
    value = session.execute(
        select(slack_team_enterprises.c.enterprise_id).where(
            slack_team_enterprises.c.team_id == team_id
        )
    ).scalar_one_or_none()
    return str(value) if value is not None else None


def teams_of_enterprise(session: Session, *, enterprise_id: str) -> list[str]:
    """The workspaces seen in a Grid organization."""
    column = slack_team_enterprises.c
    found = session.execute(select(column.team_id).where(column.enterprise_id == enterprise_id))
    return sorted(str(team) for team in found.scalars())


def pause_team_tracking(session: Session, *, slack_team_id: str, now: datetime) -> int:
    """Pause the tracking of a workspace's running backfills (its requests stay); count them."""
    result = session.execute(
        update(BackfillRequest)
        .where(
            BackfillRequest.slack_team_id == slack_team_id,
            BackfillRequest.state.in_(list(TRACKED_STATES)),
        )
        # no next poll: unlike a pause after API failures (looked at again with a backoff),
        # an uninstalled workspace's backfills wait for the app to be installed again
        .values(tracking_paused=True, next_poll_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def resume_team_tracking(session: Session, *, slack_team_id: str, now: datetime) -> int:
    """Resume a re-installed workspace's paused tracking, polling at once; count them."""
    result = session.execute(
        update(BackfillRequest)
        .where(
            BackfillRequest.slack_team_id == slack_team_id,
            BackfillRequest.state.in_(list(TRACKED_STATES)),
            BackfillRequest.tracking_paused.is_(True),
        )
        .values(tracking_paused=False, poll_failures=0, next_poll_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


_SEALED_COLUMNS = (
    (slack_installations, ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")),
    (slack_bots, ("bot_token", "bot_refresh_token")),
)


def reseal_slack_tokens(session: Session, *, reseal: Callable[[bytes], bytes]) -> int:
    """Re-encrypt every stored Slack token with ``reseal`` (the vault's ``rotate``).

    Whatever ``reseal`` raises propagates, so the caller's transaction changes all or none.
    Returns how many tokens were re-encrypted.
    """
    count = 0
    for table, names in _SEALED_COLUMNS:
        columns = [table.c[name] for name in names]
        for row in session.execute(select(table.c.id, *columns)).all():
            values: dict[str, str] = {}
            for name, sealed in zip(names, row[1:], strict=True):
                if sealed:
                    values[name] = reseal(str(sealed).encode("ascii")).decode("ascii")
            if values:
                session.execute(update(table).where(table.c.id == row[0]).values(**values))
                count += len(values)
    return count
