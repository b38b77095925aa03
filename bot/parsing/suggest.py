"""Near-misses of the words the grammar knows ("Janurary", "lst", "yesterdy"), for
"Did you mean …?" with the corrected command. Never a silent correction: the caller
refuses the command and offers the correction only if it parses. Also the refusal of a
misspelt month beside a number ("Febtember 2024"), whether or not a correction is clear.

Lookup is by deletions (as in SymSpell): every known word's variants with up to two
letters deleted are indexed once, so a word is checked with a few dictionary lookups
rather than an edit distance against every known word.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from itertools import combinations

from bot.errors import InvalidDateError

from . import messages
from .grammar import Candidate
from .lexer import Token
from .named_days import PHRASES
from .specs import Floating, Single
from .vocab import (
    CARDINALS,
    FILLER,
    FULL_MONTH_WORDS,
    ID_WORDS,
    MONTH_NAMES,
    MONTHS,
    ORDINAL_WORDS,
    TENS,
    TRANSFER_WORDS,
    UNITS,
    WEEKDAYS,
)

# the words a correction may be (full words: an abbreviation is not a suggestion)
_TARGETS = frozenset(
    {
        *(w for w in MONTHS if len(w) > 4 or w in {"may", "june", "july"}),
        *(w for w in WEEKDAYS if len(w) > 5),
        *(w for w in UNITS if len(w) > 2),
        *(w for w in ORDINAL_WORDS if len(w) > 4),
        *(w for w in CARDINALS if len(w) > 3),
        *(w for w in TENS if w != "fourty"),
        *(w for words in PHRASES for w in words if len(w) > 4),
        "yesterday",
        "today",
        "last",
        "past",
        "previous",
        "this",
        "current",
        "ago",
        "since",
        "between",
        "through",
        "until",
        "from",
        "weekend",
        "including",
        "excluding",
        "before",
        "after",
        "beginning",
        "ending",
        "starting",
        "commencing",
        "quarter",
        "half",
        "onwards",
    }
)
# words that are never typos: known words, filler, and short words that are often names
KNOWN = frozenset(
    {
        *MONTHS,
        *WEEKDAYS,
        *UNITS,
        *ORDINAL_WORDS,
        *CARDINALS,
        *TENS,
        *FILLER,
        *TRANSFER_WORDS,
        *ID_WORDS,
        *(w for words in PHRASES for w in words),
        *_TARGETS,
        "yday",
        "mtd",
        "qtd",
        "ytd",
        "wtd",
        "next",
        "prev",
        "prior",
        "and",
        "or",
        "but",
        "by",
        "as",
        "asap",
        "eod",
        "only",
        "data",
        "ads",
        "day",
        "days",
    }
)
_MIN_LENGTH = 3
_MONTH_CHECK_SKIP = FILLER | MONTHS.keys() | WEEKDAYS.keys() | UNITS.keys()


def _max_distance(word: str) -> int:
    return 1 if len(word) <= 5 else 2


def _deletions(word: str, depth: int) -> set[str]:
    out = {word}
    for n in range(1, min(depth, len(word) - 1) + 1):
        for drop in combinations(range(len(word)), n):
            out.add("".join(ch for k, ch in enumerate(word) if k not in drop))
    return out


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for target in _TARGETS:
        for variant in _deletions(target, 2):
            index.setdefault(variant, set()).add(target)
    return {key: frozenset(values) for key, values in index.items()}


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and
    swaps of two adjacent letters ("lsat" → "last") each count 1."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def correction(word: str) -> str | None:
    """The known word ``word`` is most likely a misspelling of, or None: within the
    allowed distance, the nearest, and only if no other is as near."""
    if len(word) < _MIN_LENGTH or word in KNOWN or not word.isalpha():
        return None
    limit = _max_distance(word)
    index = _index()
    found: set[str] = set()
    for variant in _deletions(word, limit):
        found |= index.get(variant, frozenset())
    scored = sorted((distance(word, target), target) for target in found)
    # two edits only in longer words that start alike ("Septober", not "blursday")
    scored = [
        (d, t) for d, t in scored if d <= limit and (d < 2 or (len(t) > 5 and t[0] == word[0]))
    ]
    if not scored:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None  # "mon" → "month" or "monday"? not a guess we make
    return scored[0][1]


def shaped_like(typed: str, word: str) -> str:
    """``word`` in the case the user typed: "Janurary" → "January"."""
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word.capitalize()
    return word


def corrected_command(
    text: str, tokens: list[Token], only: set[int | None] | None
) -> tuple[str, list[tuple[str, str]]] | None:
    """``text`` with its near-miss words corrected (only those at the token indexes
    ``only``, when given), and the (typed, meant) pairs; None if there are none."""
    typos: list[tuple[Token, str]] = []
    for idx, tok in enumerate(tokens):
        if tok.kind != "word" or (only is not None and idx not in only):
            continue
        fix = correction(tok.text)
        if fix is not None:
            typos.append((tok, shaped_like(text[tok.start : tok.end], fix)))
    if not typos:
        return None
    corrected = text
    for tok, fix in reversed(typos):
        corrected = corrected[: tok.start] + fix + corrected[tok.end :]
    return corrected, [(text[tok.start : tok.end], fix) for tok, fix in typos]


def check_month_typos(text: str, tokens: list[Token], chosen: Candidate | None) -> None:
    """ "Febuary 3 2024": a misspelt month next to a number is an error, not a name."""
    for idx, tok in enumerate(tokens):
        if chosen is not None and chosen.start <= idx < chosen.end:
            continue
        if tok.kind != "word" or len(tok.text) < 4 or tok.text in _MONTH_CHECK_SKIP:
            continue
        neighbours = [tokens[k] for k in (idx - 1, idx + 1) if 0 <= k < len(tokens)]
        if not any(n.kind in {"num", "ord"} for n in neighbours):
            continue
        # right before a bare year that was read as the range, a word is where a month
        # goes ("Decembruary 2024"): a looser likeness suffices
        cutoff = 0.6 if chosen is not None and _month_slot(chosen, idx) else 0.75
        match = difflib.get_close_matches(tok.text, FULL_MONTH_WORDS, n=2, cutoff=cutoff)
        if match:
            # "Febtember 2024" is refused as a month, never dropped for the bare year; a
            # month is offered only when one is clearly nearest
            ratios = [difflib.SequenceMatcher(None, tok.text, m).ratio() for m in match]
            clear = ratios[0] >= 0.8 and (len(ratios) == 1 or ratios[0] - ratios[1] > 0.05)
            best = MONTH_NAMES[FULL_MONTH_WORDS.index(match[0]) + 1] if clear else None
            raise InvalidDateError(messages.unknown_month(text[tok.start : tok.end], best))


def _month_slot(chosen: Candidate, idx: int) -> bool:
    spec = chosen.spec
    if not isinstance(spec, Single) or idx != chosen.start - 1:
        return False
    return isinstance(spec.spec, Floating) and spec.spec.unit == "year"
