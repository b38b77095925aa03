"""Store functions of team-batched polling (keyword-only, session first).

A team (a workspace and its Supermetrics token) is polled by one worker at a time: the
worker takes the team's lease in ``team_polls`` with a conditional UPDATE (so it works
alike on SQLite and PostgreSQL, across processes), calls the API with no transaction
open, and records what it saw in a transaction that first re-checks (on PostgreSQL,
locks) the lease.  A worker that dies keeps the lease only until it expires.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.store.models import TRACKED_STATES, BackfillRequest, RequestState, TeamPoll
from bot.store.statements import dialect_insert, is_postgres, rowcount
from bot.tracking.queries import as_utc


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


@dataclass(frozen=True)
class DueTeam:
    slack_team_id: str
    due: int  # its tracked requests due now


def due_teams(session: Session, *, now: datetime, owner: str, limit: int) -> list[DueTeam]:
    """Workspaces whose team nobody else is polling with a tracked request due, or whose
    list is due, the one waiting longest first.

    The backfills a team's list saw are next looked at with the team's next list
    (``team_polls.next_list_at``), not by their own times, which sit further out as a
    safety net: that way a list rewrites none of the rows it found unchanged.
    """
    held = exists().where(
        TeamPoll.slack_team_id == BackfillRequest.slack_team_id,
        TeamPoll.lease_owner.is_not(None),
        TeamPoll.lease_owner != owner,
        TeamPoll.lease_expires_at > now,
    )
    rows_due = session.execute(
        select(BackfillRequest.slack_team_id, func.count(), func.min(BackfillRequest.next_poll_at))
        .where(*_tracked(), BackfillRequest.next_poll_at <= now, ~held)
        .group_by(BackfillRequest.slack_team_id)
        .order_by(func.min(BackfillRequest.next_poll_at))
        .limit(limit)
    ).all()
    lists_due = session.execute(
        select(TeamPoll.slack_team_id, func.count(), func.min(TeamPoll.next_list_at))
        .join(BackfillRequest, BackfillRequest.slack_team_id == TeamPoll.slack_team_id)
        .where(
            TeamPoll.next_list_at <= now,
            or_(
                TeamPoll.lease_owner.is_(None),
                TeamPoll.lease_owner == owner,
                TeamPoll.lease_expires_at <= now,
            ),
            *_tracked(),
        )
        .group_by(TeamPoll.slack_team_id)
        .order_by(func.min(TeamPoll.next_list_at))
        .limit(limit)
    ).all()
    teams: dict[str, tuple[datetime, int]] = {}
    for team, count, since in [*rows_due, *lists_due]:
        moment = as_utc(since)
        earlier = teams.get(str(team))
        # a team due both ways: its list reads all it tracks
        teams[str(team)] = (
            min(moment, earlier[0]) if earlier else moment,
            max(int(count), earlier[1]) if earlier else int(count),
        )
    ordered = sorted(teams.items(), key=lambda item: (item[1][0], item[0]))
    return [DueTeam(team, count) for team, (_since, count) in ordered[:limit]]


def claim_teams(
    session: Session,
    *,
    slack_team_ids: Sequence[str],
    owner: str,
    now: datetime,
    lease_seconds: float,
) -> list[TeamClaim]:
    """Take the leases of these teams that nobody else holds and read what they track.

    A handful of statements whatever the number of teams: the leases in one UPDATE, the
    tracked requests in one SELECT.  On PostgreSQL the team rows are locked in one order
    and those another worker is claiming at this moment are skipped, not waited for.
    """
    if not slack_team_ids:
        return []
    wanted = sorted(set(slack_team_ids))
    session.execute(
        dialect_insert(session)(TeamPoll)
        .values([{"slack_team_id": team} for team in wanted])
        .on_conflict_do_nothing()
    )
    free = or_(
        TeamPoll.lease_owner.is_(None),
        TeamPoll.lease_owner == owner,
        TeamPoll.lease_expires_at <= now,
    )
    if is_postgres(session):
        wanted = list(
            session.scalars(
                select(TeamPoll.slack_team_id)
                .where(TeamPoll.slack_team_id.in_(wanted), free)
                .order_by(TeamPoll.slack_team_id)
                .with_for_update(skip_locked=True)
            )
        )
        if not wanted:
            return []
    won = session.execute(
        update(TeamPoll)
        .where(TeamPoll.slack_team_id.in_(wanted), free)
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
        .returning(
            TeamPoll.slack_team_id,
            TeamPoll.next_list_at,
            TeamPoll.last_change_at,
            TeamPoll.list_floor_id,
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not won:
        return []
    tracked: dict[str, list[TrackedRow]] = {str(team[0]): [] for team in won}
    rows = session.execute(
        select(
            BackfillRequest.slack_team_id,
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
        .where(BackfillRequest.slack_team_id.in_(list(tracked)), *_tracked(), _request_free(now))
        .order_by(BackfillRequest.id)
    ).all()
    for r in rows:
        tracked[str(r[0])].append(
            TrackedRow(int(r[1]), r[2], r[3], r[4], r[5] is RequestState.SUBMITTED, tuple(r[6:]))
        )
    return [
        TeamClaim(
            slack_team_id=str(team[0]),
            next_list_at=team[1],
            last_change_at=team[2],
            list_floor_id=team[3],
            tracked=tuple(tracked[str(team[0])]),
        )
        for team in sorted(won, key=lambda team: wanted.index(str(team[0])))
    ]


def held_teams(session: Session, *, slack_team_ids: Collection[str], owner: str) -> set[str]:
    """Which of these teams ``owner`` still holds the lease of (the rows locked on
    PostgreSQL, in one order, so that nobody takes them over before this transaction
    ends)."""
    if not slack_team_ids:
        return set()
    query = (
        select(TeamPoll.slack_team_id, TeamPoll.lease_owner)
        .where(TeamPoll.slack_team_id.in_(list(slack_team_ids)))
        .order_by(TeamPoll.slack_team_id)
    )
    if is_postgres(session):
        query = query.with_for_update()
    return {str(team) for team, holder in session.execute(query) if holder == owner}


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
    """Give these requests one next poll time, if still tracked (one statement).

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


@dataclass(frozen=True)
class TeamRelease:
    """What a team's poll learnt, written back as its lease is given up."""

    slack_team_id: str
    next_list_at: datetime | None
    last_change_at: datetime | None
    list_floor_id: int | None


def release_teams(session: Session, *, owner: str, releases: Sequence[TeamRelease]) -> None:
    """Give the teams' leases back with what their polls learnt, where still held (one
    statement)."""
    if not releases:
        return
    table = cast(Table, TeamPoll.__table__)
    session.execute(
        update(table)
        .where(
            table.c.slack_team_id == bindparam("team"),
            table.c.lease_owner == bindparam("owner"),
        )
        .values(
            lease_owner=None,
            lease_expires_at=None,
            next_list_at=bindparam("next_list"),
            last_change_at=bindparam("last_change"),
            list_floor_id=bindparam("floor"),
        ),
        [
            {
                "team": release.slack_team_id,
                "owner": owner,
                "next_list": release.next_list_at,
                "last_change": release.last_change_at,
                "floor": release.list_floor_id,
            }
            for release in releases
        ],
    )


def release_owned_teams(session: Session, *, owner: str) -> int:
    """Drop every team lease held under ``owner`` (a restarted worker reusing its name)."""
    result = session.execute(
        update(TeamPoll)
        .where(TeamPoll.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)
