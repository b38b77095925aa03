"""Date words next to the range that the grammar did not read.

"first week of March", "March except the weekends", "January and February": the range
phrase found is "March", but words beside it change (or add to) it in ways the grammar
does not know. Resolving "March" alone would silently give a different range than the
words say, so such a command is refused instead.

Only the words directly beside the range count (skipping filler such as "the", "of",
"for", "please" and punctuation): a transfer name elsewhere may hold date-like words
("the March Madness transfer for last week"), and a word that names the transfer
("transfer") ends the search.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.errors import MissingRangeError

from . import messages
from .lexer import Token
from .named_days import PHRASES
from .vocab import (
    CARDINALS,
    FILLER,
    LAST_WORDS,
    MONTHS,
    NEXT_WORDS,
    ORDINAL_WORDS,
    RANGE_PREPOSITIONS,
    SPAN_CONNECTORS,
    TENS,
    THIS_WORDS,
    TRANSFER_WORDS,
    UNITS,
    WEEKDAYS,
)

# words between the range and a date word that do not separate them
_GLUE = (FILLER | RANGE_PREPOSITIONS | {"or", "&", "plus", "but"}) - TRANSFER_WORDS - {"now"}
_GLUE_KINDS = frozenset({"comma", "dash", "dots", "punct"})
_LIST_WORDS = frozenset({"and", "or", "&", "+"})
# before a date they bound it ("by March 3", "as of March 3"); after it, they are a
# deadline or chatter ("last month by EOD")
_LEFT_MODIFIERS = frozenset({"by", "as"})

# words that change or add to a date phrase
_MODIFIERS = frozenset(
    {
        "first",
        "final",
        "early",
        "earlier",
        "mid",
        "middle",
        "late",
        "later",
        "end",
        "ending",
        "start",
        "beginning",
        "begin",
        "except",
        "excluding",
        "exclude",
        "without",
        "not",
        "minus",
        "around",
        "about",
        "approximately",
        "circa",
        "approx",
        "roughly",
        "before",
        "after",
        "weekend",
        "weekends",
        "weekday",
        "weekdays",
        "business",
        "working",
        "fiscal",
        "fy",
        "hour",
        "hours",
        "half",
        "halves",
        "every",
        "each",
        "today",
        "yesterday",
        "tomorrow",
        "tonight",
        "ago",
        "since",
        "from",
        "between",
        "until",
        "till",
        "til",
        "through",
        "thru",
        "onwards",
        "up",
        "beyond",
        "than",
        "forward",
        "forwards",
        "decade",
        "century",
        "cy",
        "season",
        "seasons",
        "summer",
        "winter",
        "spring",
        "autumn",
        "fall",
        "holiday",
        "holidays",
        "christmas",
        "xmas",
        "easter",
        "thanksgiving",
        "halloween",
        "black",
        "cyber",
        "eve",
        "commencing",
        "starting",
        "ended",
        "sometime",
        "some",
        "few",
        "several",
        "recent",
        "excl",
        "exc",
        "incl",
        "including",
        "penultimate",
        # "this time last year", "the same period last year": relative to what?
        "same",
        "time",
        "equivalent",
        "corresponding",
        "comparable",
        "latter",
        "former",
        "odd",
        "even",
        "alternate",
        "q",
        "mtd",
        "qtd",
        "ytd",
        "wtd",
    }
)
_DATE_WORDS = (
    _MODIFIERS
    | MONTHS.keys()
    | WEEKDAYS.keys()
    | UNITS.keys()
    | ORDINAL_WORDS.keys()
    | LAST_WORDS
    | THIS_WORDS
    | NEXT_WORDS
    | (SPAN_CONNECTORS - {"to", "-"})
) - {"d"}
_COUNT_WORDS = CARDINALS.keys() | TENS.keys() | {"hundred"}
# "Easter 2026 weekend": a year beside a named day is a date word
_NAMED_DAY_WORDS = frozenset(w for words in PHRASES for w in words) | {"weekend", "weekends"}
_DATE_WORD_RE = re.compile(r"(?:[qh][1-4]|w\d{1,2}|fy\d{2,4})")
_DATE_KINDS = frozenset(
    {"ord", "qh", "iso", "ym", "my", "md", "numdate", "isoweek", "yq", "apyear"}
)
_MAX_EXTRA_TOKENS = 4


def _is_glue(tok: Token) -> bool:
    return tok.kind in _GLUE_KINDS or (tok.kind == "word" and tok.text in _GLUE)


def _names_a_unit(tok: Token) -> bool:
    """A word that makes a number beside it part of a date (not a full date: an id may
    follow one, "backfill 2024-01-05 456789")."""
    if tok.kind == "qh":
        return True
    return tok.kind == "word" and (
        tok.text in UNITS
        or tok.text in MONTHS
        or tok.text in WEEKDAYS
        or tok.text in _NAMED_DAY_WORDS
        or _DATE_WORD_RE.fullmatch(tok.text) is not None
    )


def _is_date_word(tokens: list[Token], idx: int, *, left: bool = False) -> bool:
    tok = tokens[idx]
    if tok.kind in _DATE_KINDS:
        return True
    if tok.kind == "word" and (tok.text in _DATE_WORDS or _DATE_WORD_RE.fullmatch(tok.text)):
        return True
    if left and tok.kind == "word" and tok.text in _LEFT_MODIFIERS:
        return True
    if tok.kind == "num" and len(tok.text) > 4:
        return False  # too long for a day, a year or a count of days: a transfer id
    if tok.kind == "num" or (tok.kind == "word" and tok.text in _COUNT_WORDS):
        # a count of days ("3 days", "two weeks"), a day or a year of a month ("5 March",
        # "Q3 2024"), a number said in words beside another ("twelve twenty twenty-four");
        # a number alone may be the transfer id
        beside = [tokens[k] for k in (idx - 1, idx + 1) if 0 <= k < len(tokens)]
        spoken = tok.kind == "word" and any(
            b.kind == "word" and (b.text in _COUNT_WORDS or b.text in ORDINAL_WORDS) for b in beside
        )
        return spoken or any(_names_a_unit(b) for b in beside)
    return False


def _neighbour(tokens: list[Token], edge: int, step: int) -> tuple[int | None, bool]:
    """The first token from ``edge`` outwards (``step`` ±1) that is not glue, and whether
    the glue crossed lists things ("3, 4 and 5", "3 & 4")."""
    idx = edge
    listing = False
    while 0 <= idx < len(tokens):
        tok = tokens[idx]
        if not _is_glue(tok):
            return idx, listing
        listing = listing or tok.kind == "comma" or tok.text in _LIST_WORDS
        idx += step
    return None, listing


def neighbour(tokens: list[Token], edge: int, step: int) -> int | None:
    """The first token from ``edge`` outwards that is not glue ("the", "for", ",")."""
    return _neighbour(tokens, edge, step)[0]


def check_leftovers(
    text: str, tokens: list[Token], start: int, end: int, range_end_at: Callable[[int], int | None]
) -> None:
    """Refuse a range phrase (``tokens[start:end]``) with unread date words beside it.
    ``range_end_at(i)`` is where a range phrase of its own that starts at token ``i``
    ends (None if there is none)."""
    for edge, step in ((start - 1, -1), (end, 1)):
        found, listing = _neighbour(tokens, edge, step)
        if found is None:
            continue
        tok = tokens[found]
        # "March 3, 4 and 5": a day number listed beside a date
        listed_day = listing and tok.kind == "num" and len(tok.text) <= 2
        if not (listed_day or _is_date_word(tokens, found, left=step < 0)):
            continue
        # quote the unread words: the date words from there outwards, a few at most
        far = found
        for _ in range(_MAX_EXTRA_TOKENS - 1):
            nxt = far + step
            if not 0 <= nxt < len(tokens) or not (
                _is_date_word(tokens, nxt) or tokens[nxt].kind in {"num"}
            ):
                break
            far = nxt
        lo, hi = (far, found) if step < 0 else (found, far)
        extra = text[tokens[lo].start : tokens[hi].end]
        first = start
        while first < end - 1 and tokens[first].kind == "word" and tokens[first].text in _GLUE:
            first += 1
        phrase = text[tokens[first].start : tokens[end - 1].end]
        if range_end_at(lo) == hi + 1:
            one, other = (extra, phrase) if step < 0 else (phrase, extra)
            raise MissingRangeError(messages.two_ranges(text, one, other))
        raise MissingRangeError(messages.leftover(text, extra, phrase))
