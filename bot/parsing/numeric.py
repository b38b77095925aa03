"""Numeric dates: strict ISO, and slash/dot dates read in the configured day order."""

from __future__ import annotations

import re

from bot.errors import InvalidDateError

from . import periods
from .specs import Floating, Invalid, Spec
from .vocab import MONTH_NAMES

_SPLIT_RE = re.compile(r"[-/.]")


def _impossible(raw: str, reason: str, example: str = "2024-01-31") -> Invalid:
    return Invalid(
        InvalidDateError,
        f'"{raw}" is not a real date: {reason}. Dates are year-month-day, e.g. "{example}".',
    )


def iso_date(raw: str) -> Spec:
    """``YYYY-MM-DD`` (or with / or .): always year-month-day, never reinterpreted."""
    year, month, day = (int(p) for p in _SPLIT_RE.split(raw))
    if not 1 <= month <= 12:
        return _impossible(raw, f"there is no month {month}")
    if year < 1:
        return _impossible(raw, "there is no year 0")
    longest = periods.days_in_month(year, month)
    if not 1 <= day <= longest:
        return _impossible(raw, f"{MONTH_NAMES[month]} {year} has {longest} days")
    return Floating("day", year, month, day)


def iso_month(raw: str) -> Spec:
    year, month = (int(p) for p in _SPLIT_RE.split(raw))
    if not 1 <= month <= 12 or year < 1:
        return _impossible(raw, f"there is no month {month}", "2024-01")
    return Floating("month", year, month)


def month_year(raw: str) -> Spec:
    """``11/2025``, ``11-2025``: a month and a year."""
    month, year = (int(p) for p in _SPLIT_RE.split(raw))
    if not 1 <= month <= 12 or year < 1:
        return Invalid(
            InvalidDateError,
            f'"{raw}" is not a month: there is no month {month}. Try e.g. "11/2025".',
        )
    return Floating("month", year, month)


def iso_week(raw: str) -> Spec:
    year_text, week_text = raw.replace("-", "").split("w")
    year, week = int(year_text), int(week_text)
    if year < 1 or periods.iso_week_interval(year, week) is None:
        return Invalid(
            InvalidDateError,
            f'"{raw.upper()}" does not exist: {year} has no ISO week {week}. Try e.g. "2024-W12".',
        )
    return Floating("week", year, index=week)


def year_part(raw: str) -> Spec:
    """``2025Q4``, ``2025-q4``, ``2025H2``."""
    compact = raw.replace("-", "")
    year, kind, number = int(compact[:4]), compact[4], int(compact[5:])
    if (kind == "q" and not 1 <= number <= 4) or (kind == "h" and not 1 <= number <= 2):
        return Invalid(InvalidDateError, no_such_part(raw.upper(), kind))
    if year < 1:
        return Invalid(InvalidDateError, f'"{raw}": there is no year 0. Try e.g. "2024-Q3".')
    return Floating("quarter" if kind == "q" else "half", year, index=number)


def no_such_part(raw: str, kind: str) -> str:
    if kind == "q":
        return f'"{raw}" does not exist: a year has quarters Q1 to Q4. Try e.g. "Q3 2024".'
    return f'"{raw}" does not exist: a year has halves H1 and H2. Try e.g. "H2 2024".'


def _valid(year: int | None, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    # without a year, February 29 is a valid reading (a leap year will be found)
    return day <= periods.days_in_month(year or 2000, month)


def day_order_date(raw: str, *, order: str, explicit: bool) -> Spec:
    """``01/05/2024``, ``13.01.2026``, ``1/5``: the configured order unless only the other
    reading is a real date. A note says which reading was used when both were possible."""
    parts = [int(p) for p in _SPLIT_RE.split(raw)]
    first, second = parts[0], parts[1]
    year: int | None = None
    if len(parts) == 3:
        year_digits = len(_SPLIT_RE.split(raw)[2])
        if year_digits == 3:
            return _impossible(raw, "the year needs two or four digits", "01/31/2024")
        year = parts[2] + 2000 if year_digits == 2 else parts[2]
        if year < 1:
            return _impossible(raw, "there is no year 0", "01/31/2024")
    mdy = (first, second)  # (month, day)
    dmy = (second, first)
    preferred, other = (dmy, mdy) if order == "DMY" else (mdy, dmy)
    preferred_ok = _valid(year, *preferred)
    other_ok = _valid(year, *other)
    if not preferred_ok and not other_ok:
        return Invalid(
            InvalidDateError,
            f'"{raw}" is not a real date in either day order. '
            'Try year-month-day, e.g. "2024-01-31".',
        )
    if preferred_ok:
        month, day = preferred
        used = order
    else:
        month, day = other
        used = "MDY" if order == "DMY" else "DMY"
    notes: tuple[str, ...] = ()
    if preferred_ok and other_ok and first != second and not explicit:
        shown = f"{MONTH_NAMES[month]} {day}" + (f", {year}" if year is not None else "")
        notes = (f"Read {raw} as {shown} ({used}).",)
    return Floating("day", year, month, day, notes=notes)
