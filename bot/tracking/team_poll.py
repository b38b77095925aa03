"""Team-batched polling: one ``GET /teams/{team}/backfills`` per team and poll.

The list holds every incomplete backfill of the team (CREATED, SCHEDULED, RUNNING,
FAILED), newest first, at most 100, with the same fields as a single GET.  So one call
observes all the team's running backfills; a tracked backfill missing from it is read on
its own only when it must have *left* the list (it finished or was cancelled: the list
had room, or it is newer than the oldest listed), or when it may be past the 100 newest
and its own poll is due.

Cadence: each backfill keeps its own next poll time as if polled alone (``cadence``:
the shortest interval after a change, growing while it is quiet); the team's list comes
at the soonest of them, so every ``poll_min_seconds`` while any backfill of the team
changed recently, towards ``poll_max_seconds`` while all are quiet, and the backfills
seen in it are next due with it.  A team that follows a single backfill reads it with its
own GET: the same one call, and no second one when it finishes.

Safety is the per-backfill tracker's: the team's lease (``team_queries``) means one
worker polls a team at a time; what a poll saw is recorded with its events in one
transaction that re-checks the lease first; the rate-limit pacer and a 429 make only that
team wait.  Backfills started outside Slack seen in the list are kept as the team's
external view (``bot.store.external_backfills``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.errors import BotError, DtsError, DtsRateLimitedError
from bot.messages.blocks import error_text
from bot.observability.logs import log_context
from bot.store.db import session_scope
from bot.store.external_backfills import replace_external_view
from bot.supermetrics.client import DtsClient
from bot.supermetrics.models import LIST_CAP, Backfill
from bot.supermetrics.team_client import DtsTeamClient
from bot.tracking.cadence import RateLimitPacer, next_poll_delay
from bot.tracking.queries import last_change_times, schedule_unscheduled
from bot.tracking.recording import record_failure, record_observation
from bot.tracking.team_queries import (
    TeamClaim,
    TrackedRow,
    claim_team,
    due_teams,
    lock_team,
    lock_tracked,
    release_team,
    set_next_poll_of,
    set_next_polls,
)
from bot.tracking.tick_stats import TickStats

log = logging.getLogger(__name__)


@dataclass
class _Poll:
    """What one team's poll came to, before it is recorded."""

    claim: TeamClaim
    listed: dict[int, Backfill] | None = None  # None: no list this time
    list_full: bool = False
    fetched: dict[int, Backfill] = field(default_factory=dict)  # request id -> own GET
    failures: dict[int, str] = field(default_factory=dict)  # request id -> reason
    deferred: dict[int, datetime] = field(default_factory=dict)  # request id -> retry at


