"""Parts of a period: "the first 10 days of March", "the second half of last month",
"the last week of October", "the first 2 months of 2024", "the end of last month"; and
words that make a period vague ("mid-March", "early January") or that name a calendar
we do not know ("FY2024"), which are refused with an exact example.

A part is resolved from its period's days, so it is exact whatever the period is
("of March", "of last month", "of this quarter", "of Q3 2024"). Where "week" or "half"
could mean something else (an ISO week, a half-month), the result carries a note that
says which days were taken.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

from bot.errors import CommandError, InvalidDateError, MissingRangeError, RangeTooLongError

from . import messages, periods, relative
from .reader import Parsed, TokenReader
from .specs import Fixed, Floating, Invalid, Spec, resolve_spec
from .vocab import MONTH_NAMES, UNITS

_FIXED_DAYS = {"day": 1, "week": 7, "fortnight": 14}
_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}
_HALF_WORDS = frozenset({"half", "halves"})
_START_LINKS = frozenset({"starting", "beginning", "commencing", "from"})
_END_LINKS = frozenset({"ending", "ended"})
# beyond any maximum, and far from the ends of the calendar
_MAX_COUNTED_DAYS = 100_000
_VAGUE_WORDS = frozenset({"early", "mid", "middle", "late"})
_FISCAL_RE = re.compile(r"fy(\d{2}|\d{4})?")
_FISCAL_UNITS = frozenset({"year", "yr", "quarter", "qtr", "q1", "q2", "q3", "q4", "h1", "h2"})
_EDGES: tuple[tuple[tuple[str, ...], bool, bool], ...] = (
    # (words, is the first day, names one day exactly)
    (("first", "day", "of"), True, True),
    (("last", "day", "of"), False, True),
    (("final", "day", "of"), False, True),
    (("start", "of"), True, False),
    (("beginning", "of"), True, False),
    (("begin", "of"), True, False),
    (("end", "of"), False, False),
)

Interval = tuple[date, date]
U = TypeVar("U")


@dataclass(frozen=True)
class PartOf(Generic[U]):
    """``(last|final|<ordinal>) <what> (of|in) <period>``, scanned."""

    from_end: bool  # "last"/"final": counted back from the period's end
    nth: int  # the ordinal (1 for "last")
    what: U  # what ``read_what`` read between the ordinal and "of"
    period: Interval | Invalid
    end: int


class PortionPhrases(TokenReader):
    # --- the period a part is taken from ----------------------------------------------

    def _period_at(self, j: int) -> tuple[Interval | Invalid, int] | None:
        """The period after "of": ``March``, ``last month``, ``the month`` (the current
        one, to its natural end), ``Q3 2024``. None if no period (or a single day) is
        there."""
        if self.word(j) == "the":
            unit = UNITS.get(self.word(j + 1) or "")
            if unit in {"week", "month", "quarter", "year"} and self.word(j + 2) != "of":
                current = relative.current_period(unit, self.today)
                assert current.full_end is not None
                return (current.start, current.full_end), j + 2
            j += 1
        inner = self.single(j)
        if inner is None:
            return None
        spec, end = inner
        if isinstance(spec, Invalid):
            return spec, end
        if isinstance(spec, Floating) and spec.unit in {"day", "bareday"}:
            return None
        if isinstance(spec, Fixed):
            return (spec.start, spec.full_end or spec.end), end
        try:
            return resolve_spec(spec, self.today), end
        except CommandError as exc:
            return Invalid(type(exc), exc.user_message), end

    # --- "start of X", "the last day of X" ----------------------------------------------

    def _edge_of(self, i: int) -> Parsed | None:
        """``the first day of last month`` (exact), ``start of last month`` (its first
        day, as the end of a span: alone it is too vague a range), ``end of March``."""
        for words, is_first, is_exact in _EDGES:
            j = self.seq(i, words)
            if j is not None:
                first, exact = is_first, is_exact
                break
        else:
            return None
        found = self._period_at(j)
        if found is None:
            return None
        period, end = found
        if isinstance(period, Invalid):
            return period, end
        day = period[0] if first else period[1]
        vague = None
        if not exact:
            vague = messages.vague_edge(self.text(i, end), self.text(j, end), day, first=first)
        return Fixed(day, day, vague=vague), end

    # --- "the first 10 days of March", "the second half of last month" ----------------

    def _part_of(
        self, i: int, read_what: Callable[[bool, int, int], tuple[U, int] | None]
    ) -> PartOf[U] | None:
        """The scan shared by "the first 10 days of March" and "the last Friday of
        October": ``read_what(from_end, nth, j)`` reads what stands between the ordinal
        and "of" from ``j`` (what it is and the next index), or None if it is not there."""
        if self.word(i) in {"last", "final"}:
            from_end, nth, j = True, 1, i + 1
        else:
            day = self.day_number(i)
            if day is None or not day[2]:
                return None
            from_end, nth, j = False, day[0], day[1]
        read = read_what(from_end, nth, j)
        if read is None:
            return None
        what, j = read
        if self.word(j) not in {"of", "in"}:
            return None
        found = self._period_at(j + 1)
        if found is None:
            return None
        period, end = found
        return PartOf(from_end, nth, what, period, end)

    def _portion(self, i: int) -> Parsed | None:
        """``(first|last|Nth) [count] (days|weeks|months|quarters|half) of <period>``."""
        part = self._part_of(i, self._counted_unit)
        if part is None:
            return None
        period, end = part.period, part.end
        if isinstance(period, Invalid):
            return period, end
        from_end, nth, (count, unit) = part.from_end, part.nth, part.what
        phrase = self.text(i, end)
        if count < 1:
            return Invalid(MissingRangeError, messages.empty_phrase(phrase)), end
        if unit == "half":
            return _half(period, nth, from_end, count, phrase), end
        if unit == "week" and count == 1 and not from_end and _is_year(period):
            return _iso_week(period[0].year, nth, phrase), end
        if unit in _FIXED_DAYS:
            return _days_part(period, nth, from_end, count, _FIXED_DAYS[unit], phrase), end
        return _months_part(period, nth, from_end, count, _MONTHS_PER[unit], phrase), end

    def _counted_unit(self, from_end: bool, nth: int, j: int) -> tuple[tuple[int, str], int] | None:
        """``10 days``, ``days``, ``half``: (count, unit) and the next index; a count
        only after "first" or "last" ("the second 10 days" is not a phrase)."""
        count = 1
        if nth == 1 and self.word(j) not in UNITS and self.word(j) not in _HALF_WORDS:
            number = self.number(j)
            if number is None:
                return None
            count, j = number
        unit_word = self.word(j) or ""
        unit = "half" if unit_word in _HALF_WORDS else UNITS.get(unit_word)
        if unit is None:
            return None
        return (count, unit), j + 1

    # --- "the week starting March 2", "10 days from March 5", "7 days ending May 3" ------

    def _counted(self, i: int) -> Parsed | None:
        """``[N] (days|weeks|fortnights) (starting|beginning|commencing|from|ending) X``:
        N·unit days that start (or end) on day X."""
        if UNITS.get(self.word(i) or "") is not None:
            value, j = 1, i
        else:
            number = self.number(i)
            if number is None:
                return None
            value, j = number
        length = _FIXED_DAYS.get(UNITS.get(self.word(j) or "") or "")
        link = self.word(j + 1)
        if length is None or (link not in _START_LINKS and link not in _END_LINKS):
            return None
        k = j + 2
        if self.word(k) in {"on", "from", "with", "at"}:
            k += 1
        inner = self.single(k)
        if inner is None:
            return None
        spec, end = inner
        phrase = self.text(i, end)
        if isinstance(spec, Invalid):
            return spec, end
        if not isinstance(spec, Floating | Fixed) or (
            isinstance(spec, Floating) and spec.unit != "day"
        ):
            return None
        try:
            first, last = resolve_spec(spec, self.today)
        except CommandError as exc:
            return Invalid(type(exc), exc.user_message), end
        if first != last:
            return None
        if link == "from" and not (isinstance(spec, Floating) and spec.month is not None):
            # "3 days from now" is a day in the future, not three days
            return None
        if value < 1:
            return Invalid(MissingRangeError, messages.empty_phrase(phrase)), end
        days = value * length
        if days > _MAX_COUNTED_DAYS:
            return Invalid(RangeTooLongError, messages.too_long_phrase(phrase, self.max_days)), end
        try:
            if link in _START_LINKS:
                return Fixed(first, first + timedelta(days=days - 1)), end
            return Fixed(first - timedelta(days=days - 1), first), end
        except OverflowError:
            return Invalid(InvalidDateError, messages.out_of_calendar(phrase)), end

    # --- refused: "mid-March", "FY2024" ---------------------------------------------------

    def _vague_part(self, i: int) -> Parsed | None:
        """``early January``, ``mid-March``, ``the middle of last month``, ``late Q3``:
        not exact days, so refused with an example that is."""
        word = self.word(i)
        if word not in _VAGUE_WORDS:
            return None
        j = self.skip_tight_dash(i + 1)
        if self.word(j) == "of":
            j += 1
        found = self._period_at(j)
        if found is None:
            return None
        period, end = found
        if isinstance(period, Invalid):
            return period, end
        message = messages.vague_part(self.text(i, end), word, period)
        return Invalid(MissingRangeError, message), end

    def _fiscal(self, i: int) -> Parsed | None:
        """``FY2024``, ``FY 24``, ``fiscal year 2024``, ``fiscal Q3``: fiscal calendars
        differ between companies, so these are refused with calendar dates to use."""
        word = self.word(i) or ""
        if word != "fiscal" and _FISCAL_RE.fullmatch(word) is None:
            return None
        j = i + 1
        if word == "fiscal":
            if self.word(j) not in _FISCAL_UNITS:
                return None
            j += 1
        if self.kind(j) in {"num", "apyear", "qh"} or self.word(j) in _FISCAL_UNITS:
            j += 1
        if self.kind(j) in {"num", "apyear"}:
            j += 1
        return Invalid(MissingRangeError, messages.fiscal(self.text(i, j))), j


def _days_part(
    period: Interval, nth: int, from_end: bool, count: int, length: int, phrase: str
) -> Spec:
    """Days or 7-day weeks counted from the period's first (or last) day."""
    start, end = period
    total = (end - start).days + 1
    span = count * length
    offset = (nth - 1) * length
    if offset + span > total:
        return Invalid(InvalidDateError, messages.part_too_big(phrase, start, end))
    if from_end:
        first, last = end - timedelta(days=span - 1), end
    else:
        first = start + timedelta(days=offset)
        last = first + timedelta(days=span - 1)
    notes: tuple[str, ...] = ()
    if length > 1:
        counted = "from its last day back" if from_end else "from its first day"
        notes = (
            f'Read "{phrase}" as {_span_words(first, last)}: {span} days counted {counted}, '
            "not calendar (Monday-Sunday) weeks.",
        )
    return Fixed(first, last, notes=notes)


