"""The tracker of a running process, wired with the service's stuck-submission recovery.

The tracker sits below the service and never imports it; what it needs from it (settling
requests a dead process left SUBMITTING) is attached here as a callable, for serve, worker
and the console alike.
"""

from __future__ import annotations

from bot.messages.notifier import Notifier
from bot.runtime import Runtime
from bot.service.core import BackfillService
from bot.tracking.polling_client import build_polling_client
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
