"""Team-batched polling: one ``GET /teams/{team}/backfills`` per team and poll.

The list holds every incomplete backfill of the team (CREATED, SCHEDULED, RUNNING,
FAILED), newest first, at most 100, with the same fields as a single GET.  So one call
observes all the team's running backfills; a tracked backfill missing from it is read on
its own only when it must have *left* the list (it finished or was cancelled: the list
had room, or it is newer than the oldest listed), or when it may be past the 100 newest
and its own poll is due.

Cadence: the team's list comes every ``poll_min_seconds`` while anything of the team
changed (or was submitted) recently, growing towards ``poll_max_seconds`` while all of it
is quiet (``cadence``), or sooner when a backfill it just saw change wants it; the
backfills seen in it are next due with it.  A backfill read on its own keeps its own
cadence.  A team that follows a single backfill reads it with its own GET: the same one
call, and no second one when it finishes.

Safety is the per-backfill tracker's: the team's lease (``team_queries``) means one
worker polls a team at a time; what the polls of a tick saw is recorded with its events
in one transaction that re-checks the leases first (``team_record``); the rate-limit
pacer and a 429 make only that team wait.  Backfills started outside Slack seen in the
list are kept as the team's external view (``bot.store.external_backfills``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.errors import BotError, DtsError, DtsRateLimitedError
from bot.messages.blocks import error_text
from bot.observability.logs import log_context
from bot.store.db import session_scope
from bot.supermetrics.client import DtsClient
from bot.supermetrics.models import LIST_CAP
from bot.supermetrics.team_client import DtsTeamClient
from bot.tracking.cadence import RateLimitPacer, failure_delay
from bot.tracking.queries import schedule_unscheduled
from bot.tracking.team_queries import TeamClaim, TrackedRow, claim_teams, due_teams
from bot.tracking.team_record import PollResult, record_polls
from bot.tracking.tick_stats import TickStats

log = logging.getLogger(__name__)


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
        with session_scope(self.session_factory) as session:
            schedule_unscheduled(session, now=now)
            due = due_teams(
                session, now=now, owner=self.owner, limit=self.settings.tracker_batch_size
            )
            # enough for one tick: the other teams wait a tick, which also spreads teams
            # that came due together over the following ticks
            chosen: list[str] = []
            rows = 0
            for team in due:
                if chosen and rows + team.due > self.settings.tracker_batch_size:
                    break
                chosen.append(team.slack_team_id)
                rows += team.due
            claims = claim_teams(
                session,
                slack_team_ids=chosen,
                owner=self.owner,
                now=now,
                lease_seconds=self.settings.tracker_lease_seconds,
            )
        stats.db_seconds += time.perf_counter() - started
        stats.claimed = sum(len(claim.tracked) for claim in claims)
        polls: list[PollResult] = []
        for claim in claims:
            try:
                polls.append(self._poll_team(claim, now, stats, credentials))
            except Exception as exc:
                # one broken team must not stop the others; its due requests count a failure
                log.exception("polling team %s failed unexpectedly", claim.slack_team_id)
                poll = PollResult(claim)
                poll.failures = {row.request_id: _reason(exc) for row in _due(claim.tracked, now)}
                polls.append(poll)
        record_polls(
            self.session_factory,
            polls,
            owner=self.owner,
            now=now,
            settings=self.settings,
            stats=stats,
        )

    # ------------------------------------------------------------------ calling
    def _poll_team(
        self,
        claim: TeamClaim,
        now: datetime,
        stats: TickStats,
        credentials: Callable[[str], tuple[int, str]],
    ) -> PollResult:
        poll = PollResult(claim)
        due = _due(claim.tracked, now)
        # The list comes on the team's cadence, or at once for new backfills (one call
        # sees them all); backfills due between lists (they left it, or may be past its
        # 100) are read on their own.  A team following one backfill reads it on its own:
        # the same one call, and none more when it finishes.
        listable = [row for row in claim.tracked if row.backfill_id is not None]
        poll.lists = len(listable) >= 2
        list_due = poll.lists and (
            claim.next_list_at is None
            or claim.next_list_at <= now
            or any(_new_in_list(row, claim.list_floor_id) for row in due)
        )
        # what a failed list leaves unseen: everything the list would have shown
        affected = listable if list_due else due
        try:
            team_id, token = credentials(claim.slack_team_id)
        except BotError as exc:
            poll.failures = {row.request_id: error_text(exc) for row in affected}
            poll.list_retry_at = self._after_failure(affected, now) if list_due else None
            return poll
        client = self.dts.team(team_id=team_id, token=token)
        for row in due:
            if row.backfill_id is None:
                poll.failures[row.request_id] = (
                    "The request has no Supermetrics backfill id, so it can't be tracked."
                )
        to_read: list[TrackedRow] = []
        if list_due:
            if not self._may_call(team_id, now):
                self._defer(poll, due, team_id, now, stats)
                poll.list_retry_at = self.pacer.available_at(team_id, now=now)
                return poll
            try:
                with log_context(slack_team=claim.slack_team_id):
                    listed = client.list_incomplete_backfills()
            except DtsRateLimitedError as exc:
                self._rate_limited(poll, due, team_id, now, exc, stats)
                return poll
            except DtsError as exc:
                self.pacer.record_call(team_id, now=now, rate=self.dts.rate_limit(team_id))
                for row in affected:
                    poll.failures.setdefault(row.request_id, error_text(exc))
                poll.list_retry_at = self._after_failure(affected, now)
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
                elif row.request_id in due_ids or _fell_off(row, claim):
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
        poll: PollResult,
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

    def _after_failure(self, rows: list[TrackedRow], now: datetime) -> datetime:
        """When to try the team's list again after it failed: the backoff of a poll."""
        failures = 1 + max((int(str(row.view[5])) for row in rows if row.view), default=0)
        delay = failure_delay(
            failures=failures,
            poll_min=self.settings.poll_min_seconds,
            poll_max=self.settings.poll_max_seconds,
        )
        return now + timedelta(seconds=delay)

    def _may_call(self, team_id: int, now: datetime) -> bool:
        return self.pacer.available_at(team_id, now=now) <= now

    def _defer(
        self,
        poll: PollResult,
        rows: list[TrackedRow],
        team_id: int,
        now: datetime,
        stats: TickStats,
    ) -> None:
        rate = self.dts.rate_limit(team_id)
        for rank, row in enumerate(rows):
            # one spacing apart, so they do not all come due at once
            later = self.pacer.deferral(team_id, now=now, rate=rate, rank=rank)
            poll.deferred[row.request_id] = later
        stats.deferred += len(rows)

    def _rate_limited(
        self,
        poll: PollResult,
        rows: list[TrackedRow],
        team_id: int,
        now: datetime,
        exc: DtsRateLimitedError,
        stats: TickStats,
    ) -> None:
        wait = exc.retry_after if exc.retry_after is not None else self.settings.poll_min_seconds
        until = now + timedelta(seconds=max(wait, 0.0))
        self.pacer.block(team_id, until=until)
        poll.list_retry_at = until
        log.info("team %s rate limited; waiting %.0fs", team_id, wait)
        for row in rows:
            poll.deferred[row.request_id] = until
        stats.deferred += len(rows)


def _new_in_list(row: TrackedRow, floor: int | None) -> bool:
    """Not observed yet, and the list can show it: newer than the oldest of the last full
    list (backfill ids grow with creation, and the list is newest first)."""
    if not row.unseen or row.backfill_id is None:
        return False
    return floor is None or row.backfill_id >= floor


def _fell_off(row: TrackedRow, claim: TeamClaim) -> bool:
    """Older than the oldest of this full list, but the team's last list showed it (that
    one had room, or it was not older than its oldest): newer backfills pushed it past
    the 100, or it finished; either way it is read now, not at its own later time."""
    if row.unseen or claim.next_list_at is None or row.backfill_id is None:
        return False
    return claim.list_floor_id is None or row.backfill_id >= claim.list_floor_id


def _waiting_order(row: TrackedRow) -> tuple[datetime, int]:
    return (row.next_poll_at or datetime.min.replace(tzinfo=UTC), row.request_id)


def _due(rows: tuple[TrackedRow, ...], now: datetime) -> list[TrackedRow]:
    return [row for row in rows if row.next_poll_at is None or row.next_poll_at <= now]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BotError):
        return error_text(exc)
    return f"An unexpected error ({type(exc).__name__}) happened while checking the backfill."
