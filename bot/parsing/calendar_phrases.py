"""Calendar phrases: "March 3rd, 2024", "3 March", "Q3 2024", "week 12 of 2024", "2024"."""

from __future__ import annotations

from bot.errors import CommandError, InvalidDateError

from . import numeric, periods
from .periods import safe_date
from .reader import QH_RE, WEEK_WORDS, Parsed, TokenReader
from .specs import Fixed, Floating, Invalid, Spec, resolve_spec
from .vocab import (
    MONTH_NAMES,
    MONTHS,
    UNITS,
)


class CalendarPhrases(TokenReader):
    def _named(self, i: int, year: int | None = None, before: bool = False) -> Parsed | None:
        raise NotImplementedError  # ShapePhrases

    def _month_led(self, i: int) -> Parsed | None:
        """``March 3``, ``March the 3rd, 2024``, ``Sept 2025``, ``March of last year``."""
        month = MONTHS[self.tokens[i].text]
        k = i + 1
        day_at = k + 1 if self.word(k) == "the" else k
        if self._tight_separator(k) and self.kind(k + 1) in {"num", "ord"}:
            day_at = k + 1  # "jan/3", "Aug-05-2025"
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
            return self._impossible_day_first(i)
        value, j, ordinal = day
        k = j + 1 if self.word(j) == "of" else j
        if self._tight_separator(j) and self.word(j + 1) in MONTHS:
            k = j + 1  # "3/feb/2025", "05-aug-2025"
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

    def _tight_separator(self, j: int) -> bool:
        """A "/" or "-" with no space around it ("jan/3", "3-feb-2025")."""
        kind = self.kind(j)
        slash = kind == "punct" and self.tokens[j].text == "/"
        return (slash or kind == "dash") and self.tokens[j].tight

    def _impossible_day_first(self, i: int) -> Parsed | None:
        """``the 32nd of March``, ``45 March``: clearly a day of a month, and not one."""
        if self.kind(i) not in {"ord", "num"} or len(self.tokens[i].text.rstrip("stndrh")) > 2:
            return None
        k = i + 2 if self.word(i + 1) == "of" else i + 1
        month = MONTHS.get(self.word(k) or "")
        if month is None:
            return None
        longest = 29 if month == 2 else periods.days_in_month(2001, month)
        return Invalid(
            InvalidDateError,
            f'"{self.text(i, k + 1)}" is not a real date: {MONTH_NAMES[month]} has at most '
            f'{longest} days. Try e.g. "the 1st of {MONTH_NAMES[month]}".',
        ), k + 1

    def _day_of_period(self, day: int, k: int) -> Parsed | None:
        """``the 1st of last month``, ``the 15th of this month``, ``the 1st of the month``."""
        if self.word(k) == "the" and self.word(k + 1) in {"month", "mo", "mth"}:
            today = self.today
            found = safe_date(today.year, today.month, day)
            if found is None:
                what = f"{MONTH_NAMES[today.month]} {today.year}"
                return Invalid(
                    InvalidDateError, f'{what} has no day {day}. Try e.g. "the 1st of the month".'
                ), k + 2
            return Fixed(found, found), k + 2
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
        match = QH_RE.fullmatch(word)
        if match is not None:
            return self._quarter_or_half(match.group(1), int(match.group(2)), j + 1, year)
        if word in MONTHS:
            day = self.day_number(j + 1)
            if day is None:
                return Floating("month", year, MONTHS[word]), j + 1
            # "2025 Jan 3": year, month, day
            return Floating("day", year, MONTHS[word], day[0]), day[1]
        named = self._named(j, year=year)
        if named is not None:
            return named
        if word in WEEK_WORDS:
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
        """``third quarter of 2024``, ``4th quarter``, ``second half of 2025``,
        ``final quarter of 2025``."""
        if self.word(i) == "final":
            unit = self.word(i + 1)
            value = 4 if unit in {"quarter", "qtr"} else 2
            j = i + 1
        else:
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
