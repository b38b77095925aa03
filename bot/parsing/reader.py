"""Reading tokens: words, counts ("twenty-one"), days of the month, years."""

from __future__ import annotations

import re
from datetime import date

from .lexer import Token
from .specs import Spec
from .vocab import (
    CARDINALS,
    LAST_WORDS,
    NEXT_WORDS,
    ORDINAL_WORDS,
    TENS,
    THIS_WORDS,
    UNITS,
)

Parsed = tuple[Spec, int]

QH_RE = re.compile(r"([qh])([1-9])")
WEEK_WORD_RE = re.compile(r"(?:w|wk|cw|kw)(\d{1,2})")
TO_DATE = {"wtd": "week", "mtd": "month", "qtd": "quarter", "ytd": "year"}
INCLUDING = frozenset({"including", "incl", "inclusive", "with"})
EXCLUDING = frozenset({"excluding", "excl", "exclusive", "without"})
WEEK_WORDS = frozenset({"week", "wk", "cw", "kw"})
SPAN_WORDS = frozenset({"to", "through", "thru", "till", "til", "until", "and", "up"})
PREFIXES = frozenset({"the", "all", "whole", "entire", "full", "calendar", "iso", "month"})


class TokenReader:
    """Token access and the small pieces every phrase uses: counts, days, years."""

    def __init__(
        self,
        tokens: list[Token],
        *,
        today: date,
        date_order: str,
        explicit: bool,
        max_days: int = 366,
        source: str = "",
    ) -> None:
        self.tokens = tokens
        # the user's text, for quoting phrases in messages as they were typed
        self.source = source
        self.size = len(tokens)
        self._today = today
        # whether reading a phrase looked at today (see ``today``); kept per memo entry
        self.today_read = False
        self.date_order = date_order
        self.explicit = explicit
        self.max_days = max_days
        self._memo: dict[tuple[int, bool], tuple[Parsed | None, bool]] = {}

    @property
    def today(self) -> date:
        """The day relative words count from; reading it marks the phrase being read as
        depending on today (for the note that names the timezone)."""
        self.today_read = True
        return self._today

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
        """Tokens ``start:end`` for a message: as the user typed them when the text is
        known ("mid-March"), else normalised."""
        end = min(end, self.size)
        if start >= end:
            return ""
        if self.source:
            raw = self.source[self.tokens[start].start : self.tokens[end - 1].end]
            return " ".join(raw.split())
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

    def word_year(self, i: int) -> tuple[int, int] | None:
        """A year in words: ``twenty twenty-four``, ``two thousand and five``,
        ``nineteen ninety-nine`` (1900-2099)."""
        word = self.word(i)
        if word in {"twenty", "nineteen"}:
            rest = self.number(i + 1) if self.word(i + 1) is not None else None
            if rest is not None and 10 <= rest[0] <= 99:
                return (2000 if word == "twenty" else 1900) + rest[0], rest[1]
            return None
        if word == "two" and self.word(i + 1) == "thousand":
            j = i + 2
            if self.word(j) == "and":
                j += 1
            rest = self.number(j) if self.word(j) is not None else None
            if rest is not None and 1 <= rest[0] <= 99:
                return 2000 + rest[0], rest[1]
            return 2000, i + 2
        return None

    def year(self, i: int, *, standalone: bool) -> tuple[int, int] | None:
        """A four-digit year (1900-2099 when it stands alone), or ``'24`` after a month."""
        kind = self.kind(i)
        if kind == "word":
            return self.word_year(i)
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

    def _connects(self, i: int) -> bool:
        """A span connector at ``i`` ("to", "through", "-", "and" …)."""
        return self.kind(i) in {"dash", "dots"} or self.word(i) in SPAN_WORDS

    def week_offset(self, i: int) -> tuple[int, int] | None:
        """``last week`` (-1), ``this week`` (0), ``next week`` (1), ``the week before
        last`` (-2), with an optional "the": the week's offset from the current one."""
        j = i + 1 if self.word(i) == "the" else i
        word = self.word(j)
        if word in WEEK_WORDS or word == "weeks":
            end = self.seq(j + 1, ("before", "last"))
            return None if end is None else (-2, end)
        if self.word(j + 1) not in {"week", "wk"}:
            return None
        if word in LAST_WORDS:
            return -1, j + 2
        if word in THIS_WORDS:
            return 0, j + 2
        if word in NEXT_WORDS:
            return 1, j + 2
        return None

    # --- one phrase -------------------------------------------------------------------

    def single(self, i: int, in_span: bool = False) -> Parsed | None:
        """One date phrase at ``i`` (see ``PhraseParser``)."""
        raise NotImplementedError
