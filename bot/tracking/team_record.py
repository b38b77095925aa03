"""Recording what the team polls of one tick saw: every team in one transaction.

The statements do not grow with the number of teams: the leases are re-checked (locked on
PostgreSQL) in one SELECT, the requests that changed are locked in one, their quiet times
read in one, the next polls and the teams' new cadence written in one each, and the
outside view of every team replaced together (``bot.store.external_backfills``).  Only a
backfill that changed costs statements of its own: its transition or progress with its
event (``recording``), which must stay one guarded write per request.

If that one transaction fails, the teams are recorded again one by one, so one team whose
recording breaks does not hold back the others (its lease expires, and it is polled
again then).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.store.db import session_scope
from bot.store.external_backfills import replace_external_views
from bot.store.queries import RequestUpdates
from bot.supermetrics.models import Backfill
from bot.tracking.cadence import next_poll_delay
from bot.tracking.queries import last_change_times
from bot.tracking.recording import record_failure, record_observation
from bot.tracking.team_queries import (
    TeamClaim,
    TeamRelease,
    TrackedRow,
    held_teams,
    lock_tracked,
    release_teams,
    set_next_poll_of,
    set_next_polls,
)
from bot.tracking.tick_stats import TickStats

log = logging.getLogger("bot.tracking.team_poll")


@dataclass
class PollResult:
    """What one team's poll came to, before it is recorded."""

    claim: TeamClaim
    listed: dict[int, Backfill] | None = None  # None: no list this time
    list_full: bool = False
    fetched: dict[int, Backfill] = field(default_factory=dict)  # request id -> own GET
    failures: dict[int, str] = field(default_factory=dict)  # request id -> reason
    deferred: dict[int, datetime] = field(default_factory=dict)  # request id -> retry at
    lists: bool = False  # the team follows two backfills or more: it reads the list
    list_retry_at: datetime | None = None  # the list was due but failed or had to wait


@dataclass
class _Plan:
    """One team's poll sorted out against what the store holds, before any write."""

    poll: PollResult
    same: list[int]  # listed exactly as stored: only the next poll moves
    changed: dict[int, Backfill]  # listed and different from the store


def record_polls(
    session_factory: sessionmaker[Session],
    polls: Sequence[PollResult],
    *,
    owner: str,
    now: datetime,
    settings: Settings,
    stats: TickStats,
) -> None:
    """Record every team's poll in one transaction; one by one if that fails."""
    if not polls:
        return
    started = time.perf_counter()
    try:
        with session_scope(session_factory) as session:
            changes, failed = _record(session, polls, owner=owner, now=now, settings=settings)
        stats.changes += changes
        stats.failed += failed
    except Exception:
        log.exception("recording the polls of %d teams together failed; one by one", len(polls))
        for poll in polls:
            try:
                with session_scope(session_factory) as session:
                    changes, failed = _record(
                        session, [poll], owner=owner, now=now, settings=settings
                    )
                stats.changes += changes
                stats.failed += failed
            except Exception:
                # the lease expires and the team is polled again then; nothing was written
                log.exception("recording the poll of team %s failed", poll.claim.slack_team_id)
    stats.db_seconds += time.perf_counter() - started


def _record(
    session: Session,
    polls: Sequence[PollResult],
    *,
    owner: str,
    now: datetime,
    settings: Settings,
) -> tuple[int, int]:
    """Write the polls of the teams still held; return (changes, failed polls)."""
    held = held_teams(session, slack_team_ids=[p.claim.slack_team_id for p in polls], owner=owner)
    plans: list[_Plan] = []
    for poll in polls:
        if poll.claim.slack_team_id not in held:
            log.info("lease of team %s was taken over; dropping a poll", poll.claim.slack_team_id)
            continue
        plans.append(_sort_out(poll))
    if not plans:
        return 0, 0
    # only entries that differ from the store are locked and written; the rest just come
    # due again with their team's next list
    wanted: set[int] = set()
    for plan in plans:
        wanted.update(plan.changed, plan.poll.fetched, plan.poll.failures, plan.poll.deferred)
    rows = lock_tracked(session, request_ids=wanted, now=now)
    # a backfill read on its own keeps its own cadence, which grows from its last change;
    # one seen in a list follows the team's, which a change just brought back to poll_min
    quiet = last_change_times(
        session, request_ids=[rid for plan in plans for rid in plan.poll.fetched]
    )
    changes = failed = 0
    updates = RequestUpdates()  # progress and counts of every team: one executemany
    next_polls: list[tuple[int, datetime | None]] = []
    pushed: list[int] = []
    releases: list[TeamRelease] = []
    listed: dict[str, list[dict[str, object]]] = {}
    known: dict[str, set[int]] = {}
    for plan in plans:
        poll, claim = plan.poll, plan.poll.claim
        submitted = {row.request_id: row.submitted_at for row in claim.tracked}
        team_changes = 0
        soonest: datetime | None = None
        on_list: list[int] = list(plan.same)
        seen = [(rid, backfill, True) for rid, backfill in plan.changed.items()]
        seen += [(rid, backfill, False) for rid, backfill in poll.fetched.items()]
        for request_id, backfill, in_list in seen:
            row = rows.get(request_id)
            if row is None:
                continue
            following, changed = record_observation(
                session,
                row=row,
                backfill=backfill,
                # a list entry follows the team's cadence (``_team_cadence``); a backfill
                # read on its own, its own quiet time
                quiet_since=(
                    now if in_list else quiet.get(request_id) or submitted.get(request_id) or now
                ),
                now=now,
                settings=settings,
                updates=updates,
            )
            team_changes += changed
            if in_list and following is not None:
                on_list.append(request_id)
                soonest = following if soonest is None else min(soonest, following)
            else:
                next_polls.append((request_id, following))
        for request_id, reason in poll.failures.items():
            row = rows.get(request_id)
            if row is not None:
                failed += 1
                following = record_failure(
                    session, row=row, reason=reason, now=now, settings=settings
                )
                next_polls.append((request_id, following))
        for request_id, later in poll.deferred.items():
            if request_id in rows:
                next_polls.append((request_id, later))
        changes += team_changes
        cadence = _team_cadence(plan, now, settings, changed=team_changes > 0)
        if cadence is not None:
            soonest = cadence if soonest is None else min(soonest, cadence)
        release = _release(poll, now, settings, changed=team_changes > 0, soonest=soonest)
        releases.append(release)
        # the team's next list looks at what it saw; their own times only move when the
        # list would come after them, so an unchanged entry costs no write most lists
        horizon = release.next_list_at or now
        stored = {row.request_id: row.next_poll_at for row in claim.tracked}
        for rid in on_list:
            own = stored.get(rid)
            if own is None or own <= horizon:
                pushed.append(rid)
        if poll.listed is not None:
            listed[claim.slack_team_id] = [_external_values(b) for b in poll.listed.values()]
            known[claim.slack_team_id] = {
                row.backfill_id for row in claim.tracked if row.backfill_id is not None
            }
    updates.write(session)
    set_next_polls(session, next_polls=next_polls)
    set_next_poll_of(session, request_ids=pushed, when=now + safety_net(settings))
    release_teams(session, owner=owner, releases=releases)
    replace_external_views(session, listed=listed, known=known, now=now)
    return changes, failed


