"""Injected time: production uses ``SystemClock``; tests pass a ``FrozenClock``."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (thread-safe)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        with self._lock:
            self._now += step
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(UTC)


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """Return the named timezone, or the fallback when the name is empty or unknown."""
    for candidate in (name, fallback, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def local_today(clock: Clock, tz_name: str | None, fallback: str = "UTC") -> date:
    """Return the calendar date it is now in the given timezone."""
    return clock.now().astimezone(zone(tz_name, fallback)).date()


def day_spans(dates: Iterable[date]) -> list[tuple[date, date]]:
    """Collapse dates into inclusive runs of consecutive days, oldest first."""
    spans: list[tuple[date, date]] = []
    for day in sorted(set(dates)):
        if spans and day - spans[-1][1] == timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans
