"""The range grammar: spans ("X to Y", "between X and Y", "3-10 March"), open ranges
("since X") and single phrases, found anywhere in a message."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.errors import CommandError, MissingRangeError

from . import messages, periods, relative
from .phrases import PhraseParser
from .specs import Fixed, Floating, Invalid, RangeSpec, Since, Single, Span, Spec, resolve_spec
from .vocab import RANGE_PREPOSITIONS, SPAN_CONNECTORS, UNITS, WEEKDAYS

_SINCE_WORDS = frozenset({"since", "from", "starting", "beginning"})
_SINCE_LINKS = frozenset({"from", "on", "with", "at"})
_OPEN_END_WORDS = frozenset({"onwards", "onward", "forward", "forwards", "on"})
_TO_DATE_LINKS = frozenset({"to", "till", "til", "until", "through", "thru"})
_INCLUSIVE_WORDS = frozenset({"inclusive", "inclusively", "incl"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A range phrase found in tokens[start:end]."""

    start: int
    end: int
    spec: RangeSpec


class RangeGrammar(PhraseParser):
    def candidates(self) -> list[Candidate]:
        """Every range phrase that starts at some token (the longest parse at each)."""
        found: list[Candidate] = []
        for i in range(self.size):
            parsed = self.range_at(i)
            if parsed is not None:
                found.append(Candidate(i, parsed[1], parsed[0]))
        return found

    def range_end_at(self, i: int) -> int | None:
        parsed = self.range_at(i)
        return None if parsed is None else parsed[1]

    def range_at(self, i: int) -> tuple[RangeSpec, int] | None:
        k = i
        while self.word(k) in RANGE_PREPOSITIONS:
            k += 1
        if k >= self.size:
            return None
        return self._span(k) or self._since(k) or self._single_range(k)

    def _single_range(self, k: int) -> tuple[RangeSpec, int] | None:
        parsed = self.single(k)
        if parsed is None:
            return None
        spec, end = parsed
        if isinstance(spec, Fixed) and spec.vague is not None:
            # "end of last month" names a day only as the end of a span
            return Single(Invalid(MissingRangeError, spec.vague)), end
        if self.word(end) in {"onwards", "onward", "forward", "forwards"}:
            return Since(spec), end + 1
        if self.word(end) in {"and", "or"} and self.word(end + 1) in {"later", "after", "since"}:
            # "2015 and later": from its start to today
            return Since(spec), end + 2
        return Single(spec), end

    def _since(self, k: int) -> tuple[RangeSpec, int] | None:
        """``since March 3``, ``from last Monday``, ``starting from 2024-01-05 onwards``."""
        word = self.word(k)
        if word not in _SINCE_WORDS:
            return None
        j = k + 1
        if word in {"starting", "beginning"} and self.word(j) in _SINCE_LINKS:
            j += 1
        parsed = self.single(j)
        if parsed is None:
            return None
        spec, end = parsed
        if self.word(end) in _OPEN_END_WORDS:
            end += 1
        elif self.seq(end, ("until", "now")) or self.seq(end, ("till", "now")):
            end += 2
        return Since(spec), end

    def _connector(self, j: int, between: bool) -> int | None:
        kind = self.kind(j)
        word = self.word(j)
        ampersand = kind == "punct" and self.tokens[j].text == "&"
        plain = kind in {"dash", "dots"} or word in SPAN_CONNECTORS
        if plain or (between and (word == "and" or ampersand)):
            j += 1
        elif self.seq(j, ("up", "to")) is not None:
            j += 2
        else:
            return None
        # "to and including", "through to"
        if self.word(j) == "and" and self.word(j + 1) == "including":
            j += 2
        elif self.word(j) == "to" and word in {"through", "thru", "up"}:
            j += 1
        return j

    def _unclear_current(
        self, first_spec: Spec, first_end: int, last_spec: Spec, last_end: int
    ) -> Invalid | None:
        """ "from March 1 to the end of the month": "the month" is the current one only
        if the other end is in it too; otherwise which month is meant is unclear."""
        for spec, phrase_end, other in (
            (first_spec, first_end, last_spec),
            (last_spec, last_end, first_spec),
        ):
            unit = UNITS.get(self.word(phrase_end - 1) or "")
            if self.word(phrase_end - 2) != "the" or unit not in {"week", "month", "quarter"}:
                continue
            if not isinstance(spec, Fixed) or isinstance(other, Invalid):
                continue
            try:
                other_start = resolve_spec(other, self.today)[0]
            except CommandError:
                continue
            if other_start < relative.current_period(unit, self.today).start:
                phrase = self.text(phrase_end - 2, phrase_end)
                return Invalid(MissingRangeError, messages.unclear_current(phrase, unit))
        return None

    def _same_week(self, first_at: int, after: int, first_spec: Spec) -> Spec:
        """ "Monday to Friday last week": the week qualifies both weekdays."""
        first_day = WEEKDAYS.get(self.word(first_at) or "")
        last_day = WEEKDAYS.get(self.word(after) or "")
        if first_day is None or last_day is None:
            return first_spec
        k = after + 1
        if self.word(k) in {"of", "in", "from"}:
            k += 1
        week = self.week_offset(k)
        if week is None:
            return first_spec
        return relative.weekday_this_week(first_day, self.today, week[0])

    def _span(self, k: int) -> tuple[RangeSpec, int] | None:
        """``[from|between] X <to|through|until|-|–|..|and> Y``."""
        word = self.word(k)
        between = word == "between"
        j = k + 1 if word in {"from", "between"} else k
        first_at = j
        first = self.single(j, True)
        if first is None:
            return None
        first_spec, j = first
        after = self._connector(j, between)
        if after is None:
            return None
        if self.word(after) in {"date", "present"} and self.word(after - 1) in _TO_DATE_LINKS:
            # "March to date", "from March 3 till present"
            return Since(first_spec), after + 1
        last = self.single(after, True)
        if last is None:
            return None
        last_spec, end = last
        if j == first_at + 1:
            first_spec = self._same_week(first_at, after, first_spec)
        unclear = self._unclear_current(first_spec, j, last_spec, end)
        if unclear is not None:
            return Single(unclear), end
        pair = fill_bare_days(first_spec, last_spec)
        if pair is None:
            return None
        if self.word(end) in _INCLUSIVE_WORDS or self.seq(end, ("both", "inclusive")):
            end += 2 if self.word(end) == "both" else 1
        return Span(*pair), end


