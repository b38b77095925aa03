"""The tracker: follows every submitted backfill to its end and has the changes announced.

One tick (``run_once``):
1. expire unconfirmed requests (their cards lose the buttons, via the announcer); every
   ``recovery_interval_seconds`` of tracker time, also settle requests left SUBMITTING
   by a process that died inside the create call (``recover_stuck``: the service's
   recovery, passed in by ``bot.service.background``);
2. claim the requests due for polling with a lease (several workers never poll one
   request at once; a dead worker's leases expire and are taken over);
3. poll each (``GET /teams/{team}/backfills/{id}``), paced per workspace by the
   rate-limit budget, a 429 making only that workspace wait;
4. store every change as events in the transaction that records it, then release the
   lease with the next poll time (soon after a change, less often while quiet);
5. announce what is pending (``Announcer.flush``), including earlier failures.

All state is in the database, so a restarted tracker simply carries on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.errors import BotError, DtsError, DtsRateLimitedError, TokenError
from bot.messages.blocks import error_text
from bot.messages.notifier import Notifier
from bot.store.db import session_scope
from bot.store.deliveries import prune_deliveries
from bot.store.models import RequestState
from bot.store.queries import claim_due, expire_pending
from bot.supermetrics.client import DtsClient
from bot.supermetrics.models import Backfill
from bot.tracking.announcer import Announcer
from bot.tracking.cadence import RateLimitPacer
from bot.tracking.queries import (
    flag_state_announcements,
    last_change_times,
    lock_leased_many,
    release_many,
    release_owned,
    schedule_unscheduled,
)
from bot.tracking.recording import record_failure, record_observation
from bot.vault import TokenVault, workspace_token

log = logging.getLogger(__name__)

# how many announcement batches one tick may flush before polling again
MAX_FLUSH_ROUNDS = 20
# how often (tracker time) to look for requests stuck SUBMITTING; one indexed query when
# none are, and the threshold itself is settings.submit_recovery_seconds
RECOVERY_INTERVAL_SECONDS = 30.0
# Slack retries an event for minutes, not days: a day of delivery ids is ample to answer
# every retry once, and the table stays small however long the bot runs
DELIVERY_RETENTION = timedelta(days=1)


def default_owner() -> str:
    """A lease owner name unique to this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class _Target:
    """A claimed request's values, read in the claim transaction."""

    request_id: int
    slack_team_id: str
    backfill_id: int | None
    quiet_since: datetime


@dataclass(frozen=True)
class _Outcome:
    """What polling one request came to: an answer, a failure, or a wait."""

    target: _Target
    backfill: Backfill | None = None
    failure: str | None = None
    defer_until: datetime | None = None


@dataclass
class TickStats:
    """What one tick did (the benchmark and tests read it)."""

    claimed: int = 0
    polled: int = 0
    deferred: int = 0
    failed: int = 0
    changes: int = 0
    announced: int = 0
    expired: int = 0
    recovered: int = 0
    db_seconds: float = 0.0


