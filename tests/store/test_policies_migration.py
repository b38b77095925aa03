"""Revision 0006 (policies, approvals): the new state fits its widened column and CHECK,
workspaces made before it get empty policies, and downgrade settles requests still awaiting
approval instead of failing on the narrower constraint. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.store.db import (
    alembic_config,
    make_engine,
    make_session_factory,
    session_scope,
    upgrade_to_head,
)
from bot.store.models import RequestState
from bot.store.queries import create_request, set_policy, transition
from tests.store.conftest import NOW, Database

REVISION = "0006_policies_approvals"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    value: str = request.getfixturevalue(name)
    return value


def _awaiting(db: Database) -> int:
    with session_scope(db.factory) as session:
        row = create_request(
            session,
            slack_team_id="T1",
            channel_id="C1",
            user_id="U1",
            user_tz=None,
            text="transfer 1 last 90 days",
            transfer_id=1,
            transfer_name=None,
            range_start=date(2024, 1, 1),
            range_end=date(2024, 3, 30),
            days=90,
            notes=[],
            now=NOW,
            expires_at=NOW + timedelta(days=1),
        )
        request_id = row.id
        assert transition(
            session,
            request_id=request_id,
            expected=RequestState.PENDING,
            to=RequestState.AWAITING_APPROVAL,
            actor="U1",
            now=NOW,
            values={"confirmed_by": "U1"},
        )
    return request_id


def test_old_workspaces_get_empty_policies_and_downgrade_settles_awaiting(url: str) -> None:
    config = alembic_config(url)
    command.upgrade(config, "0003")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO workspaces (slack_team_id, admins, allowed_users, "
                    "allowed_channels, created_at, updated_at) VALUES ('T1', '[]', '[\"U1\"]', "
                    "'[]', '2024-03-01 12:00:00', '2024-03-01 12:00:00')"
                )
            )
        upgrade_to_head(url)
        db = Database(url=url, engine=engine, factory=make_session_factory(engine))
        with session_scope(db.factory) as session:
            ws = set_policy(
                session, slack_team_id="T1", now=NOW, changes={"approval-over-days": 31}
            )
            assert (ws.approvers, ws.approver_groups, ws.approval_transfers) == ([], [], [])
            assert ws.allowed_users == ["U1"] and ws.approval_over_days == 31
        request_id = _awaiting(db)
        with engine.begin() as connection, pytest.raises(IntegrityError):
            connection.execute(
                text("UPDATE backfill_requests SET state = 'WAITING' WHERE id = :i"),
                {"i": request_id},
            )
        engine.dispose()

        command.downgrade(config, "0003")
        with engine.connect() as connection:
            state, reason = connection.execute(
                text("SELECT state, state_reason FROM backfill_requests WHERE id = :i"),
                {"i": request_id},
            ).one()
            to_states = (
                connection.execute(
                    text("SELECT to_state FROM request_events WHERE request_id = :i ORDER BY id"),
                    {"i": request_id},
                )
                .scalars()
                .all()
            )
        assert state == "EXPIRED" and "approvals were removed" in reason
        assert "AWAITING_APPROVAL" not in to_states
        upgrade_to_head(url)  # and up again
    finally:
        engine.dispose()
