"""More of what people type (RANGE_SEMANTICS.md, "More shapes"): named days ("Black
Friday 2024", "BFCM"), the n-th weekday of a month ("the first Monday of March"),
"w/c 4 Feb", "the rest of the month", "the weekend", decades ("the 2010s"), years in
words ("twenty twenty-four"), and a weekday said with its date ("Tuesday the 14th")."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.errors import CommandError, InvalidDateError, MissingRangeError

from . import messages, named_days, relative
from .calendar_phrases import CalendarPhrases
from .portions import PortionPhrases
from .reader import Parsed
from .specs import Fixed, Floating, Invalid, resolve_spec
from .vocab import (
    MONTH_NAMES,
    MONTHS,
    THIS_WORDS,
    UNITS,
    WEEKDAY_NAMES,
    WEEKDAYS,
)

_REST_WORDS = frozenset({"rest", "remainder", "balance"})


class ShapePhrases(PortionPhrases, CalendarPhrases):
    # --- named days ---------------------------------------------------------------------

    def _named_words(self, i: int) -> tuple[str | None, str | None, int] | None:
        """(rule name, unfixed title, next index) for a named day at ``i``."""
        if self.word(i) not in named_days.FIRST_WORDS:
            return None
        for size in range(named_days.LONGEST_PHRASE, 0, -1):
            words = tuple(self.word(i + n) or "" for n in range(size))
            if words in named_days.PHRASES:
                return named_days.PHRASES[words], None, i + size
            if words in named_days.UNFIXED:
                return None, named_days.UNFIXED[words], i + size
        return None

    def _named(self, i: int, year: int | None = None, before: bool = False) -> Parsed | None:
        """``Black Friday``, ``BFCM 2024``, ``Christmas Eve of last year``,
        ``Easter weekend 2025``; ``Prime Day`` is refused (no rule fixes its dates)."""
        found = self._named_words(i)
        if found is None:
            return None
        name, unfixed, j = found
        if year is None:
            after = self.year_after(j)
            if after is not None:
                year, j = after
        if name is None:
            assert unfixed is not None
            return Invalid(MissingRangeError, messages.unfixed_day(unfixed, year)), j
        return Floating("named", year, name=name, before_current=before), j

    # --- "the first Monday of March", "the last Friday of October 2025" -----------------

    def _nth_weekday(self, i: int) -> Parsed | None:
        part = self._part_of(i, self._weekday_of)
        if part is None:
            return None
        period, end = part.period, part.end
        if isinstance(period, Invalid):
            return period, end
        weekday = part.what
        first, last = period
        phrase = self.text(i, end)
        if part.from_end:
            day = last - timedelta(days=(last.weekday() - weekday) % 7)
        else:
            day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (part.nth - 1))
        if not first <= day <= last:
            name = WEEKDAY_NAMES[weekday]
            return Invalid(
                InvalidDateError,
                f"{messages.quote(phrase, 40)} doesn't exist: {first.isoformat()} to "
                f'{last.isoformat()} has fewer {name}s. Try e.g. "the last {name} of '
                f'{MONTH_NAMES[first.month]} {first.year}".',
            ), end
        return Fixed(day, day), end

    def _weekday_of(self, from_end: bool, nth: int, j: int) -> tuple[int, int] | None:
        """The weekday after "last" or "first" to "fifth" (a month has at most five)."""
        if not from_end and nth > 5:
            return None
        weekday = WEEKDAYS.get(self.word(j) or "")
        return None if weekday is None else (weekday, j + 1)

    # --- "w/c 4 Feb", "the rest of the month", "the weekend" -----------------------------

    def _week_commencing(self, i: int) -> Parsed | None:
        """``w/c Feb 4``, ``wc 2025-06-09``: the 7 days from that date."""
        j: int | None = None
        if self.word(i) == "w" and self.kind(i + 1) == "punct" and self.word(i + 2) == "c":
            if self.tokens[i + 1].text == "/":
                j = i + 3
        elif self.word(i) == "wc":
            j = i + 1
        if j is None:
            return None
        inner = self.single(j)
        if inner is None:
            return None
        spec, end = inner
        if isinstance(spec, Invalid):
            return spec, end
        try:
            first, last = resolve_spec(spec, self.today)
        except CommandError as exc:
            return Invalid(type(exc), exc.user_message), end
        if first != last:
            return None
        return Fixed(first, first + timedelta(days=6)), end

    def _rest_of(self, i: int) -> Parsed | None:
        """``the rest of the month``: today → its end (clamped to today)."""
        if self.word(i) not in _REST_WORDS or self.word(i + 1) != "of":
            return None
        j = i + 2
        if self.word(j) in {"the", *THIS_WORDS}:
            j += 1
        unit = UNITS.get(self.word(j) or "")
        if unit not in {"week", "month", "quarter", "year"}:
            return None
        current = relative.current_period(unit, self.today)
        return Fixed(self.today, current.full_end or self.today), j + 1

    def _weekend(self, i: int) -> Parsed | None:
        """``the weekend``, ``weekend``: the most recent full Saturday-Sunday before today."""
        if self.word(i) not in {"weekend", "wknd"}:
            return None
        return relative.weekend(self.today, -1), i + 1

    def _offset_from(self, i: int) -> Parsed | None:
        """``three days before yesterday``, ``the day after Black Friday 2025``,
        ``2 weeks after March 3``: that one day, counted from another."""
        if self.word(i) == "day":
            count, j = 1, i
        else:
            number = self.number(i)
            if number is None or (number[0] > 1 and i > 0 and self.word(i - 1) == "the"):
                return None  # "the 2 days before yesterday" is two days, not one
            count, j = number
        step = {"day": 1, "week": 7}.get(UNITS.get(self.word(j) or "") or "")
        direction = {"before": -1, "after": 1}.get(self.word(j + 1) or "")
        if step is None or direction is None:
            return None
        k = j + 2
        if self.word(k) == "the" and self.word(k + 1) in {"day", "week"}:
            k += 1  # "the day before the day before yesterday"
        inner = self.single(k)
        if inner is None:
            return None
        spec, end = inner
        if isinstance(spec, Invalid):
            return spec, end
        try:
            first, last = resolve_spec(spec, self.today)
        except CommandError as exc:
            return Invalid(type(exc), exc.user_message), end
        if first != last:
            return None  # "3 days before last week": which day of it?
        day = first + timedelta(days=direction * count * step)
        return Fixed(day, day), end

    # --- "the 2010s", "twenty twenty-four" -----------------------------------------------

    def _decade(self, i: int) -> Parsed:
        digits = self.tokens[i].text[:-1].lstrip("'")
        # "the 90s" is the 1990s, "the 10s" the 2010s
        short = int(digits[-2:])
        first = int(digits) if len(digits) == 4 else (2000 if short <= 20 else 1900) + short
        return Fixed(date(first, 1, 1), date(first + 9, 12, 31)), i + 1

    def _word_year_led(self, i: int) -> Parsed | None:
        found = self.word_year(i)
        if found is None:
            return None
        year, j = found
        return Floating("year", year), j

    # --- a weekday with its date ----------------------------------------------------------

    def _dated_weekday(self, i: int, weekday: int, spec: Floating, end: int) -> Parsed:
        """``Tuesday, June 3 2025`` (checked when the year is known) and ``Sunday the
        1st`` (the most recent 1st that was a Sunday)."""
        if spec.weekday is not None and spec.weekday != weekday:
            said = self.text(i, end)
            return Invalid(
                InvalidDateError,
                f"{messages.quote(said, 40)} names two different weekdays. Give one date, "
                'e.g. "2024-06-03".',
            ), end
        return replace(spec, weekday=weekday), end

    def _last_named(self, i: int) -> Parsed | None:
        """``last Black Friday``: the most recent one before today."""
        return self._named(i + 1, before=True)

    def _weekday_led(self, i: int) -> Parsed | None:
        """``Tue, 3 March 2024`` (the weekday is checked against the date), ``Sunday the
        1st`` (the most recent 1st that was a Sunday), ``Monday`` (the latest one),
        ``Monday last week``."""
        weekday = WEEKDAYS[self.tokens[i].text]
        j = i + 1
        if self.kind(j) == "comma":
            j += 1
        dated = self.single(j) if j < self.size and self.kind(j) != "word" else None
        if dated is None and self.word(j) in MONTHS:
            dated = self._month_led(j)
        if dated is None and self.word(j) == "the":
            dated = self._day_first(j + 1, False)
        if dated is not None and isinstance(dated[0], Invalid):
            return dated
        if (
            dated is not None
            and isinstance(dated[0], Floating)
            and dated[0].unit in {"day", "bareday"}
        ):
            return self._dated_weekday(i, weekday, dated[0], dated[1])
        k = j + 1 if self.word(j) in {"of", "in", "from"} else j
        week = self.week_offset(k)
        if week is not None:
            # "Monday last week", "Tuesday of the week before last"
            return relative.weekday_this_week(weekday, self.today, week[0]), week[1]
        return relative.weekday_on_or_before(weekday, self.today, strictly_before=False), i + 1
