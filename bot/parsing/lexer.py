"""Normalise a message and split it into tokens the grammar reads.

Normalisation keeps every character at its place (one character in, one out), so a
token's ``start``/``end`` index the user's original text: a transfer name is cut from
the original with its case and punctuation intact.
"""

from __future__ import annotations

import re

_CHAR_MAP = {
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2018": "'",
    "\u2019": "'",
}

# month names, longest first, for a month glued to its day ("dec31", "sep17")
_GLUED_MONTHS = (
    "january|february|march|april|june|july|august|september|october|november|december"
    "|sept|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
)

_TOKEN_RE = re.compile(
    r"""
    (?P<quoted>"[^"\n]+")
    |(?P<glued>(?:"""
    + _GLUED_MONTHS
    + r""")\d{1,2}(?:st|nd|rd|th)?)(?![^\W_])
    |(?P<decade>(?:\d{3}0|'?\d0)s)(?![^\W_])
    |(?P<iso>\d{4}(?P<isep>[-/.])\d{1,2}(?P=isep)\d{1,2})(?!\d)
    |(?P<isoweek>\d{4}-?w\d{1,2})(?!\w)
    |(?P<yq>\d{4}-?[qh]\d)(?!\w)
    |(?P<ym>\d{4}[-/]\d{1,2})(?!\d)(?![-/.]\d)
    |(?P<numdate>\d{1,2}(?P<nsep>[/.-])\d{1,2}(?P=nsep)\d{2,4})(?!\d)
    |(?<![-/])(?P<my>\d{1,2}(?P<msep>[/-])\d{4})(?![\d/-])
    |(?P<md>\d{1,2}/\d{1,2})(?![\d/])
    |(?P<hash>\#\ ?\d+)(?!\w)
    |(?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:\ ?[ap]\.?m\.?)?|\d{1,2}\ ?[ap]\.?m\.?)(?!\w)
    |(?P<qh>[1-4][qh])(?!\w)
    |(?P<ord>\d+(?:st|nd|rd|th))(?![^\W_])
    |(?P<num>\d+)
    |(?P<apyear>'\d{2})(?!\w)
    |(?P<word>[^\W\d_]\w*(?:'[^\W\d_]+)?)
    |(?P<dots>\.{2,}|\u2026)
    |(?P<dash>-)
    |(?P<comma>,)
    |(?P<punct>\S)
    """,
    re.VERBOSE,
)
_GLUED_RE = re.compile(r"([a-z]+)(\d+)(st|nd|rd|th)?")

# punctuation that carries no meaning for the grammar ("Sep.", "id:", "(daily)")
_DROPPED_PUNCT = frozenset(".:;!?()[]{}*_~`=")


class Token:
    """One token: ``kind`` is the regex group name, ``text`` the normalised text."""

    __slots__ = ("end", "kind", "start", "text", "tight")

    def __init__(self, kind: str, text: str, start: int, end: int, tight: bool) -> None:
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        # no whitespace on either side: "twenty-one", "month-to-date"
        self.tight = tight

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.text!r})"


def normalise(text: str) -> str:
    """Lower-case and unify dashes, quotes and spaces without changing the length."""
    out = []
    for ch in text:
        mapped = _CHAR_MAP.get(ch)
        if mapped is None:
            if ch.isspace():
                mapped = " "
            else:
                low = ch.lower()
                mapped = low if len(low) == 1 else ch
        out.append(mapped)
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Split the user's text into tokens (normalised) that index the original."""
    norm = normalise(text)
    tokens: list[Token] = []
    size = len(norm)
    for match in _TOKEN_RE.finditer(norm):
        kind = match.lastgroup or "punct"
        value = match.group(kind)
        start, end = match.start(kind), match.end(kind)
        if kind == "punct" and value in _DROPPED_PUNCT:
            continue
        if kind == "glued":
            # "dec31": the month and its day, as if typed apart (both tight)
            parts = _GLUED_RE.fullmatch(value)
            assert parts is not None
            cut = start + len(parts.group(1))
            tokens.append(Token("word", parts.group(1), start, cut, True))
            day_kind = "ord" if parts.group(3) else "num"
            tokens.append(Token(day_kind, value[len(parts.group(1)) :], cut, end, True))
            continue
        if kind == "hash":
            value = "#" + value[1:].strip()
        elif kind == "word" and value.endswith("'s"):
            value = value[:-2]  # "last month's data": the grammar reads "month"
        tight = start > 0 and end < size and norm[start - 1] != " " and norm[end] != " "
        tokens.append(Token(kind, value, start, end, tight))
    return tokens