class TeamPoller:
    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        dts: DtsClient,
        pacer: RateLimitPacer,
        owner: str,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.dts = dts
        self.pacer = pacer
        self.owner = owner

    def poll_due(
        self, now: datetime, stats: TickStats, credentials: Callable[[str], tuple[int, str]]
    ) -> None:
        """Claim the teams with something due, poll each, record each.

        ``credentials``: a workspace's (Supermetrics team id, token); raises BotError.
        """
        started = time.perf_counter()
        claims: list[TeamClaim] = []
        rows = 0
        with session_scope(self.session_factory) as session:
            schedule_unscheduled(session, now=now)
            for slack_team_id in due_teams(
                session, now=now, owner=self.owner, limit=self.settings.tracker_batch_size
            ):
                claim = claim_team(
                    session,
                    slack_team_id=slack_team_id,
                    owner=self.owner,
                    now=now,
                    lease_seconds=self.settings.tracker_lease_seconds,
                )
                if claim is not None:
                    claims.append(claim)
                    rows += len(claim.tracked)
                if rows >= self.settings.tracker_batch_size:
                    # enough for one tick: the other teams wait a tick, which also
                    # spreads teams that came due together over the following ticks
                    break
        stats.db_seconds += time.perf_counter() - started
        stats.claimed = sum(len(claim.tracked) for claim in claims)
        for claim in claims:
            try:
                poll = self._poll_team(claim, now, stats, credentials)
            except Exception as exc:
                # one broken team must not stop the others; its due requests count a failure
                log.exception("polling team %s failed unexpectedly", claim.slack_team_id)
                poll = _Poll(claim)
                poll.failures = {row.request_id: _reason(exc) for row in _due(claim.tracked, now)}
            try:
                self._record(poll, now, stats)
            except Exception:
                # the lease expires and the team is polled again then; nothing was written
                log.exception("recording the poll of team %s failed", claim.slack_team_id)

    # ------------------------------------------------------------------ calling
    def _poll_team(
        self,
        claim: TeamClaim,
        now: datetime,
        stats: TickStats,
        credentials: Callable[[str], tuple[int, str]],
    ) -> _Poll:
        poll = _Poll(claim)
        due = _due(claim.tracked, now)
        try:
            team_id, token = credentials(claim.slack_team_id)
        except BotError as exc:
            poll.failures = {row.request_id: error_text(exc) for row in due}
            return poll
        client = self.dts.team(team_id=team_id, token=token)
        for row in due:
            if row.backfill_id is None:
                poll.failures[row.request_id] = (
                    "The request has no Supermetrics backfill id, so it can't be tracked."
                )
        # The list comes on the team's cadence, or at once for new backfills (one call
        # sees them all); backfills due between lists (they left it, or may be past its
        # 100) are read on their own.  A team following one backfill reads it on its own:
        # the same one call, and none more when it finishes.
        listable = sum(1 for row in claim.tracked if row.backfill_id is not None)
        list_due = listable >= 2 and (
            claim.next_list_at is None
            or claim.next_list_at <= now
            or any(_new_in_list(row, claim.list_floor_id) for row in due)
        )
        to_read: list[TrackedRow] = []
        if list_due:
            if not self._may_call(team_id, now):
                self._defer(poll, due, team_id, now, stats)
                return poll
            try:
                with log_context(slack_team=claim.slack_team_id):
                    listed = client.list_incomplete_backfills()
            except DtsRateLimitedError as exc:
                self._rate_limited(poll, due, team_id, now, exc, stats)
                return poll
            except DtsError as exc:
                self.pacer.record_call(team_id, now=now, rate=self.dts.rate_limit(team_id))
                for row in due:
                    poll.failures.setdefault(row.request_id, error_text(exc))
                return poll
            self.pacer.record_call(team_id, now=now, rate=self.dts.rate_limit(team_id))
            poll.listed = {backfill.backfill_id: backfill for backfill in listed}
            poll.list_full = len(listed) >= LIST_CAP
            oldest = min(poll.listed) if poll.list_full and poll.listed else None
            stats.polled += sum(1 for row in claim.tracked if row.backfill_id in poll.listed)
            due_ids = {row.request_id for row in due}
            left: list[TrackedRow] = []
            for row in claim.tracked:
                if row.backfill_id is None or row.backfill_id in poll.listed:
                    continue
                # gone from a list with room, or newer than the oldest of a full one: it
                # left the list (backfill ids grow with creation, and the list is newest
                # first); an older one may just not fit in the 100
                if oldest is None or row.backfill_id > oldest:
                    left.append(row)
                elif row.request_id in due_ids:
                    to_read.append(row)
            # those that left first (they changed), then the longest waiting
            to_read = left + sorted(to_read, key=_waiting_order)
        else:
            to_read = sorted(
                (row for row in due if row.backfill_id is not None), key=_waiting_order
            )
        self._read_each(poll, to_read, client, team_id, now, stats)
        return poll

    def _read_each(
        self,
        poll: _Poll,
        rows: list[TrackedRow],
        client: DtsTeamClient,
        team_id: int,
        now: datetime,
        stats: TickStats,
    ) -> None:
        for index, row in enumerate(rows):
            if not self._may_call(team_id, now):
                self._defer(poll, rows[index:], team_id, now, stats)
                return
            if row.backfill_id is None:
                continue
            try:
                with log_context(
                    request_id=row.request_id,
                    backfill_id=row.backfill_id,
                    slack_team=poll.claim.slack_team_id,
                ):
                    backfill = client.get_backfill(backfill_id=row.backfill_id)
            except DtsRateLimitedError as exc:
                self._rate_limited(poll, rows[index:], team_id, now, exc, stats)
                return
            except DtsError as exc:
                self.pacer.record_call(team_id, now=now, rate=self.dts.rate_limit(team_id))
                poll.failures[row.request_id] = error_text(exc)
                continue
            self.pacer.record_call(team_id, now=now, rate=self.dts.rate_limit(team_id))
            poll.fetched[row.request_id] = backfill
            stats.polled += 1

    def _may_call(self, team_id: int, now: datetime) -> bool:
        return self.pacer.available_at(team_id, now=now) <= now

    def _defer(
        self, poll: _Poll, rows: list[TrackedRow], team_id: int, now: datetime, stats: TickStats
    ) -> None:
        rate = self.dts.rate_limit(team_id)
        for rank, row in enumerate(rows):
            # one spacing apart, so they do not all come due at once
            later = self.pacer.deferral(team_id, now=now, rate=rate, rank=rank)
            poll.deferred[row.request_id] = later
        stats.deferred += len(rows)

    def _rate_limited(
        self,
        poll: _Poll,
        rows: list[TrackedRow],
        team_id: int,
        now: datetime,
        exc: DtsRateLimitedError,
        stats: TickStats,
    ) -> None:
        wait = exc.retry_after if exc.retry_after is not None else self.settings.poll_min_seconds
        until = now + timedelta(seconds=max(wait, 0.0))
        self.pacer.block(team_id, until=until)
        log.info("team %s rate limited; waiting %.0fs", team_id, wait)
        for row in rows:
            poll.deferred[row.request_id] = until
        stats.deferred += len(rows)

    # ---------------------------------------------------------------- recording
    def _record(self, poll: _Poll, now: datetime, stats: TickStats) -> None:
        started = time.perf_counter()
        claim = poll.claim
        listed = poll.listed or {}
        by_backfill = {row.backfill_id: row for row in claim.tracked}
        seen_in_list = {
            by_backfill[backfill_id].request_id: backfill
            for backfill_id, backfill in listed.items()
            if backfill_id in by_backfill
        }
        changes = 0
        with session_scope(self.session_factory) as session:
            if not lock_team(session, slack_team_id=claim.slack_team_id, owner=self.owner):
                log.info("lease of team %s was taken over; dropping a poll", claim.slack_team_id)
                return
            # only entries that differ from the store are locked and recorded; the rest
            # just come due again with the team's next list
            tracked = {row.request_id: row for row in claim.tracked}
            same = [rid for rid, b in seen_in_list.items() if _matches(tracked[rid], b)]
            for request_id in same:
                del seen_in_list[request_id]
            wanted = {*seen_in_list, *poll.fetched, *poll.failures, *poll.deferred}
            rows = lock_tracked(session, request_ids=wanted, now=now)
            quiet = last_change_times(session, request_ids=[*same, *seen_in_list, *poll.fetched])
            submitted = {row.request_id: row.submitted_at for row in claim.tracked}
            next_polls: list[tuple[int, datetime | None]] = []
            on_list: list[int] = list(same)  # still tracked, seen in the team's next list
            # each backfill's own next poll, as if polled alone: the team's next list is
            # the soonest of them (the shortest interval while any changed recently)
            soonest: datetime | None = None
            for request_id in same:
                since = quiet.get(request_id) or submitted.get(request_id) or now
                delay = next_poll_delay(
                    quiet_seconds=(now - since).total_seconds(),
                    poll_min=self.settings.poll_min_seconds,
                    poll_max=self.settings.poll_max_seconds,
                )
                own = now + timedelta(seconds=delay)
                soonest = own if soonest is None else min(soonest, own)
            for request_id, backfill in seen_in_list.items():
                row = rows.get(request_id)
                if row is None:
                    continue
                following, changed = record_observation(
                    session,
                    row=row,
                    backfill=backfill,
                    quiet_since=quiet.get(request_id) or submitted.get(request_id) or now,
                    now=now,
                    settings=self.settings,
                )
                changes += changed
                if following is None:
                    next_polls.append((request_id, None))
                else:
                    on_list.append(request_id)
                    soonest = following if soonest is None else min(soonest, following)
            for request_id, backfill in poll.fetched.items():
                row = rows.get(request_id)
                if row is None:
                    continue
                since = quiet.get(request_id) or submitted.get(request_id) or now
                following, changed = record_observation(
                    session,
                    row=row,
                    backfill=backfill,
                    quiet_since=since,
                    now=now,
                    settings=self.settings,
                )
                changes += changed
                next_polls.append((request_id, following))
            for request_id, reason in poll.failures.items():
                row = rows.get(request_id)
                if row is not None:
                    stats.failed += 1
                    following = record_failure(
                        session, row=row, reason=reason, now=now, settings=self.settings
                    )
                    next_polls.append((request_id, following))
            for request_id, later in poll.deferred.items():
                if request_id in rows:
                    next_polls.append((request_id, later))
            next_list_at, last_change_at, floor = self._team_cadence(
                poll, now, changed=changes > 0, soonest=soonest
            )
            set_next_poll_of(session, request_ids=on_list, when=next_list_at)
            set_next_polls(session, next_polls=next_polls)
            if poll.listed is not None:
                replace_external_view(
                    session,
                    slack_team_id=claim.slack_team_id,
                    listed=[_external_values(b) for b in poll.listed.values()],
                    now=now,
                )
            release_team(
                session,
                slack_team_id=claim.slack_team_id,
                owner=self.owner,
                next_list_at=next_list_at,
                last_change_at=last_change_at,
                list_floor_id=floor,
            )
        stats.changes += changes
        stats.db_seconds += time.perf_counter() - started

    def _team_cadence(
        self, poll: _Poll, now: datetime, *, changed: bool, soonest: datetime | None
    ) -> tuple[datetime, datetime | None, int | None]:
        """(next list, last change, list floor) after this poll."""
        claim = poll.claim
        last_change = now if changed else claim.last_change_at
        if poll.listed is None:
            # no list this time: only backfills between lists were read, or it had to wait
            next_list = claim.next_list_at or now
            if poll.deferred and next_list <= now:
                next_list = min(poll.deferred.values())
            return next_list, last_change, claim.list_floor_id
        if soonest is None:  # nothing of the team is left in the list
            soonest = now + timedelta(seconds=self.settings.poll_max_seconds)
        floor = min(poll.listed) if poll.list_full and poll.listed else None
        return soonest, last_change, floor


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


def _new_in_list(row: TrackedRow, floor: int | None) -> bool:
    """Not observed yet, and the list can show it: newer than the oldest of the last full
    list (backfill ids grow with creation, and the list is newest first)."""
    if not row.unseen or row.backfill_id is None:
        return False
    return floor is None or row.backfill_id >= floor


def _waiting_order(row: TrackedRow) -> tuple[datetime, int]:
    return (row.next_poll_at or datetime.min.replace(tzinfo=UTC), row.request_id)


def _due(rows: tuple[TrackedRow, ...], now: datetime) -> list[TrackedRow]:
    return [row for row in rows if row.next_poll_at is None or row.next_poll_at <= now]


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


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BotError):
        return error_text(exc)
    return f"An unexpected error ({type(exc).__name__}) happened while checking the backfill."
