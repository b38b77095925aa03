"""What the grammar recognises, and how it becomes inclusive calendar days.

The grammar produces *specs*: a ``Fixed`` interval (relative phrases and full dates),
a ``Floating`` calendar unit whose year may be missing ("March 3", "Q3", "December"),
or an ``Invalid`` marker for text that is clearly a date but cannot be one
("2024-02-30"). Years are filled in only when the whole range is known, because a
year on one end of a span applies to the other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.errors import CommandError, InvalidDateError

from . import named_days, periods
from .periods import Interval
from .vocab import MONTH_NAMES, WEEKDAY_NAMES

# how far back a yearless phrase may look (Feb 29 recurs at most eight years apart)
_YEARS_BACK = 12


@dataclass(frozen=True, slots=True)
class Fixed:
    start: date
    end: date
    # the phrase itself ends today ("this month", "YTD"): not reported as clamped
    to_date: bool = False
    notes: tuple[str, ...] = ()
    # where the period would end had it finished ("this month" → the month's last day):
    # "the end of this month", "the last week of this month"
    full_end: date | None = None
    # the phrase names a day only as an end point ("the end of March"): standing alone as
    # the whole range it is too vague, and this message refuses it
    vague: str | None = None


@dataclass(frozen=True, slots=True)
class Floating:
    # "day" | "month" | "quarter" | "half" | "week" | "year" | "bareday" | "named"
    unit: str
    year: int | None
    month: int | None = None
    day: int | None = None
    index: int | None = None  # quarter, half or ISO week number
    # "last January": the most recent one strictly before the current month
    before_current: bool = False
    notes: tuple[str, ...] = ()
    # "Tuesday, June 3": the weekday said with the day (0 = Monday); checked, never dropped
    weekday: int | None = None
    # a named day or span ("black friday", "easter weekend"): see ``named_days``
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Invalid:
    error: type[CommandError]
    message: str


Spec = Fixed | Floating | Invalid


@dataclass(frozen=True, slots=True)
class Single:
    spec: Spec


@dataclass(frozen=True, slots=True)
class Span:
    first: Spec
    last: Spec


@dataclass(frozen=True, slots=True)
class Since:
    first: Spec


RangeSpec = Single | Span | Since


def notes_of(spec: RangeSpec) -> tuple[str, ...]:
    parts = (spec.first, spec.last) if isinstance(spec, Span) else (spec_of(spec),)
    out: list[str] = []
    for part in parts:
        if isinstance(part, Fixed | Floating):
            out.extend(n for n in part.notes if n not in out)
    return tuple(out)


def spec_of(spec: Single | Since) -> Spec:
    return spec.spec if isinstance(spec, Single) else spec.first


# --- one unit in one year -------------------------------------------------------------


def interval(spec: Floating, year: int) -> Interval | None:
    """The days of ``spec`` in ``year`` (ISO year for weeks); None if there are none."""
    if not 1 <= year <= 9999:
        return None
    unit = spec.unit
    if unit == "day":
        assert spec.month is not None and spec.day is not None
        day = periods.safe_date(year, spec.month, spec.day)
        return None if day is None else (day, day)
    if unit == "month":
        assert spec.month is not None
        return periods.month_interval(year, spec.month)
    if unit == "quarter":
        assert spec.index is not None
        return periods.quarter_interval(year, spec.index)
    if unit == "half":
        assert spec.index is not None
        return periods.half_interval(year, spec.index)
    if unit == "week":
        assert spec.index is not None
        return periods.iso_week_interval(year, spec.index)
    if unit == "year":
        return periods.year_interval(year)
    if unit == "named":
        assert spec.name is not None
        return named_days.interval(spec.name, year)
    raise AssertionError(f"unit {unit!r} has no year interval")


def _current_start(spec: Floating, today: date) -> date:
    """First day of the period of ``spec``'s kind that holds today."""
    if spec.unit == "month":
        return today.replace(day=1)
    if spec.unit == "quarter":
        return periods.quarter_interval(today.year, periods.quarter_of(today))[0]
    if spec.unit == "half":
        return periods.half_interval(today.year, 1 if today.month <= 6 else 2)[0]
    if spec.unit == "week":
        return periods.week_start(today)
    if spec.unit == "year":
        return today.replace(month=1, day=1)
    return today