def _is_year(period: Interval) -> bool:
    start, end = period
    return (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and (
        start.year == end.year
    )


def _iso_week(year: int, week: int, phrase: str) -> Spec:
    """``the first week of 2026``: ISO week 1 (Monday → Sunday; it may start in December)."""
    found = periods.iso_week_interval(year, week)
    if found is None:
        return Invalid(
            InvalidDateError, f"{phrase!r} does not exist: {year} has no ISO week {week}."
        )
    first, last = found
    note = (
        f'Read "{phrase}" as ISO week {week} of {year}, Monday to Sunday: '
        f"{_span_words(first, last)}."
    )
    return Fixed(first, last, notes=(note,))


def _whole_months(period: Interval) -> int | None:
    """How many whole calendar months the period is, or None if it is not whole months."""
    start, end = period
    if start.day != 1 or end != periods.month_interval(end.year, end.month)[1]:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _months_part(
    period: Interval, nth: int, from_end: bool, count: int, per: int, phrase: str
) -> Spec:
    """Calendar months, quarters or years of a period made of whole months."""
    start, end = period
    months = _whole_months(period)
    aligned = months is not None and (start.month - 1) % per == 0 and months % per == 0
    if not aligned or months is None:
        return Invalid(MissingRangeError, messages.part_not_whole(phrase, start, end))
    span = count * per
    offset = (nth - 1) * per
    if offset + span > months:
        return Invalid(InvalidDateError, messages.part_too_big(phrase, start, end))
    if from_end:
        year, month = periods.shift_month(end.year, end.month, -(span - 1))
        return Fixed(date(year, month, 1), end)
    year, month = periods.shift_month(start.year, start.month, offset)
    last_year, last_month = periods.shift_month(year, month, span - 1)
    return Fixed(date(year, month, 1), periods.month_interval(last_year, last_month)[1])


def _half(period: Interval, nth: int, from_end: bool, count: int, phrase: str) -> Spec:
    """The first or second half: of a month, days 1-15 and 16 to the end (said in a
    note); of an even number of whole months (a year: H1, H2), half the months."""
    start, end = period
    if count != 1 or nth > 2:
        return Invalid(InvalidDateError, messages.part_too_big(phrase, start, end))
    second = from_end or nth == 2
    months = _whole_months(period)
    if months == 1:
        first, last = (start.replace(day=16), end) if second else (start, start.replace(day=15))
        note = f'Read "{phrase}" as {_span_words(first, last)}.'
        return Fixed(first, last, notes=(note,))
    if months is not None and months % 2 == 0:
        return _months_part(period, 2 if second else 1, False, 1, months // 2, phrase)
    return Invalid(MissingRangeError, messages.part_not_whole(phrase, start, end))


def _span_words(first: date, last: date) -> str:
    if (first.year, first.month) == (last.year, last.month):
        return f"{MONTH_NAMES[first.month]} {first.day}-{last.day}, {first.year}"
    return f"{periods.long_date(first)} to {periods.long_date(last)}"