def fill_bare_days(first: Spec, last: Spec) -> tuple[Spec, Spec] | None:
    """Give a bare day number the month (and year) of the other end: "March 3-10",
    "3-10 March 2024", "the 3rd to the 10th of March". None if the other end is not a
    day; two bare days stay bare (the same month, found from today)."""
    first_bare = isinstance(first, Floating) and first.unit == "bareday"
    last_bare = isinstance(last, Floating) and last.unit == "bareday"
    if first_bare and last_bare:
        # "from the 1st to the 15th": both in one month, resolved against today
        return first, last
    if first_bare and isinstance(last, Fixed) and last.start == last.end:
        # "the 10th through today": the latest 10th on or before that day
        assert isinstance(first, Floating) and first.day is not None
        day = _latest_day_on_or_before(first.day, last.start)
        return None if day is None else (Fixed(day, day), last)
    if first_bare:
        assert isinstance(first, Floating)
        if not (isinstance(last, Floating) and last.unit == "day"):
            return None
        year = first.year if first.year is not None else last.year
        first = replace(first, unit="day", month=last.month, year=year)
    elif last_bare:
        assert isinstance(last, Floating)
        if not (isinstance(first, Floating) and first.unit == "day"):
            return None
        year = last.year if last.year is not None else first.year
        last = replace(last, unit="day", month=first.month, year=year)
    return first, last


def _latest_day_on_or_before(day: int, limit: date) -> date | None:
    year, month = limit.year, limit.month
    for _ in range(12):
        found = periods.safe_date(year, month, day)
        if found is not None and found <= limit:
            return found
        year, month = periods.shift_month(year, month, -1)
    return None