def describe(spec: Floating) -> str:
    """Human wording of a unit, for error messages: 'February 30', 'week 53 of 2021'."""
    year = f" {spec.year}" if spec.year is not None else ""
    if spec.unit in {"day", "bareday"}:
        month = MONTH_NAMES[spec.month] + " " if spec.month else "the "
        return f"{month}{spec.day}{',' if spec.year and spec.month else ''}{year}"
    if spec.unit == "month":
        return f"{MONTH_NAMES[spec.month or 1]}{year}"
    if spec.unit == "week":
        return f"week {spec.index}" + (f" of {spec.year}" if spec.year else "")
    if spec.unit in {"quarter", "half"}:
        return f"{'Q' if spec.unit == 'quarter' else 'H'}{spec.index}{year}"
    if spec.unit == "named":
        return named_days.title(spec.name or "") + year
    return year.strip()


def _no_such(spec: Floating) -> InvalidDateError:
    what = describe(spec)
    if spec.unit in {"day", "bareday"} and spec.month:
        if spec.year is not None and spec.month == 2 and spec.day == 29:
            reason = f"{spec.year} is not a leap year"
        else:
            longest = 29 if spec.month == 2 else periods.days_in_month(2001, spec.month)
            reason = f"{MONTH_NAMES[spec.month]} has at most {longest} days"
        return InvalidDateError(
            f'"{what}" is not a real date: {reason}. Try e.g. "{MONTH_NAMES[spec.month]} 1".'
        )
    if spec.unit == "week":
        return InvalidDateError(
            f'"{what}" does not exist: that year has no ISO week {spec.index}. '
            'Try e.g. "week 12 of 2024" or "2024-W12".'
        )
    return InvalidDateError(f'"{what}" is not a date I can use. Try e.g. "2024-01-05".')


def _latest(spec: Floating, today: date) -> Interval:
    """The most recent occurrence of a yearless unit that has started on or before today."""
    if spec.unit == "bareday":
        assert spec.day is not None
        year, month = today.year, today.month
        # a weekday with the day ("Sunday the 1st"): the most recent such date (a day
        # number falls on every weekday within 14 months; 31st within a few years)
        months_back = _YEARS_BACK if spec.weekday is None else 12 * _YEARS_BACK
        for _ in range(months_back):
            day = periods.safe_date(year, month, spec.day)
            matches = spec.weekday is None or (day is not None and day.weekday() == spec.weekday)
            if day is not None and day <= today and matches:
                return day, day
            year, month = periods.shift_month(year, month, -1)
        raise _no_such(spec)
    base = today.isocalendar().year if spec.unit == "week" else today.year
    limit = _current_start(spec, today)
    for year in range(base, base - _YEARS_BACK, -1):
        found = interval(spec, year)
        if found is None:
            continue
        if (found[0] < limit) if spec.before_current else (found[0] <= today):
            return found
    raise _no_such(spec)


def resolve_spec(spec: Spec, today: date) -> Interval:
    """One phrase on its own: the days it names."""
    if isinstance(spec, Invalid):
        raise spec.error(spec.message)
    if isinstance(spec, Fixed):
        return spec.start, spec.end
    if spec.year is None:
        return _latest(spec, today)
    found = interval(spec, spec.year)
    if found is None:
        raise _no_such(spec)
    return found


def _year_of(spec: Fixed | Floating, *, at_end: bool) -> int:
    if isinstance(spec, Fixed):
        return (spec.end if at_end else spec.start).year
    assert spec.year is not None
    return spec.year


def _in_year(spec: Floating, year: int) -> Interval:
    found = interval(spec, year)
    if found is None:
        raise _no_such(replace(spec, year=year))
    return found


