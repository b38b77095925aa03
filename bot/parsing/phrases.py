"""Recursive-descent parser for one date phrase ("March 3rd, 2024", "Q3", "last 7 days").

Every method takes a token index and returns ``(spec, next_index)`` or ``None``; the
alternatives are tried most specific first (PEG style), so "March 3 2024" is a day and
"March 2024" a month. Nothing here raises: a phrase that is clearly a date but an
impossible one becomes an ``Invalid`` spec, reported only if it is the chosen range.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.errors import CommandError, InvalidDateError

from . import numeric, relative
from .periods import safe_date
from .specs import Fixed, Floating, Invalid, Spec, resolve_spec
from .tokens import Token
from .vocab import (
    CARDINALS,
    LAST_WORDS,
    MONTH_NAMES,
    MONTHS,
    NEXT_WORDS,
    ORDINAL_WORDS,
    PERIOD_ADJECTIVES,
    TENS,
    THIS_WORDS,
    UNITS,
    WEEKDAYS,
)

Parsed = tuple[Spec, int]

_QH_RE = re.compile(r"([qh])([1-9])")
_WEEK_WORD_RE = re.compile(r"(?:w|wk|cw|kw)(\d{1,2})")
_TO_DATE = {"wtd": "week", "mtd": "month", "qtd": "quarter", "ytd": "year"}
_INCLUDING = frozenset({"including", "incl", "inclusive", "with"})
_EXCLUDING = frozenset({"excluding", "excl", "exclusive", "without"})
_WEEK_WORDS = frozenset({"week", "wk", "cw", "kw"})
_PREFIXES = frozenset({"the", "all", "whole", "entire", "full", "calendar", "iso", "month"})


class PhraseParser:
    def __init__(
        self,
        tokens: list[Token],
        *,
        today: date,
        date_order: str,
        explicit: bool,
        max_days: int = 366,
    ) -> None:
        self.tokens = tokens
        self.size = len(tokens)
        self.today = today
        self.date_order = date_order
        self.explicit = explicit
        self.max_days = max_days
        self._memo: dict[tuple[int, bool], Parsed | None] = {}

    # --- token access ---------------------------------------------------------------

    def kind(self, i: int) -> str | None:
        return self.tokens[i].kind if i < self.size else None

    def word(self, i: int) -> str | None:
        if i < self.size and self.tokens[i].kind == "word":
            return self.tokens[i].text
        return None

    def seq(self, i: int, words: tuple[str, ...]) -> int | None:
        """Match ``words`` from ``i`` (a tight dash may join them: "month-to-date")."""
        for n, expected in enumerate(words):
            if n and self.kind(i) == "dash" and self.tokens[i].tight:
                i += 1
            if self.word(i) != expected:
                return None
            i += 1
        return i

    def skip_tight_dash(self, i: int) -> int:
        return i + 1 if self.kind(i) == "dash" and self.tokens[i].tight else i

    def text(self, start: int, end: int) -> str:
        if start >= end or start >= self.size:
            return ""
        return " ".join(t.text for t in self.tokens[start:end])

    # --- numbers ----------------------------------------------------------------------

    def number(self, i: int) -> tuple[int, int] | None:
        """A count: ``7``, ``seven``, ``twenty-one``, ``a hundred and five``."""
        kind = self.kind(i)
        if kind == "num":
            # huge counts stay huge (and are refused as too long) without costly parsing
            digits = self.tokens[i].text.lstrip("0") or "0"
            return (int(digits) if len(digits) <= 18 else 10**18), i + 1
        word = self.word(i)
        if word is None:
            return None
        if word in TENS:
            value, j = TENS[word], i + 1
            k = j + 1 if self.kind(j) == "dash" and self.tokens[j].tight else j
            unit = CARDINALS.get(self.word(k) or "", 0)
            if 1 <= unit <= 9:
                return value + unit, k + 1
            return value, j
        if word == "hundred":
            return 100, i + 1
        if word in {"a", "an"} and self.word(i + 1) in {"couple", "dozen"}:
            return self.number(i + 1)
        if word in CARDINALS or word in {"a", "an"}:
            value, j = CARDINALS.get(word, 1), i + 1
            if self.word(j) == "hundred":
                j += 1
                if self.word(j) == "and":
                    j += 1
                rest = self.number(j) if self.word(j) is not None else None
                if rest is not None and rest[0] < 100:
                    return value * 100 + rest[0], rest[1]
                return value * 100, j
            if word in {"a", "an"} and self.word(j) not in UNITS:
                return None
            if word in {"couple", "dozen"} and self.word(j) == "of":
                j += 1  # "a couple of days"
            return value, j
        return None

    def day_number(self, i: int) -> tuple[int, int, bool] | None:
        """A day of the month: ``3``, ``3rd``, ``third``, ``twenty-first``.
        Returns (day, next index, written as an ordinal)."""
        kind = self.kind(i)
        if kind == "num":
            text = self.tokens[i].text
            if len(text) <= 2 and 1 <= int(text) <= 31:
                return int(text), i + 1, False
            return None
        if kind == "ord":
            value = int(self.tokens[i].text[:-2])
            return (value, i + 1, True) if 1 <= value <= 31 else None
        word = self.word(i)
        if word in ORDINAL_WORDS:
            return ORDINAL_WORDS[word], i + 1, True
        if word in {"twenty", "thirty"}:
            k = i + 2 if self.kind(i + 1) == "dash" and self.tokens[i + 1].tight else i + 1
            unit = ORDINAL_WORDS.get(self.word(k) or "", 0)
            if 1 <= unit <= 9 and TENS[word] + unit <= 31:
                return TENS[word] + unit, k + 1, True
        return None

    def year(self, i: int, *, standalone: bool) -> tuple[int, int] | None:
        """A four-digit year (1900-2099 when it stands alone), or ``'24`` after a month."""
        kind = self.kind(i)
        if kind == "num" and len(self.tokens[i].text) == 4:
            value = int(self.tokens[i].text)
            low, high = (1900, 2099) if standalone else (1000, 9999)
            return (value, i + 1) if low <= value <= high else None
        if kind == "apyear" and not standalone:
            return 2000 + int(self.tokens[i].text[1:]), i + 1
        return None

    def year_after(self, i: int) -> tuple[int, int] | None:
        """The year that may follow a month, day, quarter or week:
        ``2024``, ``, 2024``, ``of 2024``, ``-2024``, ``/2024``, ``last year``."""
        found = self.year_ref(i)
        if found is not None:
            return found
        kind = self.kind(i)
        if (
            kind in {"comma", "dash"}
            or self.word(i) == "of"
            or (kind == "punct" and self.tokens[i].text == "/")
        ):
            return self.year_ref(i + 1)
        return None

    def year_ref(self, i: int) -> tuple[int, int] | None:
        found = self.year(i, standalone=False)
        if found is not None:
            return found
        j = i + 1 if self.word(i) == "the" else i
        word = self.word(j)
        if self.word(j + 1) == "year" and word is not None:
            offset = 0 if word in THIS_WORDS else -1 if word in LAST_WORDS else None
            if word in NEXT_WORDS:
                offset = 1
            if offset is not None:
                return self.today.year + offset, j + 2
        return None

    # --- one phrase -------------------------------------------------------------------

    def single(self, i: int, in_span: bool = False) -> Parsed | None:
        """One date phrase at ``i``. ``in_span`` also allows a bare day number ("3" in
        "3-10 March"), which takes its month from the other end of the span."""
        key = (i, in_span)
        if key not in self._memo:
            self._memo[key] = self._single(i, in_span)
        return self._memo[key]

    def _single(self, i: int, in_span: bool) -> Parsed | None:
        kind = self.kind(i)
        if kind is None:
            return None
        raw = self.tokens[i].text
        if kind == "iso":
            return numeric.iso_date(raw), i + 1
        if kind == "ym":
            return numeric.iso_month(raw), i + 1
        if kind == "my":
            return numeric.month_year(raw), i + 1
        if kind == "isoweek":
            return numeric.iso_week(raw), i + 1
        if kind == "yq":
            return numeric.year_part(raw), i + 1
        if kind in {"numdate", "md"}:
            spec = numeric.day_order_date(raw, order=self.date_order, explicit=self.explicit)
            return spec, i + 1
        if kind == "num":
            return self._ago(i) or self._year_led(i) or self._day_first(i, in_span)
        if kind == "ord":
            return self._ordinal_period(i) or self._day_first(i, in_span)
        if kind == "word":
            return self._word_led(i, in_span)
        return None

    def _word_led(self, i: int, in_span: bool) -> Parsed | None:
        word = self.tokens[i].text
        if word in MONTHS:
            return self._month_led(i)
        if word in LAST_WORDS or word in THIS_WORDS or word in NEXT_WORDS:
            return self._edge_of(i) or self._relative(i)
        if word in WEEKDAYS:
            return self._weekday_led(i)
        simple = self._simple_relative(i)
        if simple is not None:
            return simple
        found = self._edge_of(i) or self._week_of(i) or self._to_date(i) or self._before_last(i)
        if found is not None:
            return found
        match = _QH_RE.fullmatch(word)
        if match is not None:
            return self._quarter_or_half(match.group(1), int(match.group(2)), i + 1)
        match = _WEEK_WORD_RE.fullmatch(word)
        if match is not None:
            return self._week_number(int(match.group(1)), i + 1)
        if word in _WEEK_WORDS or word == "quarter" or word == "q":
            return self._numbered_period(i)
        if word == "year":
            found_year = self.year(i + 1, standalone=False)
            return None if found_year is None else (Floating("year", found_year[0]), found_year[1])
        if word in ORDINAL_WORDS or word in {"twenty", "thirty"}:
            return self._ordinal_period(i) or self._day_first(i, in_span)
        if word in CARDINALS or word in TENS or word in {"a", "an", "hundred"}:
            return self._ago(i)
        if word in _PREFIXES:
            j = i + 1
            if word == "month":
                if self.word(j) != "of":
                    return None
                j += 1
            elif self.word(j) == "of":
                j += 1
            if j < self.size and self.word(j) not in {"the", "all"}:
                return self.single(j, in_span)
            if self.word(j) == "the" and word in {"all", "whole", "entire", "full"}:
                return self.single(j, in_span)
        return None

    def _simple_relative(self, i: int) -> Parsed | None:
        today = self.today
        word = self.tokens[i].text
        if word in {"today", "now", "tonight"}:
            return Fixed(today, today), i + 1
        if word in {"yesterday", "yday"}:
            day = today - timedelta(days=1)
            return Fixed(day, day), i + 1
        if word == "tomorrow":
            day = today + timedelta(days=1)
            return Fixed(day, day), i + 1
        j = self.seq(i, ("day", "before", "yesterday"))
        if j is not None:
            return Fixed(today - timedelta(days=2), today - timedelta(days=2)), j
        j = self.seq(i, ("day", "after", "tomorrow"))
        if j is not None:
            return Fixed(today + timedelta(days=2), today + timedelta(days=2)), j
        return None

    def _to_date(self, i: int) -> Parsed | None:
        word = self.tokens[i].text
        if word in _TO_DATE:
            return relative.current_period(_TO_DATE[word], self.today), i + 1
        unit = UNITS.get(word)
        if unit in {"week", "month", "quarter", "year"}:
            j = self.seq(self.skip_tight_dash(i + 1), ("to", "date"))
            if j is not None:
                return relative.current_period(unit, self.today), j
        return None

    def _before_last(self, i: int) -> Parsed | None:
        """``the week before last``, ``the month before last``: two periods back."""
        unit = UNITS.get(self.tokens[i].text)
        j = self.seq(i + 1, ("before", "last"))
        if unit is None or j is None:
            return None
        return relative.previous_period(unit, self.today, -2), j

    def _ago(self, i: int) -> Parsed | None:
        """``3 days ago``, ``two weeks ago``, ``a month ago``."""
        count = self.number(i)
        if count is None:
            return None
        value, j = count
        unit = UNITS.get(self.word(j) or "")
        if unit is None or self.word(j + 1) not in {"ago", "back"}:
            return None
        return relative.ago(value, unit, self.today, self.text(i, j + 2)), j + 2

    def _relative(self, i: int) -> Parsed | None:
        """``last/this/next`` + unit, count, month, weekday or quarter."""
        word = self.tokens[i].text
        direction = -1 if word in LAST_WORDS else 0 if word in THIS_WORDS else 1
        k = i + 1
        while self.word(k) in PERIOD_ADJECTIVES:
            k += 1
        count = self.number(k) if direction else None
        if count is not None:
            value, j = count
            while self.word(j) in PERIOD_ADJECTIVES:
                j += 1
            unit = UNITS.get(self.word(j) or "")
            if unit is None:
                return None
            include, end = self._inclusion(j + 1, unit)
            phrase = self.text(i, end)
            spec = relative.rolling(
                value,
                unit,
                self.today,
                include_today=include,
                future=direction > 0,
                phrase=phrase,
                max_days=self.max_days,
            )
            return spec, end
        if self.word(k) == "weekend":
            return relative.weekend(self.today, direction), k + 1
        unit = UNITS.get(self.word(k) or "")
        if unit is not None:
            if direction == 0:
                after = self.skip_tight_dash(k + 1)
                end = self.seq(after, ("to", "date")) or self.seq(after, ("so", "far")) or k + 1
                return relative.current_period(unit, self.today), end
            return relative.previous_period(unit, self.today, direction), k + 1
        target = self.word(k) or ""
        if target in MONTHS:
            return self._relative_month(MONTHS[target], direction), k + 1
        if target in WEEKDAYS:
            weekday = WEEKDAYS[target]
            if direction < 0:
                spec = relative.weekday_on_or_before(weekday, self.today, strictly_before=True)
                return spec, k + 1
            return relative.weekday_this_week(weekday, self.today, direction), k + 1
        match = _QH_RE.fullmatch(target)
        if match is not None and match.group(1) == "q" and 1 <= int(match.group(2)) <= 4:
            quarter = int(match.group(2))
            if direction < 0:
                return Floating("quarter", None, index=quarter, before_current=True), k + 1
            year = self.today.year + (1 if direction > 0 else 0)
            return Floating("quarter", year, index=quarter), k + 1
        return None

    def _relative_month(self, month: int, direction: int) -> Floating:
        if direction < 0:
            return Floating("month", None, month, before_current=True)
        if direction == 0:
            return Floating("month", self.today.year, month)
        year = self.today.year if month > self.today.month else self.today.year + 1
        return Floating("month", year, month)

    def _inclusion(self, j: int, unit: str) -> tuple[bool, int]:
        """``including today`` / ``incl. this month`` / ``excluding today`` after a count."""
        word = self.word(j)
        if (
            word in _INCLUDING
            or word in _EXCLUDING
            or (word == "not" and self.word(j + 1) == "including")
        ):
            include = word in _INCLUDING
            k = j + (2 if word == "not" else 1)
            if self.word(k) == "of":
                k += 1
            if self.word(k) == "today":
                return include, k + 1
            if self.word(k) == "the":
                k += 1
            if self.word(k) in THIS_WORDS and UNITS.get(self.word(k + 1) or "") == unit:
                return include, k + 2
        return False, j

    def _edge_of(self, i: int) -> Parsed | None:
        """``start of last month`` (its first day), ``end of March 2024`` (its last day)."""
        first = None
        for words, is_first in (
            (("start", "of"), True),
            (("beginning", "of"), True),
            (("begin", "of"), True),
            (("first", "day", "of"), True),
            (("end", "of"), False),
            (("last", "day", "of"), False),
        ):
            j = self.seq(i, words)
            if j is not None:
                first = is_first
                break
        if first is None:
            return None
        assert j is not None
        if self.word(j) == "the":
            j += 1
        inner = self.single(j)
        if inner is None:
            return None
        spec, end = inner
        try:
            start_day, end_day = resolve_spec(spec, self.today)
        except CommandError as exc:
            return Invalid(type(exc), exc.user_message), end
        day = start_day if first else end_day
        return Fixed(day, day), end

    def _week_of(self, i: int) -> Parsed | None:
        """``week of March 3``: the ISO week (Monday → Sunday) holding that day."""
        j = self.seq(i, ("week", "of"))
        if j is None:
            return None
        inner = self.single(j)
        if inner is None:
            return None
        spec, end = inner
        if not (isinstance(spec, Floating) and spec.unit == "day"):
            return None
        try:
            day = resolve_spec(spec, self.today)[0]
        except CommandError as exc:
            return Invalid(type(exc), exc.user_message), end
        monday = day - timedelta(days=day.weekday())
        return Fixed(monday, monday + timedelta(days=6)), end

    def _month_led(self, i: int) -> Parsed | None:
        """``March 3``, ``March the 3rd, 2024``, ``Sept 2025``, ``March of last year``."""
        month = MONTHS[self.tokens[i].text]
        k = i + 1
        day_at = k + 1 if self.word(k) == "the" else k
        day = self.day_number(day_at)
        if day is not None and self.word(day[1]) not in UNITS:
            value, j, _ = day
            year = self.year_after(j)
            if year is not None:
                return Floating("day", year[0], month, value), year[1]
            return Floating("day", None, month, value), j
        if self.kind(k) == "num" and len(self.tokens[k].text) == 2:
            # "March 45": clearly meant as a day, and not one
            return Invalid(
                InvalidDateError,
                f'"{MONTH_NAMES[month]} {self.tokens[k].text}" is not a real date: '
                f"{MONTH_NAMES[month]} has at most {31 if month != 2 else 29} days. "
                f'Try e.g. "{MONTH_NAMES[month]} 1".',
            ), k + 1
        year = self.year_after(k)
        if year is not None:
            return Floating("month", year[0], month), year[1]
        return Floating("month", None, month), k

    def _day_first(self, i: int, in_span: bool) -> Parsed | None:
        """``3 March 2024``, ``the 3rd of March``; a bare ``3rd`` (or ``3`` inside a span)."""
        day = self.day_number(i)
        if day is None:
            return None
        value, j, ordinal = day
        k = j + 1 if self.word(j) == "of" else j
        month_word = self.word(k)
        if month_word in MONTHS:
            month = MONTHS[month_word]
            year = self.year_after(k + 1)
            if year is not None:
                return Floating("day", year[0], month, value), year[1]
            short = self.tokens[k + 1].text if self.kind(k + 1) == "num" else ""
            if len(short) == 2:
                # "3 March 24": a two-digit year after a day and a month
                return Floating("day", 2000 + int(short), month, value), k + 2
            return Floating("day", None, month, value), k + 1
        if month_word is not None and k > j:
            in_month = self._day_of_period(value, k)
            if in_month is not None:
                return in_month
        if in_span:
            year = self.year_after(j) if self.kind(j) != "dash" else None
            if year is not None and year[0] >= 1000:
                return Floating("bareday", year[0], None, value), year[1]
            return Floating("bareday", None, None, value), j
        if ordinal:
            return Floating("bareday", None, None, value), j
        return None

    def _day_of_period(self, day: int, k: int) -> Parsed | None:
        """``the 1st of last month``, ``the 15th of this month``."""
        inner = self.single(k)
        if inner is None:
            return None
        spec, end = inner
        if isinstance(spec, Floating) and spec.unit == "month" and not spec.before_current:
            return Floating("day", spec.year, spec.month, day), end
        if isinstance(spec, Floating) and spec.unit == "month":
            # "the 5th of last January": that January first, then its 5th
            try:
                month_start, month_end = resolve_spec(spec, self.today)
            except CommandError as exc:
                return Invalid(type(exc), exc.user_message), end
            spec = Fixed(month_start, month_end)
        if not isinstance(spec, Fixed) or spec.start.day != 1:
            return None
        if (spec.start.year, spec.start.month) != (spec.end.year, spec.end.month):
            return None
        found = safe_date(spec.start.year, spec.start.month, day)
        if found is None:
            what = f"{MONTH_NAMES[spec.start.month]} {spec.start.year}"
            return Invalid(
                InvalidDateError,
                f'{what} has no day {day}. Try e.g. "the 1st of last month".',
            ), end
        return Fixed(found, found), end

    def _year_led(self, i: int) -> Parsed | None:
        """``2024``, ``2024 Q3``, ``2025 H2``, ``2024 March``, ``2024 week 12``."""
        found = self.year(i, standalone=True)
        if found is None:
            return None
        year, j = found
        word = self.word(j) or ""
        match = _QH_RE.fullmatch(word)
        if match is not None:
            return self._quarter_or_half(match.group(1), int(match.group(2)), j + 1, year)
        if word in MONTHS and self.day_number(j + 1) is None:
            return Floating("month", year, MONTHS[word]), j + 1
        if word in _WEEK_WORDS:
            number = self.number(j + 1)
            if number is not None:
                return self._week_spec(number[0], year), number[1]
        return Floating("year", year), j

    def _quarter_or_half(
        self, kind: str, number: int, j: int, year: int | None = None
    ) -> Parsed | None:
        limit = 4 if kind == "q" else 2
        if not 1 <= number <= limit:
            message = numeric.no_such_part(f"{kind.upper()}{number}", kind)
            return Invalid(InvalidDateError, message), j
        if year is None:
            found = self.year_after(j)
            if found is not None:
                year, j = found
        return Floating("quarter" if kind == "q" else "half", year, index=number), j

    def _ordinal_period(self, i: int) -> Parsed | None:
        """``third quarter of 2024``, ``4th quarter``, ``second half of 2025``."""
        day = self.day_number(i)
        if day is None or not day[2]:
            return None
        value, j, _ = day
        unit = self.word(j)
        if unit in {"quarter", "qtr"}:
            return self._quarter_or_half("q", value, j + 1)
        if unit == "half":
            return self._quarter_or_half("h", value, j + 1)
        return None

    def _numbered_period(self, i: int) -> Parsed | None:
        """``quarter 3 2024``, ``q 3``, ``week 7 of 2025``, ``wk 12``."""
        word = self.tokens[i].text
        j = i + 1
        if self.word(j) in {"no", "number", "nr"}:
            j += 1
        number = self.number(j)
        if number is None:
            return None
        value, j = number
        if word in {"quarter", "q"}:
            return self._quarter_or_half("q", value, j)
        return self._week_number(value, j)

    def _week_number(self, week: int, j: int) -> Parsed | None:
        if not 1 <= week <= 53:
            return None
        found = self.year_after(j)
        if found is not None:
            return self._week_spec(week, found[0]), found[1]
        return Floating("week", None, index=week), j

    def _week_spec(self, week: int, year: int) -> Spec:
        return numeric.iso_week(f"{year}w{week}")

    def _weekday_led(self, i: int) -> Parsed | None:
        """``Tue, 3 March 2024`` (the weekday is ignored) or ``Monday`` (the latest one)."""
        j = i + 1
        if self.kind(j) == "comma":
            j += 1
        dated = self.single(j) if j < self.size and self.kind(j) != "word" else None
        if dated is None and self.word(j) in MONTHS:
            dated = self._month_led(j)
        if dated is None and self.word(j) == "the":
            dated = self._day_first(j + 1, False)
        if (
            dated is not None
            and isinstance(dated[0], Floating)
            and dated[0].unit in {"day", "bareday"}
        ):
            return dated
        weekday = WEEKDAYS[self.tokens[i].text]
        return relative.weekday_on_or_before(weekday, self.today, strictly_before=False), i + 1
