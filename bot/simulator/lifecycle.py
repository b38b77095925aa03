"""How a simulated backfill moves, computed from elapsed time alone (O(1) per look).

Simulated seconds since creation (real elapsed x ``speed``):
CREATED -> SCHEDULED at ``schedule_at`` (every run is created then) -> RUNNING at
``start_at`` -> one run per day, newest day first, ``seconds_per_run`` each -> COMPLETED,
or FAILED when any day failed.  A cancel fixes ``run_cap``: queued runs never start, the
run in progress finishes and is counted.  Nothing is stepped by a timer, so a test moving
a ``FrozenClock`` sees each step exactly, and idle backfills cost nothing.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.supermetrics.models import INCOMPLETE_STATUSES, Backfill, BackfillStatus, RunError


@dataclass
class SimBackfill:
    """One backfill as the simulator stores it; its status is derived, never stored."""

    backfill_id: int
    team_id: int
    transfer_id: int
    range_start: date
    range_end: date
    created_at: datetime  # whole seconds, as the API reports it
    created_user_id: int
    speed: float
    schedule_at: float  # simulated seconds after creation
    start_at: float
    seconds_per_run: float
    failures: list[int]  # sorted run indexes that fail; index 0 is range_end
    errors: dict[int, str]
    cancelled_at: datetime | None = None
    cancel_elapsed: float = 0.0
    removed_user_id: int | None = None
    run_cap: int | None = None  # how many runs will ever finish, fixed by a cancel

    @property
    def total(self) -> int:
        return (self.range_end - self.range_start).days + 1

    def elapsed(self, now: datetime) -> float:
        return max(0.0, (now - self.created_at).total_seconds() * self.speed)

    def runs_done(self, elapsed: float) -> int:
        if elapsed < self.start_at:
            return 0
        if self.seconds_per_run <= 0:
            done = self.total
        else:
            done = min(self.total, int((elapsed - self.start_at) // self.seconds_per_run))
        return done if self.run_cap is None else min(done, self.run_cap)

    def status(self, now: datetime) -> BackfillStatus:
        if self.cancelled_at is not None:
            return BackfillStatus.CANCELLED
        elapsed = self.elapsed(now)
        if elapsed < self.schedule_at:
            return BackfillStatus.CREATED
        if elapsed < self.start_at:
            return BackfillStatus.SCHEDULED
        done = self.runs_done(elapsed)
        if done < self.total:
            return BackfillStatus.RUNNING
        return BackfillStatus.FAILED if self.failed_within(done) else BackfillStatus.COMPLETED

    def failed_within(self, done: int) -> int:
        """How many of the first ``done`` runs failed."""
        return bisect.bisect_left(self.failures, done)

    def moment(self, simulated: float) -> datetime:
        """The real time at which ``simulated`` seconds will have passed."""
        return self.created_at + timedelta(seconds=round(simulated / self.speed))

    def snapshot(self, now: datetime) -> Backfill:
        """The backfill as the API shows it at ``now``."""
        elapsed = self.elapsed(now)
        cancelled = self.cancelled_at is not None
        done = self.runs_done(elapsed)
        failed = self.failed_within(done)
        horizon = self.cancel_elapsed if cancelled else elapsed
        started = horizon >= self.start_at
        end_time: datetime | None = None
        if started:
            last = self.total if self.run_cap is None else self.run_cap
            finish = self.start_at + last * max(self.seconds_per_run, 0.0)
            if elapsed >= finish and (cancelled or done == self.total):
                end_time = self.moment(finish)
        report = sorted(
            (
                RunError(self.range_end - timedelta(days=i), self.errors[i])
                for i in self.failures[:failed]
            ),
            key=lambda item: item.run_date,
        )
        return Backfill(
            backfill_id=self.backfill_id,
            transfer_id=self.transfer_id,
            range_start=self.range_start,
            range_end=self.range_end,
            status=self.status(now),
            created_time=self.created_at,
            created_user_id=self.created_user_id,
            start_time=self.moment(self.start_at) if started else None,
            end_time=end_time,
            removed_time=self.cancelled_at,
            runs_total=self.total,
            # runs are created when the backfill is scheduled; a cancel before that made none
            runs_created=self.total if horizon >= self.schedule_at else 0,
            runs_completed=done - failed,
            runs_failed=failed,
            error_report=tuple(report),
        )

    def cancel(self, now: datetime, *, user_id: int) -> None:
        """Stop queued runs; the caller has checked the status allows it."""
        status = self.status(now)
        assert status in INCOMPLETE_STATUSES
        elapsed = self.elapsed(now)
        done = self.runs_done(elapsed)
        running = 1 if status is BackfillStatus.RUNNING and done < self.total else 0
        self.run_cap = done + running
        self.cancelled_at = now.replace(microsecond=0)
        self.cancel_elapsed = elapsed
        self.removed_user_id = user_id