def resolve_span(first: Spec, last: Spec, today: date) -> Interval:
    """``first`` → ``last``; a year given on one side only applies to both."""
    for part in (first, last):
        if isinstance(part, Invalid):
            raise part.error(part.message)
    assert not isinstance(first, Invalid) and not isinstance(last, Invalid)
    if (
        isinstance(first, Floating)
        and isinstance(last, Floating)
        and first.unit == last.unit == "bareday"
    ):
        return _latest_bare_span(first, last, today)
    first_open = isinstance(first, Floating) and first.year is None
    last_open = isinstance(last, Floating) and last.year is None
    if first_open and last_open:
        assert isinstance(first, Floating) and isinstance(last, Floating)
        return _latest_span(first, last, today)
    if first_open:
        assert isinstance(first, Floating)
        end = resolve_spec(last, today)[1]
        year = _year_of(last, at_end=True)
        start_iv = _in_year(first, year)
        if start_iv[0] > end and _crosses_year_end(start_iv[0], end):
            # "Dec 20 to Jan 5 2025": the start is in the year before; within one month
            # ("June 30 to June 1 2024") the range is reversed, and refused as such
            start_iv = _in_year(first, year - 1)
        return start_iv[0], end
    if last_open:
        assert isinstance(last, Floating)
        start = resolve_spec(first, today)[0]
        year = _year_of(first, at_end=False)
        end_iv = _in_year(last, year)
        if end_iv[1] < start and _crosses_year_end(start, end_iv[1]):
            # "Dec 20 2024 to Jan 5": the end is in the year after
            end_iv = _in_year(last, year + 1)
        return start, end_iv[1]
    return resolve_spec(first, today)[0], resolve_spec(last, today)[1]


def _latest_bare_span(first: Floating, last: Floating, today: date) -> Interval:
    """ "the 1st to the 15th": in the most recent month where the 1st has come."""
    assert first.day is not None and last.day is not None
    year, month = today.year, today.month
    if first.year is not None or last.year is not None:
        raise _no_such(first)
    for _ in range(_YEARS_BACK):
        start = periods.safe_date(year, month, first.day)
        end = periods.safe_date(year, month, last.day)
        if start is not None and end is not None and start <= today:
            return start, end
        year, month = periods.shift_month(year, month, -1)
    raise _no_such(first if first.day > 28 else last)


def _latest_span(first: Floating, last: Floating, today: date) -> Interval:
    """The most recent span with neither year given that has started by today."""
    for end_year in range(today.year + 1, today.year - _YEARS_BACK, -1):
        end_iv = interval(last, end_year)
        if end_iv is None:
            continue
        start_iv = interval(first, end_year)
        if start_iv is None:
            continue
        if start_iv[0] > end_iv[1] and _crosses_year_end(start_iv[0], end_iv[1]):
            start_iv = interval(first, end_year - 1)
        if start_iv is not None and start_iv[0] <= today:
            return start_iv[0], end_iv[1]
    for part in (first, last):
        if not any(interval(part, y) for y in range(today.year, today.year - _YEARS_BACK, -1)):
            raise _no_such(part)
    raise _no_such(first)


def _crosses_year_end(start: date, end: date) -> bool:
    """A span read within one year whose start month is later than its end month
    ("Dec 20 to Jan 5") crosses a year end; one whose end day is before its start day
    in the same month ("Jan 12 to Jan 5") is reversed."""
    return start.month > end.month


def resolve(spec: RangeSpec, today: date) -> Interval:
    if isinstance(spec, Span):
        start, end = resolve_span(spec.first, spec.last, today)
        _check_weekday(spec.first, start)
        _check_weekday(spec.last, end)
        return start, end
    if isinstance(spec, Since):
        start = resolve_spec(spec.first, today)[0]
        _check_weekday(spec.first, start)
        return start, today
    start, end = resolve_spec(spec.spec, today)
    _check_weekday(spec.spec, start)
    return start, end


def _check_weekday(spec: Spec, day: date) -> None:
    """ "Tuesday, June 3 2025" when June 3, 2025 was a Thursday: refused, never dropped."""
    if not isinstance(spec, Floating) or spec.weekday is None or spec.unit != "day":
        return
    if day.weekday() == spec.weekday:
        return
    said, actual = WEEKDAY_NAMES[spec.weekday], WEEKDAY_NAMES[day.weekday()]
    shown = periods.long_date(day)
    raise InvalidDateError(
        f"{shown} was a {actual}, not a {said}. Check the date, or leave out the weekday: "
        f'"{MONTH_NAMES[day.month]} {day.day}, {day.year}".'
    )
