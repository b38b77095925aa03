"""Store functions of team-batched polling (keyword-only, session first).

A team (a workspace and its Supermetrics token) is polled by one worker at a time: the
worker takes the team's lease in ``team_polls`` with a conditional UPDATE (so it works
alike on SQLite and PostgreSQL, across processes), calls the API with no transaction
open, and records what it saw in a transaction that first re-checks (on PostgreSQL,
locks) the lease.  A worker that dies keeps the lease only until it expires.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.store.models import TRACKED_STATES, BackfillRequest, RequestState, TeamPoll
from bot.store.statements import dialect_insert, is_postgres, rowcount


@dataclass(frozen=True)
class TrackedRow:
    """What the poller needs of one tracked request before calling the API."""

    request_id: int
    backfill_id: int | None
    next_poll_at: datetime | None
    submitted_at: datetime | None
    unseen: bool  # SUBMITTED: the tracker has not observed its backfill yet
    # what the store holds of the backfill: (status, total, created, completed, failed,
    # failed polls in a row); a list entry that matches needs no write but its next poll
    view: tuple[object, ...] = ()


@dataclass(frozen=True)
class TeamClaim:
    slack_team_id: str
    next_list_at: datetime | None
    last_change_at: datetime | None
    list_floor_id: int | None
    tracked: tuple[TrackedRow, ...]


def _tracked() -> list[ColumnElement[bool]]:
    return [
        BackfillRequest.state.in_(list(TRACKED_STATES)),
        # tracking paused after API failures is still looked at when due (with a backoff);
        # paused with no next poll (the app uninstalled) waits to be resumed
        or_(BackfillRequest.tracking_paused.is_(False), BackfillRequest.next_poll_at.is_not(None)),
    ]


def _request_free(now: datetime) -> ColumnElement[bool]:
    # a request leased by a per-backfill worker (TRACKER_POLLING=backfill) is left to it
    return or_(BackfillRequest.lease_owner.is_(None), BackfillRequest.lease_expires_at <= now)


def due_teams(session: Session, *, now: datetime, owner: str, limit: int) -> list[str]:
    """Workspaces with a tracked request due whose team nobody else is polling, the one
    waiting longest first."""
    held = exists().where(
        TeamPoll.slack_team_id == BackfillRequest.slack_team_id,
        TeamPoll.lease_owner.is_not(None),
        TeamPoll.lease_owner != owner,
        TeamPoll.lease_expires_at > now,
    )
    rows = session.execute(
        select(BackfillRequest.slack_team_id, func.min(BackfillRequest.next_poll_at))
        .where(*_tracked(), BackfillRequest.next_poll_at <= now, ~held)
        .group_by(BackfillRequest.slack_team_id)
        .order_by(func.min(BackfillRequest.next_poll_at))
        .limit(limit)
    ).all()
    return [str(row[0]) for row in rows]


def claim_team(
    session: Session, *, slack_team_id: str, owner: str, now: datetime, lease_seconds: float
) -> TeamClaim | None:
    """Take the team's lease (None if another worker holds it) and read what it tracks."""
    session.execute(
        dialect_insert(session)(TeamPoll)
        .values(slack_team_id=slack_team_id)
        .on_conflict_do_nothing()
    )
    won = session.execute(
        update(TeamPoll)
        .where(
            TeamPoll.slack_team_id == slack_team_id,
            or_(
                TeamPoll.lease_owner.is_(None),
                TeamPoll.lease_owner == owner,
                TeamPoll.lease_expires_at <= now,
            ),
        )
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    if rowcount(won) != 1:
        return None
    team = session.execute(
        select(TeamPoll.next_list_at, TeamPoll.last_change_at, TeamPoll.list_floor_id).where(
            TeamPoll.slack_team_id == slack_team_id
        )
    ).one()
    rows = session.execute(
        select(
            BackfillRequest.id,
            BackfillRequest.backfill_id,
            BackfillRequest.next_poll_at,
            BackfillRequest.submitted_at,
            BackfillRequest.state,
            BackfillRequest.dts_status,
            BackfillRequest.runs_total,
            BackfillRequest.runs_created,
            BackfillRequest.runs_completed,
            BackfillRequest.runs_failed,
            BackfillRequest.poll_failures,
        )
        .where(BackfillRequest.slack_team_id == slack_team_id, *_tracked(), _request_free(now))
        .order_by(BackfillRequest.id)
    ).all()
    return TeamClaim(
        slack_team_id=slack_team_id,
        next_list_at=team[0],
        last_change_at=team[1],
        list_floor_id=team[2],
        tracked=tuple(
            TrackedRow(int(r[0]), r[1], r[2], r[3], r[4] is RequestState.SUBMITTED, tuple(r[5:]))
            for r in rows
        ),
    )


def lock_team(session: Session, *, slack_team_id: str, owner: str) -> bool:
    """Whether ``owner`` still holds the team's lease (locking the row on PostgreSQL, so
    that nobody takes it over before this transaction ends)."""
    query = select(TeamPoll.lease_owner).where(TeamPoll.slack_team_id == slack_team_id)
    if is_postgres(session):
        query = query.with_for_update()
    return session.scalar(query) == owner


def lock_tracked(
    session: Session, *, request_ids: Collection[int], now: datetime
) -> dict[int, BackfillRequest]:
    """The requests among these that nobody else has leased (locked on PostgreSQL)."""
    if not request_ids:
        return {}
    query = (
        select(BackfillRequest)
        .where(BackfillRequest.id.in_(list(request_ids)), _request_free(now))
        .order_by(BackfillRequest.id)  # one lock order for everyone: no deadlocks
        .execution_options(populate_existing=True)
    )
    if is_postgres(session):
        query = query.with_for_update()
    return {row.id: row for row in session.scalars(query)}


def set_next_polls(
    session: Session, *, next_polls: Collection[tuple[int, datetime | None]]
) -> None:
    """Set each request's next poll time (one statement)."""
    if not next_polls:
        return
    table = cast(Table, BackfillRequest.__table__)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("request_id"))
        .values(next_poll_at=bindparam("next_poll")),
        [{"request_id": request_id, "next_poll": when} for request_id, when in next_polls],
    )


def set_next_poll_of(session: Session, *, request_ids: Collection[int], when: datetime) -> None:
    """Give these requests one next poll time (the team's next list), if still tracked.

    The rows are not locked: their list entries matched the store, so nothing else is
    written; a request cancelled or paused meanwhile keeps its own values.
    """
    if not request_ids:
        return
    session.execute(
        update(BackfillRequest)
        .where(BackfillRequest.id.in_(list(request_ids)), *_tracked())
        .values(next_poll_at=when)
        .execution_options(synchronize_session=False)
    )


def release_team(
    session: Session,
    *,
    slack_team_id: str,
    owner: str,
    next_list_at: datetime | None,
    last_change_at: datetime | None,
    list_floor_id: int | None,
) -> bool:
    """Give the team's lease back with what the poll learnt, if still held."""
    result = session.execute(
        update(TeamPoll)
        .where(TeamPoll.slack_team_id == slack_team_id, TeamPoll.lease_owner == owner)
        .values(
            lease_owner=None,
            lease_expires_at=None,
            next_list_at=next_list_at,
            last_change_at=last_change_at,
            list_floor_id=list_floor_id,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def release_owned_teams(session: Session, *, owner: str) -> int:
    """Drop every team lease held under ``owner`` (a restarted worker reusing its name)."""
    result = session.execute(
        update(TeamPoll)
        .where(TeamPoll.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)
