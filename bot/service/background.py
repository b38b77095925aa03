"""The tracker of a running process, wired with the service's stuck-submission recovery.

The tracker sits below the service and never imports it; what it needs from it (settling
requests a dead process left SUBMITTING) is attached here as a callable, for serve, worker
and the console alike.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bot.messages.notifier import Notifier
from bot.observability import metrics
from bot.observability.metrics import Backlog
from bot.runtime import Runtime
from bot.service.core import BackfillService
from bot.store.db import database_problem, session_scope
from bot.tracking.polling_client import build_polling_client
from bot.tracking.queries import backlog
from bot.tracking.tracker import RECOVERY_INTERVAL_SECONDS, Tracker


def attach_recovery(tracker: Tracker) -> Tracker:
    """Give the tracker a service built from its own parts (its no-wait DTS client and its
    announcer) for recovering stuck submissions; return the tracker."""
    service = BackfillService(
        settings=tracker.settings,
        session_factory=tracker.session_factory,
        dts=tracker.dts,
        vault=tracker.vault,
        notifier=tracker.notifier,
        clock=tracker.clock,
        announcer=tracker.announcer,
    )
    tracker.recover_stuck = service.recover_stuck_submissions
    tracker.advance_plans = service.advance_plans
    return tracker


def polling_tracker(runtime: Runtime, *, notifier: Notifier, owner: str | None = None) -> Tracker:
    """The tracker of a running process (serve, worker, console), with its own DTS client.

    Not ``runtime.dts``: that client sleeps through a 429's Retry-After and retries 5xx
    inside the call (right for a person waiting on one answer), which would stall the
    polling of every workspace (``build_polling_client``). The caller closes
    ``tracker.dts`` when done.
    """
    tracker = Tracker(
        settings=runtime.settings,
        session_factory=runtime.session_factory,
        dts=build_polling_client(runtime.settings, clock=runtime.clock),
        vault=runtime.vault,
        notifier=notifier,
        clock=runtime.clock,
        owner=owner,
        # no point looking for stuck submissions less often than they become stuck
        recovery_interval_seconds=min(
            RECOVERY_INTERVAL_SECONDS, runtime.settings.submit_recovery_seconds
        ),
    )
    return attach_recovery(tracker)


def watch_backlog(runtime: Runtime) -> None:
    """Serve the tracked-backfills and oldest-unannounced gauges from the database."""

    def read() -> Backlog:
        with session_scope(runtime.session_factory) as session:
            return backlog(session, now=runtime.clock.now())

    metrics.current().watch_backlog(read)


def database_check(runtime: Runtime) -> Callable[[], str | None]:
    """What ``/readyz`` asks the database: reachable and at the newest schema."""
    return partial(database_problem, runtime.engine)