class Tracker:
    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        dts: DtsClient,
        vault: TokenVault,
        notifier: Notifier,
        clock: Clock,
        owner: str | None = None,
        announcer: Announcer | None = None,
        pacer: RateLimitPacer | None = None,
        recovery_interval_seconds: float = RECOVERY_INTERVAL_SECONDS,
        recover_stuck: Callable[[], int] | None = None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.dts = dts
        self.vault = vault
        self.notifier = notifier
        self.clock = clock
        self.owner = owner or default_owner()
        self.announcer = announcer or Announcer(
            settings=settings, session_factory=session_factory, notifier=notifier, clock=clock
        )
        self.pacer = pacer or RateLimitPacer()
        self.recovery_interval = timedelta(seconds=recovery_interval_seconds)
        self.last_tick = TickStats()
        self._next_recovery_at: datetime | None = None  # None: at the first tick
        # the service's stuck-submission recovery, passed in: the tracker sits below the service
        self.recover_stuck = recover_stuck

    # --------------------------------------------------------------------- public
    def run_once(self, *, now: datetime | None = None) -> int:
        """One tick; return the number of backfills polled plus events announced."""
        now = now or self.clock.now()
        stats = TickStats()
        self._expire(now, stats)
        self._recover_stuck(now, stats)
        self._poll_due(now, stats)
        for _ in range(MAX_FLUSH_ROUNDS):
            count = self.announcer.flush(limit=self.settings.tracker_batch_size)
            stats.announced += count
            if count < self.settings.tracker_batch_size:
                break
        self.last_tick = stats
        return stats.polled + stats.announced

    def run_forever(self, stop: threading.Event) -> None:
        """Tick every ``tracker_tick_seconds`` until ``stop`` is set; survive any error."""
        log.info("tracker %s started", self.owner)
        try:
            with session_scope(self.session_factory) as session:
                # a restart under the same owner name takes its old leases back at once
                release_owned(session, owner=self.owner)
        except BotError as exc:
            log.warning("could not release old leases: %s", exc.user_message)
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.run_once()
            except Exception:
                log.exception("tracker tick failed; trying again next tick")
            elapsed = time.monotonic() - started
            stop.wait(max(self.settings.tracker_tick_seconds - elapsed, 0.0))
        log.info("tracker %s stopped", self.owner)

    # ------------------------------------------------------------------- expiry
    def _expire(self, now: datetime, stats: TickStats) -> None:
        try:
            started = time.perf_counter()
            with session_scope(self.session_factory) as session:
                expired = expire_pending(session, now=now, actor="expiry")
                flag_state_announcements(
                    session, request_ids=expired, to_state=RequestState.EXPIRED
                )
            stats.db_seconds += time.perf_counter() - started
        except BotError as exc:
            log.warning("expiring pending requests failed: %s", exc.user_message)
            return
        stats.expired = len(expired)
        if expired:
            log.info("expired %d unconfirmed request(s): %s", len(expired), expired)

    # ----------------------------------------------------------------- recovery
    def _recover_stuck(self, now: datetime, stats: TickStats) -> None:
        """Settle requests stuck SUBMITTING and forget old Slack deliveries, at most every
        ``recovery_interval``."""
        if self._next_recovery_at is not None and now < self._next_recovery_at:
            return
        self._next_recovery_at = now + self.recovery_interval
        try:
            with session_scope(self.session_factory) as session:
                prune_deliveries(session, before=now - DELIVERY_RETENTION)
        except BotError as exc:
            log.warning("forgetting old Slack deliveries failed: %s", exc.user_message)
        if self.recover_stuck is None:
            return
        try:
            stats.recovered = self.recover_stuck()
        except BotError as exc:
            log.warning("recovering stuck submissions failed: %s", exc.user_message)
            return
        if stats.recovered:
            log.info("recovered %d request(s) stuck submitting", stats.recovered)

    # ------------------------------------------------------------------ polling
    def _poll_due(self, now: datetime, stats: TickStats) -> None:
        """Claim what is due, call the API for each (no transaction open), then record."""
        started = time.perf_counter()
        with session_scope(self.session_factory) as session:
            schedule_unscheduled(session, now=now)
            rows = claim_due(
                session,
                now=now,
                owner=self.owner,
                lease_seconds=self.settings.tracker_lease_seconds,
                limit=self.settings.tracker_batch_size,
            )
            changed_at = last_change_times(session, request_ids=[row.id for row in rows])
            targets = [
                _Target(
                    request_id=row.id,
                    slack_team_id=row.slack_team_id,
                    backfill_id=row.backfill_id,
                    quiet_since=changed_at.get(row.id) or row.submitted_at or now,
                )
                for row in rows
            ]
        stats.db_seconds += time.perf_counter() - started
        stats.claimed = len(targets)
        credentials: dict[str, tuple[int, str] | BotError] = {}
        waiting: dict[int, int] = {}  # team -> how many of its requests already wait
        outcomes: list[_Outcome] = []
        for target in targets:
            try:
                outcomes.append(self._poll_one(target, now, stats, credentials, waiting))
            except Exception as exc:
                # one broken request must not stop the others; count it like an API failure
                log.exception("polling request %s failed unexpectedly", target.request_id)
                outcomes.append(_Outcome(target, failure=_reason(exc)))
        self._record(outcomes, now, stats)

    def _credentials(
        self, slack_team_id: str, cache: dict[str, tuple[int, str] | BotError]
    ) -> tuple[int, str]:
        cached = cache.get(slack_team_id)
        if cached is None:
            try:
                with session_scope(self.session_factory) as session:
                    cached = workspace_token(session, self.vault, slack_team_id=slack_team_id)
            except TokenError as exc:
                cached = exc
            cache[slack_team_id] = cached
        if isinstance(cached, BotError):
            raise cached
        return cached

    def _poll_one(
        self,
        target: _Target,
        now: datetime,
        stats: TickStats,
        credentials: dict[str, tuple[int, str] | BotError],
        waiting: dict[int, int],
    ) -> _Outcome:
        """Ask the API about one backfill, unless its workspace has to wait."""
        if target.backfill_id is None:
            reason = "The request has no Supermetrics backfill id, so it can't be tracked."
            return _Outcome(target, failure=reason)
        try:
            team_id, token = self._credentials(target.slack_team_id, credentials)
        except BotError as exc:
            return _Outcome(target, failure=error_text(exc))
        if self.pacer.available_at(team_id, now=now) > now:
            rank = waiting.get(team_id, 0)
            waiting[team_id] = rank + 1
            stats.deferred += 1
            later = self.pacer.deferral(
                team_id, now=now, rate=self.dts.rate_limit(team_id), rank=rank
            )
            return _Outcome(target, defer_until=later)
        try:
            backfill = self.dts.team(team_id=team_id, token=token).get_backfill(
                backfill_id=target.backfill_id
            )
        except DtsRateLimitedError as exc:
            wait = self.settings.poll_min_seconds
            if exc.retry_after is not None:
                wait = exc.retry_after
            until = now + timedelta(seconds=max(wait, 0.0))
            self.pacer.block(team_id, until=until)
            log.info("team %s rate limited; waiting %.0fs", team_id, wait)
            waiting[team_id] = waiting.get(team_id, 0) + 1
            stats.deferred += 1
            return _Outcome(target, defer_until=until)
        except DtsError as exc:
            self.pacer.record_call(team_id, now=now, rate=self.dts.rate_limit(team_id))
            return _Outcome(target, failure=error_text(exc))
        stats.polled += 1
        self.pacer.record_call(team_id, now=now, rate=self.dts.rate_limit(team_id))
        return _Outcome(target, backfill=backfill)

    def _record(self, outcomes: list[_Outcome], now: datetime, stats: TickStats) -> None:
        """Record the outcomes, a chunk per transaction; a chunk that fails goes one by one."""
        chunk_size = 100
        for first in range(0, len(outcomes), chunk_size):
            chunk = outcomes[first : first + chunk_size]
            try:
                self._record_chunk(chunk, now, stats)
            except Exception:
                log.exception("recording %d polls failed; recording them one by one", len(chunk))
                for outcome in chunk:
                    try:
                        self._record_chunk([outcome], now, stats)
                    except Exception:
                        # its lease expires and the request is polled again then
                        log.exception(
                            "recording the poll of request %s failed",
                            outcome.target.request_id,
                        )

    def _record_chunk(self, chunk: list[_Outcome], now: datetime, stats: TickStats) -> None:
        started = time.perf_counter()
        changes = failed = 0
        with session_scope(self.session_factory) as session:
            rows = lock_leased_many(
                session, request_ids=[o.target.request_id for o in chunk], owner=self.owner
            )
            next_polls: list[tuple[int, datetime | None]] = []
            for outcome in chunk:
                request_id = outcome.target.request_id
                row = rows.get(request_id)
                if row is None:
                    log.info("lease of request %s was taken over; dropping a poll", request_id)
                    continue
                if outcome.defer_until is not None:
                    next_polls.append((request_id, outcome.defer_until))
                elif outcome.backfill is not None:
                    next_poll, changed = record_observation(
                        session,
                        row=row,
                        backfill=outcome.backfill,
                        quiet_since=outcome.target.quiet_since,
                        now=now,
                        settings=self.settings,
                    )
                    changes += changed
                    next_polls.append((request_id, next_poll))
                else:
                    failed += 1
                    reason = outcome.failure or "The backfill could not be checked."
                    next_polls.append(
                        (
                            request_id,
                            record_failure(
                                session, row=row, reason=reason, now=now, settings=self.settings
                            ),
                        )
                    )
            release_many(session, owner=self.owner, next_polls=next_polls)
        stats.changes += changes
        stats.failed += failed
        stats.db_seconds += time.perf_counter() - started


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BotError):
        return error_text(exc)
    return f"An unexpected error ({type(exc).__name__}) happened while checking the backfill."
