"""Phrases counted from today: "yesterday", "last 7 days", "MTD", "start of last month"."""

from __future__ import annotations

from datetime import date, timedelta

from bot.errors import CommandError, MissingRangeError

from . import messages, relative
from .reader import EXCLUDING, INCLUDING, QH_RE, TO_DATE, Parsed, TokenReader
from .specs import Fixed, Floating, Invalid, resolve_spec
from .vocab import (
    LAST_WORDS,
    MONTHS,
    PERIOD_ADJECTIVES,
    THIS_WORDS,
    UNITS,
    WEEKDAYS,
)

_HOUR_WORDS = frozenset({"hour", "hours", "hr", "hrs", "h", "minute", "minutes", "min", "mins"})
_BUSINESS_WORDS = frozenset({"business", "working", "work", "weekday", "weekdays"})
_MAX_WEEKDAYS = 1000
_SIMPLE_WORDS = frozenset({"today", "now", "tonight", "yesterday", "yday", "tomorrow", "day"})


def _weekdays_before(today: date, count: int) -> tuple[date | None, date | None]:
    """The first and last of the ``count`` Monday-Friday days before today."""
    if not 1 <= count <= _MAX_WEEKDAYS:
        return None, None
    day, last, found = today, None, 0
    while found < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            found += 1
            last = last or day
    return day, last


class RelativePhrases(TokenReader):
    def _named(self, i: int, year: int | None = None, before: bool = False) -> Parsed | None:
        raise NotImplementedError  # ShapePhrases

    def _simple_relative(self, i: int) -> Parsed | None:
        word = self.tokens[i].text
        if word not in _SIMPLE_WORDS:
            return None
        today = self.today
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
        if word in TO_DATE:
            return relative.current_period(TO_DATE[word], self.today), i + 1
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
        """``3 days ago``, ``two weeks ago``, ``a month ago``, ``1 month 21 days ago``,
        ``two weeks ago Monday`` (the Monday of the week two weeks back)."""
        parts: list[tuple[int, str]] = []
        j = i
        while True:
            count = self.number(j)
            if count is None:
                break
            unit = UNITS.get(self.word(count[1]) or "")
            if unit is None:
                break
            parts.append((count[0], unit))
            j = count[1] + 1
            if self.word(j) == "and" or self.kind(j) == "comma":
                j += 1 if self.number(j + 1) is not None else 0
        if not parts or self.word(j) not in {"ago", "back"}:
            return None
        end = j + 1
        k = end + 1 if self.word(end) == "on" else end
        weekday = WEEKDAYS.get(self.word(k) or "")
        weeks_back = len(parts) == 1 and parts[0][1] == "week"
        if weeks_back and weekday is not None and not self._connects(k + 1):
            return relative.weekday_this_week(weekday, self.today, -parts[0][0]), k + 1
        return relative.ago(parts, self.today, self.text(i, end)), end

    def _relative(self, i: int) -> Parsed | None:
        """``last/this/next`` + unit, count, month, weekday or quarter."""
        word = self.tokens[i].text
        direction = -1 if word in LAST_WORDS else 0 if word in THIS_WORDS else 1
        k = i + 1
        if direction == 0 and self.word(k) in {"past", "last"}:
            # "this past week": the last one
            direction, k = -1, k + 1
        while self.word(k) in PERIOD_ADJECTIVES:
            k += 1
        if direction < 0 and self.word(k) in _BUSINESS_WORDS:
            return self._uncountable(i, 1, k)
        count = self.number(k) if direction else None
        if count is not None:
            value, j = count
            while self.word(j) in PERIOD_ADJECTIVES:
                j += 1
            unit = UNITS.get(self.word(j) or "")
            if unit is None:
                return self._uncountable(i, value, j) if direction < 0 else None
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
        if unit in {"quarter", "month"} and direction < 0 and self.word(k + 1) == "of":
            # "last quarter of 2025" is its Q4, not the quarter before this one
            of_year = self.year_ref(k + 2)
            if of_year is not None:
                if unit == "quarter":
                    return Floating("quarter", of_year[0], index=4), of_year[1]
                return Floating("month", of_year[0], 12), of_year[1]
        if unit == "week":
            m = k + 1
            while self.kind(m) == "comma" or self.word(m) in {"on", "the"}:
                m += 1
            if self.word(m) in WEEKDAYS and not self._connects(m + 1):
                # "last week Monday", "this week on Tuesday" (not "last week Monday to
                # Friday": which week Friday is in is unclear)
                weekday = WEEKDAYS[self.word(m) or ""]
                return relative.weekday_this_week(weekday, self.today, direction), m + 1
        if unit == "year" and direction <= 0:
            part = self._part_of_year(k + 1, self.today.year + direction)
            if part is not None:
                return part
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
        match = QH_RE.fullmatch(target)
        if match is not None and match.group(1) == "q" and 1 <= int(match.group(2)) <= 4:
            quarter = int(match.group(2))
            if direction < 0:
                return Floating("quarter", None, index=quarter, before_current=True), k + 1
            quarter_year = self.today.year + (1 if direction > 0 else 0)
            return Floating("quarter", quarter_year, index=quarter), k + 1
        return None

    def _part_of_year(self, j: int, year: int) -> Parsed | None:
        """``last year's Q3``, ``this year's March``, ``last year's Black Friday``."""
        named = self._named(j, year=year)
        if named is not None:
            return named
        word = self.word(j) or ""
        if word in MONTHS:
            return Floating("month", year, MONTHS[word]), j + 1
        match = QH_RE.fullmatch(word)
        if match is not None and 1 <= int(match.group(2)) <= (4 if match.group(1) == "q" else 2):
            unit = "quarter" if match.group(1) == "q" else "half"
            return Floating(unit, year, index=int(match.group(2))), j + 1
        return None

    def _uncountable(self, i: int, count: int, j: int) -> Parsed | None:
        """``last 2 business days``, ``past 24 hours``: refused with calendar days."""
        word = self.word(j)
        if word in _HOUR_WORDS:
            return Invalid(MissingRangeError, messages.hours(self.text(i, j + 1))), j + 1
        if word in _BUSINESS_WORDS:
            end = j + 1
            if word in {"business", "working", "work"}:
                if self.word(end) not in {"day", "days"}:
                    return None
                end += 1
            first, last = _weekdays_before(self.today, count)
            message = messages.uncountable_days(self.text(i, end), first, last)
            return Invalid(MissingRangeError, message), end
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
            word in INCLUDING
            or word in EXCLUDING
            or (word == "not" and self.word(j + 1) == "including")
        ):
            include = word in INCLUDING
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

    def _week_of(self, i: int) -> Parsed | None:
        """``week of March 3``: the ISO week (Monday → Sunday) holding that day."""
        j = self.seq(i, ("week", "of"))
        if j is None:
            return None
        inner = self.single(j)
        if inner is None:
            return None
        spec, end = inner
        one_day = isinstance(spec, Floating) and spec.unit in {"day", "named"}
        if not one_day and not (isinstance(spec, Fixed) and spec.start == spec.end):
            return None
        try:
            day = resolve_spec(spec, self.today)[0]
        except CommandError as exc:
            return Invalid(type(exc), exc.user_message), end
        if day != resolve_spec(spec, self.today)[1]:
            return None  # "the week of BFCM": not one day
        monday = day - timedelta(days=day.weekday())
        return Fixed(monday, monday + timedelta(days=6)), end
