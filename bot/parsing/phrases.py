"""Recursive-descent parser for one date phrase ("March 3rd, 2024", "Q3", "last 7 days").

Every method takes a token index and returns ``(spec, next_index)`` or ``None``; the
alternatives are tried most specific first (PEG style), so "March 3 2024" is a day and
"March 2024" a month. Nothing here raises: a phrase that is clearly a date but an
impossible one becomes an ``Invalid`` spec, reported only if it is the chosen range.
"""

from __future__ import annotations

from . import numeric
from .reader import PREFIXES, QH_RE, WEEK_WORD_RE, WEEK_WORDS, Parsed
from .relative_phrases import RelativePhrases
from .shapes import ShapePhrases
from .specs import Floating
from .vocab import (
    CARDINALS,
    LAST_WORDS,
    MONTHS,
    NEXT_WORDS,
    ORDINAL_WORDS,
    TENS,
    THIS_WORDS,
    WEEKDAYS,
)


class PhraseParser(ShapePhrases, RelativePhrases):
    """One date phrase: the dispatch from the first token to the phrase kinds."""

    def single(self, i: int, in_span: bool = False) -> Parsed | None:
        """One date phrase at ``i``. ``in_span`` also allows a bare day number ("3" in
        "3-10 March"), which takes its month from the other end of the span."""
        key = (i, in_span)
        found = self._memo.get(key)
        if found is None:
            outer, self.today_read = self.today_read, False
            found = self._single(i, in_span), self.today_read
            self._memo[key] = found
            self.today_read = outer
        # a phrase built on this one depends on today if this one does
        self.today_read = self.today_read or found[1]
        return found[0]

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
        if kind == "decade":
            return self._decade(i)
        if kind == "num":
            return (
                self._ago(i)
                or self._counted(i)
                or self._offset_from(i)
                or self._year_led(i)
                or self._day_first(i, in_span)
            )
        if kind == "ord":
            return (
                self._nth_weekday(i)
                or self._portion(i)
                or self._ordinal_period(i)
                or self._day_first(i, in_span)
            )
        if kind == "qh":
            number, letter = int(raw[0]), raw[1]
            return self._quarter_or_half(letter, number, i + 1)
        if kind == "word":
            return self._word_led(i, in_span)
        return None

    def _word_led(self, i: int, in_span: bool) -> Parsed | None:
        word = self.tokens[i].text
        if word in MONTHS:
            return self._month_led(i)
        if word in LAST_WORDS or word in THIS_WORDS or word in NEXT_WORDS:
            return (
                self._edge_of(i)
                or self._nth_weekday(i)
                or self._portion(i)
                or (self._last_named(i) if word in LAST_WORDS else None)
                or self._relative(i)
            )
        if word in WEEKDAYS:
            return self._weekday_led(i)
        simple = self._simple_relative(i)
        if simple is not None:
            return simple
        found = (
            self._named(i)
            or self._week_commencing(i)
            or self._rest_of(i)
            or self._weekend(i)
            or self._edge_of(i)
            or self._week_of(i)
            or self._to_date(i)
            or self._before_last(i)
            or self._counted(i)
            or self._offset_from(i)
            or self._vague_part(i)
            or self._fiscal(i)
        )
        if found is not None:
            return found
        match = QH_RE.fullmatch(word)
        if match is not None:
            return self._quarter_or_half(match.group(1), int(match.group(2)), i + 1)
        match = WEEK_WORD_RE.fullmatch(word)
        if match is not None:
            return self._week_number(int(match.group(1)), i + 1)
        if word in WEEK_WORDS or word == "quarter" or word == "q":
            return self._numbered_period(i)
        if word == "year":
            found_year = self.year(i + 1, standalone=False)
            return None if found_year is None else (Floating("year", found_year[0]), found_year[1])
        if word in ORDINAL_WORDS or word in {"twenty", "thirty", "final"}:
            return (
                self._nth_weekday(i)
                or self._portion(i)
                or self._ordinal_period(i)
                or self._day_first(i, in_span)
                or self._word_year_led(i)
            )
        if word in CARDINALS or word in TENS or word in {"a", "an", "hundred"}:
            return (
                self._ago(i) or self._counted(i) or self._offset_from(i) or self._word_year_led(i)
            )
        if word in PREFIXES:
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
