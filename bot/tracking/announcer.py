"""Posts stored events to Slack: thread replies under the request's card, card updates.

Every observed change is stored as a ``RequestEvent`` first (in the transaction that made
the change); this module announces what is pending, oldest first, and marks each event
announced once it is posted.  A crash between the two re-announces instead of losing.

Exactly once across threads and processes, on SQLite and PostgreSQL alike: a request's
events are announced while holding a lease on its row (``bot.tracking.announce_lease``:
a conditional UPDATE committed at once, so no transaction stays open across a Slack
call), plus a set of busy request ids within the process that spares the database the
contention of its own threads. Whoever does not get the lease skips the request: the
holder announces everything pending. ``mark_announced`` stays conditional besides.

Slack failures never escape: the event keeps waiting, with an attempt counted and a
growing pause (in memory, ``ANNOUNCE_RETRY_BASE_SECONDS`` doubling up to
``ANNOUNCE_RETRY_MAX_SECONDS``) before the next try, until it is posted (a Slack outage
of any length loses nothing); only with ``ANNOUNCE_MAX_ATTEMPTS`` set is it given up,
with a log line.  A deleted card is replaced by a fresh message and the thread moves
under it.

A post whose answer was lost (Slack took it, the answer timed out) must not be posted
again: each thread reply carries its event as a marker (Slack message metadata), and
before retrying an event that failed before, the thread is read back for the marker.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.errors import BotError
from bot.messages.notifier import Notifier
from bot.messages.plan_cards import PlanView
from bot.messages.status_updates import affects_card, is_slack_user
from bot.observability import metrics
from bot.observability.logs import log_context
from bot.store.db import session_scope
from bot.store.models import BackfillRequest, RequestEvent, RequestState
from bot.store.plans import plan_of
from bot.store.queries import (
    list_events,
    mark_announced,
    pending_announcements,
    record_announce_failure,
    update_request,
)
from bot.tracking.announce_lease import release_announce_lease, take_announce_lease
from bot.tracking.delivery import Deliverer, Delivery, Work
from bot.tracking.queries import give_up_announcement, pending_request_ids

log = logging.getLogger(__name__)

# per request and flush, so one chatty request cannot starve the others
MAX_EVENTS_PER_REQUEST = 20
# renewed before each event: longer than one event's Slack calls (up to three and a read
# back, each within SLACK_TIMEOUT_SECONDS and a few retries), short enough that the lease of
# a process killed mid-event frees soon: twelve timeouts (120 s with the default 10 s)
ANNOUNCE_LEASE_PER_SLACK_TIMEOUT = 12
ANNOUNCE_LEASE_SECONDS = 120.0  # with the default timeout
_CANCEL_EVENT_KINDS = {"cancel_requested", "cancel", "cancelled"}

# One per process, shared by every Announcer in it (the service's and the tracker's).
_busy: set[int] = set()
_busy_lock = threading.Lock()


@contextmanager
def _claim_in_process(request_id: int) -> Iterator[bool]:
    with _busy_lock:
        if request_id in _busy:
            claimed = False
        else:
            _busy.add(request_id)
            claimed = True
    try:
        yield claimed
    finally:
        if claimed:
            with _busy_lock:
                _busy.discard(request_id)


@dataclass
class _Backoff:
    attempts: int
    until: datetime


def _default_owner() -> str:
    return f"announcer:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Announcer:
    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        notifier: Notifier,
        clock: Clock,
        max_attempts: int | None = None,
        owner: str | None = None,
        lease_seconds: float | None = None,
        on_status_change: Callable[[str, str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.notifier = notifier
        self._delivery = Deliverer(notifier)
        self.clock = clock
        # 0: retried until posted
        self.max_attempts = settings.announce_max_attempts if max_attempts is None else max_attempts
        self.owner = owner or _default_owner()
        self.lease_seconds = lease_seconds or (
            ANNOUNCE_LEASE_PER_SLACK_TIMEOUT * settings.slack_timeout_seconds
        )
        self._backoff: dict[int, _Backoff] = {}
        self._backoff_lock = threading.Lock()
        # told (slack_team_id, requester) after a status change is announced, e.g. to
        # refresh the requester's App Home; given from above, must only schedule work
        self.on_status_change = on_status_change

    # --------------------------------------------------------------------- public
    def flush(self, *, request_id: int | None = None, limit: int = 100) -> int:
        """Announce pending events (of one request, or of any); return how many were."""
        now = self.clock.now()
        if request_id is not None:
            request_ids = [request_id]
        else:
            with session_scope(self.session_factory) as session:
                request_ids = pending_request_ids(
                    session, limit=limit, exclude=self._waiting_ids(now)
                )
        announced = 0
        for rid in request_ids:
            if request_id is None and self._waiting(rid, now):
                continue
            try:
                with log_context(request_id=rid):
                    announced += self._flush_request(rid)
            except BotError as exc:
                # a database hiccup: the events stay pending for the next flush
                log.warning("announcing request %s failed: %s", rid, exc.user_message)
        return announced

    # ------------------------------------------------------------------- internals
    def _waiting_ids(self, now: datetime) -> list[int]:
        with self._backoff_lock:
            return [rid for rid, backoff in self._backoff.items() if backoff.until > now]

    def _waiting(self, request_id: int, now: datetime) -> bool:
        with self._backoff_lock:
            backoff = self._backoff.get(request_id)
            return backoff is not None and backoff.until > now

    def _note_failure(self, request_id: int, attempts: int) -> None:
        base = self.settings.announce_retry_base_seconds
        # the exponent is capped so that an outage of days does not overflow the float
        delay = min(self.settings.announce_retry_max_seconds, base * 2 ** min(attempts - 1, 30))
        with self._backoff_lock:
            self._backoff[request_id] = _Backoff(
                attempts, self.clock.now() + timedelta(seconds=delay)
            )

    def _note_success(self, request_id: int) -> None:
        with self._backoff_lock:
            self._backoff.pop(request_id, None)

    def _flush_request(self, request_id: int) -> int:
        """Announce a request's pending events under its lease; 0 if someone else holds it."""
        with _claim_in_process(request_id) as claimed:
            if not claimed:
                return 0
            with session_scope(self.session_factory) as session:
                if not self._take_lease(session, request_id):
                    return 0  # another process is announcing this request
                work = self._next(session, request_id)
                if work is None:
                    release_announce_lease(session, request_id=request_id, owner=self.owner)
                    return 0
            held = True
            announced = 0
            try:
                for _ in range(MAX_EVENTS_PER_REQUEST):
                    # Slack calls only: no transaction is open here
                    delivery = self._delivery.deliver(work)
                    with session_scope(self.session_factory) as session:
                        done = self._settle(session, work, delivery)
                        if not done:
                            # a Slack failure: a later flush retries it
                            release_announce_lease(session, request_id=request_id, owner=self.owner)
                            held = False
                            break
                        announced += 1
                        self._tell_status_change(work)
                        if not self._take_lease(session, request_id):
                            # it expired and was taken over: leave the rest to the taker
                            log.warning("lost the announce lease of request %s", request_id)
                            held = False
                            break
                        next_work = self._next(session, request_id)
                        if next_work is None:
                            release_announce_lease(session, request_id=request_id, owner=self.owner)
                            held = False
                            break
                        work = next_work
            finally:
                if held:
                    self._release(request_id)
        return announced

    def _tell_status_change(self, work: Work) -> None:
        if self.on_status_change is None or work.event.kind != "state":
            return
        try:
            self.on_status_change(work.request.slack_team_id, work.request.user_id)
        except Exception:
            log.exception("the status-change listener failed for request %s", work.request.id)

    def _take_lease(self, session: Session, request_id: int) -> bool:
        return take_announce_lease(
            session,
            request_id=request_id,
            owner=self.owner,
            now=self.clock.now(),
            seconds=self.lease_seconds,
        )

    def _release(self, request_id: int) -> None:
        try:
            with session_scope(self.session_factory) as session:
                release_announce_lease(session, request_id=request_id, owner=self.owner)
        except Exception:
            # it expires by itself; until then only this process announces the request
            log.exception("releasing the announce lease of request %s failed", request_id)

    def _next(self, session: Session, request_id: int) -> Work | None:
        """The oldest pending event of the request, with what announcing it needs."""
        request = session.get(BackfillRequest, request_id, populate_existing=True)
        if request is None:
            return None
        pending = pending_announcements(
            session, request_id=request_id, limit=MAX_EVENTS_PER_REQUEST
        )
        if not pending:
            self._note_success(request_id)
            return None
        event = pending[0]
        cancelled_by = None
        if event.kind == "state" and event.to_state is RequestState.CANCELLED:
            cancelled_by = self._cancelled_by(session, request, event)
        # the card shows the request as it is now: one update, with the last change
        card_later = any(affects_card(later) for later in pending[1:])
        rows = plan_of(session, request_id=request_id)
        plan = PlanView(plan=rows.plan, steps=rows.steps, links=rows.links) if rows else None
        return Work(
            request, event, update_card=not card_later, cancelled_by=cancelled_by, plan=plan
        )

    def _settle(self, session: Session, work: Work, delivery: Delivery) -> bool:
        """Record what the Slack calls did: True once the event is done with."""
        request_id, event = work.request.id, work.event
        if delivery.fresh_card:
            update_request(
                session, request_id=request_id, now=self.clock.now(), values=delivery.fresh_card
            )
        exc = delivery.error
        if exc is None:
            now = self.clock.now()
            mark_announced(session, event_id=event.id, now=now)
            metrics.current().announced(event.kind, (now - event.created_at).total_seconds())
            return True
        attempts = record_announce_failure(session, event_id=event.id)
        if self.max_attempts and attempts >= self.max_attempts:
            give_up_announcement(session, event_id=event.id)
            log.error(
                "giving up announcing event %s (%s) of request %s after %d attempts: %s",
                event.id,
                event.kind,
                request_id,
                attempts,
                exc.error,
            )
            self._note_success(request_id)
            return True
        log.warning(
            "announcing event %s of request %s failed (%s); attempt %d, will retry",
            event.id,
            request_id,
            exc.error,
            attempts,
        )
        self._note_failure(request_id, attempts)
        return False

    def _cancelled_by(
        self, session: Session, request: BackfillRequest, event: RequestEvent
    ) -> str | None:
        """The Slack user who cancelled, or None when it happened outside Slack."""
        if is_slack_user(event.actor):
            return event.actor
        for earlier in reversed(list_events(session, request_id=request.id)):
            if earlier.id < event.id and earlier.kind in _CANCEL_EVENT_KINDS:
                return earlier.actor if is_slack_user(earlier.actor) else None
        return None
