"""Calendar arithmetic: months, quarters, halves, ISO weeks, all as inclusive days."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from .vocab import MONTH_NAMES

Interval = tuple[date, date]

ONE_DAY = timedelta(days=1)


def safe_date(year: int, month: int, day: int) -> date | None:
    if not (1 <= year <= 9999 and 1 <= month <= 12 and day >= 1):
        return None
    if day > monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def days_in_month(year: int, month: int) -> int:
    return monthrange(year, month)[1]


def month_interval(year: int, month: int) -> Interval:
    return date(year, month, 1), date(year, month, days_in_month(year, month))


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_interval(year: int, quarter: int) -> Interval:
    first = 3 * (quarter - 1) + 1
    return date(year, first, 1), month_interval(year, first + 2)[1]


def shift_quarter(year: int, quarter: int, delta: int) -> tuple[int, int]:
    index = year * 4 + (quarter - 1) + delta
    return index // 4, index % 4 + 1


def half_interval(year: int, half: int) -> Interval:
    if half == 1:
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


def year_interval(year: int) -> Interval:
    return date(year, 1, 1), date(year, 12, 31)


def week_start(day: date) -> date:
    """Monday of the ISO week holding ``day``."""
    return day - timedelta(days=day.weekday())


def iso_week_interval(iso_year: int, week: int) -> Interval | None:
    """Monday → Sunday of ISO week ``week`` of ``iso_year``; None if it has no such week."""
    if not 1 <= week <= 53 or not 1 <= iso_year <= 9999:
        return None
    try:
        monday = date.fromisocalendar(iso_year, week, 1)
        return monday, monday + timedelta(days=6)
    except (ValueError, OverflowError):
        return None


def add_months(day: date, delta: int) -> date:
    """The same day ``delta`` months away, on the month's last day if it is shorter."""
    year, month = shift_month(day.year, day.month, delta)
    return date(year, month, min(day.day, days_in_month(year, month)))


def long_date(day: date) -> str:
    """'January 5, 2024'."""
    return f"{MONTH_NAMES[day.month]} {day.day}, {day.year}"