def safety_net(settings: Settings) -> timedelta:
    """How far out the own poll time of a backfill a list saw is put: past any next list
    (at most ``poll_max_seconds`` away), so the list, not this time, looks at it next; it
    comes due by itself only if the team's lists stop."""
    return timedelta(seconds=2 * settings.poll_max_seconds)


def _sort_out(poll: PollResult) -> _Plan:
    by_backfill = {row.backfill_id: row for row in poll.claim.tracked}
    same: list[int] = []
    changed: dict[int, Backfill] = {}
    for backfill_id, backfill in (poll.listed or {}).items():
        row = by_backfill.get(backfill_id)
        if row is None:
            continue
        if _matches(row, backfill):
            same.append(row.request_id)
        else:
            changed[row.request_id] = backfill
    return _Plan(poll=poll, same=same, changed=changed)


def _team_cadence(
    plan: _Plan, now: datetime, settings: Settings, *, changed: bool
) -> datetime | None:
    """When the team's list entries want looking at again: the shortest interval while
    anything of the team changed recently (or was just submitted), growing while all of it
    is quiet."""
    if not plan.same and not changed:
        return None
    claim = plan.poll.claim
    same = set(plan.same)
    moments = [row.submitted_at for row in claim.tracked if row.request_id in same]
    moments.append(now if changed else claim.last_change_at)
    since = max((moment for moment in moments if moment is not None), default=now)
    delay = next_poll_delay(
        quiet_seconds=(now - since).total_seconds(),
        poll_min=settings.poll_min_seconds,
        poll_max=settings.poll_max_seconds,
    )
    return now + timedelta(seconds=delay)


def _release(
    poll: PollResult, now: datetime, settings: Settings, *, changed: bool, soonest: datetime | None
) -> TeamRelease:
    """The team's next list, last change and list floor after this poll."""
    claim = poll.claim
    last_change = now if changed else claim.last_change_at
    if not poll.lists:
        # one backfill or none: it is read on its own, the team has no list to come due
        return TeamRelease(claim.slack_team_id, None, last_change, None)
    if poll.listed is None:
        # no list this time: it failed or had to wait (try again then), or only
        # backfills between lists were read (the list stays when it was)
        next_list = poll.list_retry_at or claim.next_list_at or now
        return TeamRelease(claim.slack_team_id, next_list, last_change, claim.list_floor_id)
    if soonest is None:  # nothing of the team is left in the list
        soonest = now + timedelta(seconds=settings.poll_max_seconds)
    floor = min(poll.listed) if poll.list_full and poll.listed else None
    return TeamRelease(claim.slack_team_id, soonest, last_change, floor)


def _matches(row: TrackedRow, backfill: Backfill) -> bool:
    """Whether the store already holds what the list says of this backfill."""
    if row.unseen or not row.view:
        return False
    seen = (
        backfill.status.value,
        backfill.runs_total,
        backfill.runs_created,
        backfill.runs_completed,
        backfill.runs_failed,
        0,
    )
    return tuple(row.view) == seen and not backfill.status.is_final


def _external_values(backfill: Backfill) -> dict[str, object]:
    return {
        "backfill_id": backfill.backfill_id,
        "transfer_id": backfill.transfer_id,
        "range_start": backfill.range_start,
        "range_end": backfill.range_end,
        "status": backfill.status.value,
        "runs_total": backfill.runs_total,
        "runs_completed": backfill.runs_completed,
        "runs_failed": backfill.runs_failed,
        "created_time": backfill.created_time,
    }
