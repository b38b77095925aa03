"""The tracker: follows every submitted backfill to its end and has the changes announced.

One tick (``run_once``):
1. expire unconfirmed requests (their cards lose the buttons, via the announcer);
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
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.announcer import Announcer
from bot.clock import Clock
from bot.config import Settings
from bot.errors import BotError, DtsError, DtsRateLimitedError, TokenError
from bot.notifier import Notifier
from bot.store.db import session_scope
from bot.store.models import TRACKED_STATES, BackfillRequest, RequestState
from bot.store.queries import (
    add_event,
    claim_due,
    expire_pending,
    release,
    transition,
    update_request,
)
from bot.store.tracking_queries import (
    flag_state_announcements,
    last_change_times,
    lock_leased,
    release_owned,
    schedule_unscheduled,
)
from bot.supermetrics.client import DtsClient
from bot.supermetrics.models import Backfill
from bot.tokens import TokenVault, workspace_token
from bot.tracking.cadence import RateLimitPacer, failure_delay, next_poll_delay
from bot.tracking.observe import needs_write, observe

log = logging.getLogger(__name__)

ACTOR = "tracker"
# how many announcement batches one tick may flush before polling again
MAX_FLUSH_ROUNDS = 20


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
        self.last_tick = TickStats()

    # --------------------------------------------------------------------- public
    def run_once(self, *, now: datetime | None = None) -> int:
        """One tick; return the number of backfills polled plus events announced."""
        now = now or self.clock.now()
        stats = TickStats()
        self._expire(now, stats)
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

    # ------------------------------------------------------------------ polling
    def _poll_due(self, now: datetime, stats: TickStats) -> None:
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
        for target in targets:
            try:
                self._poll_one(target, now, stats, credentials, waiting)
            except Exception as exc:
                # one broken request must not stop the others; count it like an API failure
                log.exception("polling request %s failed unexpectedly", target.request_id)
                try:
                    self._record_failure(target, now, stats, reason=_reason(exc))
                except BotError as store_exc:
                    # its lease expires and the request is polled again then
                    log.warning("could not record the failure: %s", store_exc.user_message)

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
    ) -> None:
        if target.backfill_id is None:
            self._record_failure(
                target,
                now,
                stats,
                reason="The request has no Supermetrics backfill id, so it can't be tracked.",
            )
            return
        try:
            team_id, token = self._credentials(target.slack_team_id, credentials)
        except BotError as exc:
            self._record_failure(target, now, stats, reason=exc.user_message)
            return
        available = self.pacer.available_at(team_id, now=now)
        if available > now:
            rank = waiting.get(team_id, 0)
            waiting[team_id] = rank + 1
            later = self.pacer.deferral(
                team_id, now=now, rate=self.dts.rate_limit(team_id), rank=rank
            )
            self._release(target, next_poll_at=later, stats=stats)
            stats.deferred += 1
            return
        try:
            backfill = self.dts.team(team_id=team_id, token=token).get_backfill(
                backfill_id=target.backfill_id
            )
        except DtsRateLimitedError as exc:
            wait = (
                exc.retry_after if exc.retry_after is not None else self.settings.poll_min_seconds
            )
            until = now + timedelta(seconds=max(wait, 0.0))
            self.pacer.block(team_id, until=until)
            log.info("team %s rate limited; waiting %.0fs", team_id, wait)
            waiting[team_id] = waiting.get(team_id, 0) + 1
            self._release(target, next_poll_at=until, stats=stats)
            stats.deferred += 1
            return
        except DtsError as exc:
            self.pacer.record_call(team_id, now=now, rate=self.dts.rate_limit(team_id))
            self._record_failure(target, now, stats, reason=exc.user_message)
            return
        stats.polled += 1
        self.pacer.record_call(team_id, now=now, rate=self.dts.rate_limit(team_id))
        self._apply(target, backfill, now, stats)

    def _apply(self, target: _Target, backfill: Backfill, now: datetime, stats: TickStats) -> None:
        """Record what the poll saw: events first, in the transaction that changes the row."""
        settings = self.settings
        started = time.perf_counter()
        with session_scope(self.session_factory) as session:
            row = lock_leased(session, request_id=target.request_id, owner=self.owner, now=now)
            if row is None:
                log.info("lease of request %s was taken over; dropping a poll", target.request_id)
                return
            if row.state not in TRACKED_STATES or row.tracking_paused:
                # cancelled through Slack or paused meanwhile: nothing more to poll
                release(session, request_id=row.id, owner=self.owner, next_poll_at=None)
                return
            seen = observe(row, backfill, now=now)
            values = dict(seen.values)
            if row.poll_failures:
                values["poll_failures"] = 0
            if seen.final:
                next_poll: datetime | None = None
            else:
                quiet_since = now if seen.changed else target.quiet_since
                delay = next_poll_delay(
                    quiet_seconds=(now - quiet_since).total_seconds(),
                    poll_min=settings.poll_min_seconds,
                    poll_max=settings.poll_max_seconds,
                )
                next_poll = now + timedelta(seconds=delay)
            if seen.state_changed:
                if seen.state is RequestState.RUNNING:
                    # the RUNNING reply shows progress; count the reply interval from it
                    values["last_progress_reply_at"] = now
                transition(
                    session,
                    request_id=row.id,
                    expected=row.state,
                    to=seen.state,
                    actor=ACTOR,
                    now=now,
                    values=values,
                    announce=True,
                    payload=seen.payload,
                )
                stats.changes += 1
            elif seen.progress_changed:
                reply = self._progress_reply_due(row, now)
                if reply:
                    values["last_progress_reply_at"] = now
                update_request(session, request_id=row.id, now=now, values=values)
                add_event(
                    session,
                    request_id=row.id,
                    kind="progress",
                    actor=ACTOR,
                    now=now,
                    payload={**seen.payload, "reply": reply},
                    needs_announcement=True,
                )
                stats.changes += 1
            elif needs_write(row, values):
                update_request(session, request_id=row.id, now=now, values=values)
            release(session, request_id=row.id, owner=self.owner, next_poll_at=next_poll)
        stats.db_seconds += time.perf_counter() - started

    def _progress_reply_due(self, row: BackfillRequest, now: datetime) -> bool:
        last = row.last_progress_reply_at or row.submitted_at
        if last is None:
            return True
        interval = self.settings.progress_reply_interval_seconds
        return (now - last).total_seconds() >= interval

    # --------------------------------------------------------------- bookkeeping
    def _release(self, target: _Target, *, next_poll_at: datetime, stats: TickStats) -> None:
        started = time.perf_counter()
        with session_scope(self.session_factory) as session:
            release(
                session, request_id=target.request_id, owner=self.owner, next_poll_at=next_poll_at
            )
        stats.db_seconds += time.perf_counter() - started

    def _record_failure(
        self, target: _Target, now: datetime, stats: TickStats, *, reason: str
    ) -> None:
        """Count a failed poll; after too many in a row, pause tracking and say why."""
        stats.failed += 1
        settings = self.settings
        started = time.perf_counter()
        with session_scope(self.session_factory) as session:
            row = lock_leased(session, request_id=target.request_id, owner=self.owner, now=now)
            if row is None:
                return
            failures = (row.poll_failures or 0) + 1
            if failures >= settings.tracker_max_failures:
                update_request(
                    session,
                    request_id=row.id,
                    now=now,
                    values={"poll_failures": failures, "tracking_paused": True},
                )
                add_event(
                    session,
                    request_id=row.id,
                    kind="tracking_paused",
                    actor=ACTOR,
                    now=now,
                    payload={"reason": reason, "failures": failures},
                    needs_announcement=True,
                )
                release(session, request_id=row.id, owner=self.owner, next_poll_at=None)
                log.warning(
                    "tracking of request %s paused after %d failures: %s", row.id, failures, reason
                )
                return
            update_request(session, request_id=row.id, now=now, values={"poll_failures": failures})
            delay = failure_delay(
                failures=failures,
                poll_min=settings.poll_min_seconds,
                poll_max=settings.poll_max_seconds,
            )
            release(
                session,
                request_id=row.id,
                owner=self.owner,
                next_poll_at=now + timedelta(seconds=delay),
            )
            log.info("poll of request %s failed (%d in a row): %s", row.id, failures, reason)
        stats.db_seconds += time.perf_counter() - started


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BotError):
        return exc.user_message
    return f"An unexpected error ({type(exc).__name__}) happened while checking the backfill."
