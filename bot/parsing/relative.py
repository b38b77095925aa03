"""Phrases counted from today: last/this/next periods, rolling windows, "N days ago"."""

from __future__ import annotations

from datetime import date, timedelta

from bot.errors import InvalidDateError, MissingRangeError, RangeTooLongError

from . import messages, periods
from .specs import Fixed, Invalid, Spec

# a window longer than this cannot be valid under any maximum and would overflow dates
_MAX_WINDOW_DAYS = 100_000
_UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14}


def _fixed(start: date, end: date, *, to_date: bool = False, full_end: date | None = None) -> Fixed:
    return Fixed(start, end, to_date=to_date, full_end=full_end)


def current_period(unit: str, today: date) -> Fixed:
    """``this week|month|quarter|year`` and the ``…TD`` forms: start of period → today."""
    if unit == "day":
        return _fixed(today, today)
    if unit in {"week", "fortnight"}:
        monday = periods.week_start(today)
        return _fixed(monday, today, to_date=True, full_end=monday + timedelta(days=6))
    if unit == "month":
        start, end = periods.month_interval(today.year, today.month)
        return _fixed(start, today, to_date=True, full_end=end)
    if unit == "quarter":
        start, end = periods.quarter_interval(today.year, periods.quarter_of(today))
        return _fixed(start, today, to_date=True, full_end=end)
    start, end = periods.year_interval(today.year)
    return _fixed(start, today, to_date=True, full_end=end)


def previous_period(unit: str, today: date, offset: int = -1) -> Fixed:
    """``last week`` (ISO, Monday → Sunday), ``last month``, ``next quarter`` …"""
    if unit == "day":
        day = today + timedelta(days=offset)
        return _fixed(day, day)
    if unit == "week":
        monday = periods.week_start(today) + timedelta(days=7 * offset)
        return _fixed(monday, monday + timedelta(days=6))
    if unit == "fortnight":
        # a fortnight is a rolling 14 days, not a calendar period
        if offset > 0:
            return _fixed(today + timedelta(days=1), today + timedelta(days=14))
        return _fixed(today - timedelta(days=14), today - timedelta(days=1))
    if unit == "month":
        year, month = periods.shift_month(today.year, today.month, offset)
        return _fixed(*periods.month_interval(year, month))
    if unit == "quarter":
        year, quarter = periods.shift_quarter(today.year, periods.quarter_of(today), offset)
        return _fixed(*periods.quarter_interval(year, quarter))
    return _fixed(*periods.year_interval(today.year + offset))


def rolling(
    count: int,
    unit: str,
    today: date,
    *,
    include_today: bool,
    future: bool = False,
    phrase: str = "",
    max_days: int = 366,
) -> Spec:
    """``last N days|weeks``: the N·unit days that end yesterday (or today);
    ``last N months|quarters|years``: N full calendar periods before the current one
    (or ending with it). ``next N …`` gives the future counterpart (refused later)."""
    if count <= 0:
        return Invalid(MissingRangeError, messages.empty_phrase(phrase or f"{count} {unit}s"))
    if unit in _UNIT_DAYS:
        length = count * _UNIT_DAYS[unit]
        if length > _MAX_WINDOW_DAYS:
            return Invalid(RangeTooLongError, messages.too_long_phrase(phrase, max_days))
        if future:
            return _fixed(today + timedelta(days=1), today + timedelta(days=length))
        end = today if include_today else today - timedelta(days=1)
        return _fixed(end - timedelta(days=length - 1), end, to_date=include_today)
    months_per = {"month": 1, "quarter": 3, "year": 12}[unit]
    if count * months_per > _MAX_WINDOW_DAYS // 28:
        return Invalid(RangeTooLongError, messages.too_long_phrase(phrase, max_days))
    current = current_period(unit, today)
    period_start = current.start
    if future:
        first_year, first_month = periods.shift_month(
            period_start.year, period_start.month, months_per
        )
        last_year, last_month = periods.shift_month(first_year, first_month, count * months_per - 1)
        return _fixed(
            date(first_year, first_month, 1), periods.month_interval(last_year, last_month)[1]
        )
    if include_today:
        year, month = periods.shift_month(
            period_start.year, period_start.month, -(count - 1) * months_per
        )
        return _fixed(date(year, month, 1), today, to_date=True)
    year, month = periods.shift_month(period_start.year, period_start.month, -count * months_per)
    return _fixed(date(year, month, 1), period_start - timedelta(days=1))


def ago(parts: list[tuple[int, str]], today: date, phrase: str) -> Spec:
    """``3 days ago``, ``2 weeks ago``, ``a month ago``, ``1 month 21 days ago``: that one
    day; months (and quarters, years) are counted first, then days (as
    ``dateutil.relativedelta``: Mar 31 - 1 month = Feb 28 or 29)."""
    months = sum(
        count * {"month": 1, "quarter": 3, "year": 12}[unit]
        for count, unit in parts
        if unit not in _UNIT_DAYS
    )
    days = sum(count * _UNIT_DAYS[unit] for count, unit in parts if unit in _UNIT_DAYS)
    try:
        day = periods.add_months(today, -months) - timedelta(days=days)
    except (OverflowError, ValueError):
        return Invalid(InvalidDateError, messages.out_of_calendar(phrase))
    return _fixed(day, day)


def weekday_on_or_before(weekday: int, today: date, *, strictly_before: bool) -> Fixed:
    """``Monday`` (most recent Monday on or before today) or ``last Monday`` (before today)."""
    back = (today.weekday() - weekday) % 7
    if back == 0 and strictly_before:
        back = 7
    day = today - timedelta(days=back)
    return _fixed(day, day)


def weekday_this_week(weekday: int, today: date, offset_weeks: int = 0) -> Fixed:
    """``this Friday`` / ``next Friday``: that day of the current (or a later) ISO week."""
    day = periods.week_start(today) + timedelta(days=weekday + 7 * offset_weeks)
    return _fixed(day, day)


def weekend(today: date, direction: int) -> Fixed:
    """``last weekend``: Saturday and Sunday of the previous ISO week; ``this weekend``
    those of the current one; ``next weekend`` of the next."""
    saturday = periods.week_start(today) + timedelta(days=5 + 7 * direction)
    return _fixed(saturday, saturday + timedelta(days=1))
