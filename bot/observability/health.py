"""What readiness is made of: the tracker's heartbeat and whether Slack deliveries get through.

``/healthz`` only says the process serves. ``/readyz`` (``bot.observability.ops``) asks
the database (a callable given by the entry point), the in-process trackers (alive if
they ticked within 3 ticks) and Slack delivery (not every recent call failing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# a tick that polls slow peers can outlast 3 ticks; it is alive while it runs this long
LONGEST_TICK_SECONDS = 120.0
# Slack is "failing for everything" after this many delivery failures in a row
DELIVERY_FAILURE_STREAK = 5
# Slack answers that mean the call never got through (a refused channel is an answer)
DELIVERY_FAILURES = frozenset(
    {
        "connection_error",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "ratelimited",
        "invalid_response",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
    }
)


@dataclass(frozen=True)
class Check:
    """One readiness check: its name, whether it passed, and why not."""

    name: str
    ok: bool
    detail: str = ""


class Heartbeat:
    """One in-process tracker's pulse: when it last began and ended a tick, and if it stopped."""

    def __init__(self, *, tick_seconds: float, monotonic: Callable[[], float]) -> None:
        self.tick_seconds = tick_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last = monotonic()
        self._tick_started: float | None = None
        self.stopped = False

    def tick_started(self) -> None:
        with self._lock:
            self._tick_started = self._last = self._monotonic()

    def tick_done(self) -> None:
        with self._lock:
            self._tick_started = None
            self._last = self._monotonic()

    def stop(self) -> None:
        with self._lock:
            self.stopped = True

    def problem(self) -> str | None:
        """None while alive; else why not."""
        now = self._monotonic()
        with self._lock:
            if self.stopped:
                return "the tracker has stopped"
            if self._tick_started is not None:
                running = now - self._tick_started
                if running <= max(3 * self.tick_seconds, LONGEST_TICK_SECONDS):
                    return None
                return f"the tracker's tick has been running for {running:.0f}s"
            quiet = now - self._last
            if quiet <= 3 * self.tick_seconds:
                return None
            return f"the tracker has not ticked for {quiet:.1f}s (tick {self.tick_seconds:g}s)"


class DeliveryHealth:
    """Slack calls that did not get through, in a row; one success resets it."""

    def __init__(self, *, streak: int = DELIVERY_FAILURE_STREAK) -> None:
        self.streak = streak
        self._lock = threading.Lock()
        self._failures = 0
        self._last_error = ""

    def record(self, outcome: str) -> None:
        with self._lock:
            if outcome == "ok":
                self._failures = 0
            elif outcome in DELIVERY_FAILURES:
                self._failures += 1
                self._last_error = outcome

    def problem(self) -> str | None:
        with self._lock:
            if self._failures < self.streak:
                return None
            return f"the last {self._failures} Slack calls failed ({self._last_error})"


class ProcessHealth:
    """The process's trackers and Slack delivery, as readiness sees them."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._heartbeats: list[Heartbeat] = []
        self.delivery = DeliveryHealth()

    def tracker_started(self, *, tick_seconds: float) -> Heartbeat:
        """Register an in-process tracker; readiness now needs it ticking."""
        beat = Heartbeat(tick_seconds=tick_seconds, monotonic=self._monotonic)
        with self._lock:
            self._heartbeats.append(beat)
        return beat

    def checks(self, *, database: Callable[[], str | None]) -> list[Check]:
        """Every readiness check, in the order ``/readyz`` shows them."""
        try:
            db_problem = database()
        except Exception as exc:  # the check itself must answer, not raise
            db_problem = f"database check failed: {type(exc).__name__}"
        checks = [Check("database", db_problem is None, db_problem or "")]
        with self._lock:
            beats = list(self._heartbeats)
        if beats:
            problems = [p for p in (beat.problem() for beat in beats) if p]
            checks.append(Check("tracker", not problems, "; ".join(problems)))
        slack_problem = self.delivery.problem()
        checks.append(Check("slack", slack_problem is None, slack_problem or ""))
        return checks
