"""When to poll next: pure rules for the polling cadence and the per-workspace budget.

Two independent limits decide when a backfill is polled again:

* the cadence: soon after a change, then less often while nothing changes.  The delay
  grows with the time since the last observed change (so it needs no extra state and
  survives restarts and hand-overs between workers), between ``poll_min`` and ``poll_max``;
* the workspace's rate-limit budget, as the API reports it in ``X-RateLimit-Limit`` /
  ``X-RateLimit-Remaining``, and any ``Retry-After`` a 429 asked for.  The pacer spreads
  the remaining budget over a window so the tracker never uses it up, keeps a reserve for
  the people typing commands, and makes only the rate-limited workspace wait.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.supermetrics.models import RateLimit

# Quiet time is multiplied by this to get the next delay: after 2 min without a change
# the backfill is polled every minute, after 10 min every 5 min (with the defaults).
QUIET_GROWTH = 0.5


def next_poll_delay(*, quiet_seconds: float, poll_min: float, poll_max: float) -> float:
    """Seconds until the next poll, given how long the backfill has shown no change."""
    return min(poll_max, max(poll_min, quiet_seconds * QUIET_GROWTH))


def failure_delay(*, failures: int, poll_min: float, poll_max: float) -> float:
    """Seconds to wait after ``failures`` consecutive failed polls (exponential, capped)."""
    exponent = min(max(failures - 1, 0), 30)
    return float(min(poll_max, poll_min * (2**exponent)))


@dataclass
class _TeamPace:
    blocked_until: datetime | None = None  # a 429 (or a spent budget) says wait until then
    theoretical: datetime | None = None  # when the calls so far "should" have ended


class RateLimitPacer:
    """Per-workspace pacing of DTS calls, in memory (one per tracker process).

    The API's budget is shared by every process using the team's token; the headers it
    returns already count everyone's calls, so each process spreading what *remains*
    keeps the total under the limit without talking to the others.  The API counts per
    fixed window (an hour, starting on the hour); the headers say how much is left but
    not when the window ends, so that comes from ``window_seconds``.

    Pacing is a leaky bucket (GCRA): each call moves a theoretical time forward by the
    current spacing, and a call is allowed while that time is less than ``burst_seconds``
    ahead of now, so a tick may poll a few requests of one team together while the
    average rate stays within the budget.
    """

    def __init__(
        self,
        *,
        window_seconds: float = 3600.0,
        reserve_fraction: float = 0.2,
        burst_seconds: float = 30.0,
    ) -> None:
        self.window_seconds = window_seconds
        self.reserve_fraction = reserve_fraction
        self.burst = timedelta(seconds=burst_seconds)
        self._teams: dict[int, _TeamPace] = {}
        self._lock = threading.Lock()

    def window_left(self, now: datetime) -> float:
        """Seconds until the current rate-limit window ends."""
        position = now.timestamp() % self.window_seconds
        return max(self.window_seconds - position, 1.0)

    def usable(self, rate: RateLimit | None) -> int | None:
        """Calls left for the tracker in this window (None: the API sent no figures).

        A share of the limit (``reserve_fraction``) is left for people's own commands
        (submit, cancel, status).
        """
        if rate is None or rate.limit is None or rate.remaining is None or rate.limit <= 0:
            return None
        return rate.remaining - math.ceil(rate.limit * self.reserve_fraction)

    def spacing(self, rate: RateLimit | None, *, now: datetime) -> float:
        """Seconds between calls that spreads the usable budget over the rest of the window."""
        usable = self.usable(rate)
        if usable is None:
            return 0.0
        left = self.window_left(now)
        return left if usable <= 0 else left / usable

    def available_at(self, team_id: int, *, now: datetime) -> datetime:
        """The earliest time a call for this team may be made (``now`` if right away)."""
        with self._lock:
            pace = self._teams.get(team_id)
            if pace is None:
                return now
            moment = now
            if pace.blocked_until is not None and pace.blocked_until > moment:
                moment = pace.blocked_until
            if pace.theoretical is not None and pace.theoretical - self.burst > moment:
                moment = pace.theoretical - self.burst
            return moment

    def record_call(self, team_id: int, *, now: datetime, rate: RateLimit | None) -> None:
        """Note a call just made and the budget the API reported with its answer."""
        usable = self.usable(rate)
        gap = timedelta(seconds=self.spacing(rate, now=now))
        with self._lock:
            pace = self._teams.setdefault(team_id, _TeamPace())
            if usable is not None and usable <= 0:
                # only the reserve is left: nothing more until the window turns
                until = now + timedelta(seconds=self.window_left(now))
                pace.blocked_until = max(pace.blocked_until or until, until)
                return
            start = pace.theoretical if pace.theoretical and pace.theoretical > now else now
            pace.theoretical = start + gap

    def block(self, team_id: int, *, until: datetime) -> None:
        """Make this team wait (a 429's Retry-After); other teams are unaffected."""
        with self._lock:
            pace = self._teams.setdefault(team_id, _TeamPace())
            if pace.blocked_until is None or until > pace.blocked_until:
                pace.blocked_until = until

    def deferral(
        self, team_id: int, *, now: datetime, rate: RateLimit | None, rank: int
    ) -> datetime:
        """When to retry a request that had to wait, staggered by its ``rank`` in line.

        The waiting requests of one team come due one spacing apart, not all at once.
        """
        start = self.available_at(team_id, now=now)
        step = max(self.spacing(rate, now=now), 0.05)
        return start + timedelta(seconds=step * rank)
