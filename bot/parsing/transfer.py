"""Which transfer a command is about: an id (``transfer 456789``, ``#456789``, a bare
number outside the dates) or, failing that, a name (``backfill Facebook Ads for …``)."""

from __future__ import annotations

from bot.errors import AmbiguousTransferError, MissingTransferError

from . import messages
from .lexer import Token
from .vocab import FILLER, ID_WORDS, TRANSFER_WORDS

MAX_TRANSFER_ID = 2**63 - 1
_MAX_NAME_CHARS = 200
# punctuation, and times of day ("at 10am"): a backfill covers whole days
_NEUTRAL_KINDS = frozenset({"comma", "dash", "dots", "punct", "time"})


def mark_transfer_refs(tokens: list[Token]) -> list[str]:
    """Find explicit references (``transfer 7``, ``transfer id 7``, ``transfer #7``,
    ``#7``, ``id 7``), turn their tokens into ``xfer`` barriers the date grammar cannot
    read, and return the ids' digits in order."""
    found: list[str] = []
    size = len(tokens)
    i = 0
    while i < size:
        tok = tokens[i]
        if tok.kind == "hash":
            found.append(tok.text[1:])
            tok.kind = "xfer"
        elif tok.kind == "word" and (tok.text in TRANSFER_WORDS or tok.text == "id"):
            j = i + 1
            while j < size and (
                (tokens[j].kind == "word" and tokens[j].text in ID_WORDS)
                or (tokens[j].kind == "punct" and tokens[j].text == "#")
            ):
                j += 1
            if j < size and tokens[j].kind in {"num", "hash"}:
                found.append(tokens[j].text.lstrip("#"))
                for k in range(i, j + 1):
                    tokens[k].kind = "xfer"
                i = j
        i += 1
    return found


def is_ignorable(tok: Token) -> bool:
    """Tokens that may surround a range without being part of it or of a name."""
    if tok.kind in _NEUTRAL_KINDS or tok.kind in {"xfer", "num"}:
        return True
    return tok.kind == "word" and tok.text in FILLER


def _is_filler(tok: Token) -> bool:
    return tok.kind in _NEUTRAL_KINDS or (tok.kind == "word" and tok.text in FILLER)


def _segments(tokens: list[Token], used: tuple[int, int]) -> list[list[Token]]:
    """Runs of tokens outside the range phrase and the explicit transfer references."""
    segments: list[list[Token]] = []
    current: list[Token] = []
    for idx, tok in enumerate(tokens):
        if used[0] <= idx < used[1] or tok.kind == "xfer":
            if current:
                segments.append(current)
                current = []
            continue
        current.append(tok)
    if current:
        segments.append(current)
    return segments


def _has_words(tokens: list[Token]) -> bool:
    return any(t.kind == "word" and t.text not in FILLER for t in tokens)


def _trim(segment: list[Token], bare_ids: list[str]) -> list[Token]:
    """Drop filler from both edges; numbers left at an edge are transfer ids, except a
    year-like number next to name words ("Facebook Ads 2024")."""
    start, end = 0, len(segment)
    while start < end:
        first, last = segment[start], segment[end - 1]
        if _is_filler(first):
            start += 1
        elif _is_filler(last):
            end -= 1
        elif first.kind == "num" and not (
            _year_like(first) and _has_words(segment[start + 1 : end])
        ):
            bare_ids.append(first.text)
            start += 1
        elif last.kind == "num" and not (_year_like(last) and _has_words(segment[start : end - 1])):
            bare_ids.append(last.text)
            end -= 1
        else:
            break
    return segment[start:end]


def _year_like(tok: Token) -> bool:
    return len(tok.text) == 4 and 1900 <= int(tok.text) <= 2099


def _balanced(text: str, start: int, end: int) -> str:
    """The name, with the closing bracket the tokenizer dropped: "Ads (daily)"."""
    name = text[start:end]
    for opening, closing in ("()", "[]"):
        if name.count(opening) > name.count(closing) and text[end : end + 1] == closing:
            name += closing
    return name


def identify_transfer(
    text: str, tokens: list[Token], explicit_ids: list[str], used: tuple[int, int]
) -> tuple[int | None, str | None]:
    """(transfer_id, None) or (None, transfer_name); raises the transfer errors."""
    bare_ids: list[str] = []
    quoted: list[str] = []
    names: list[str] = []
    for segment in _segments(tokens, used):
        parts: list[list[Token]] = [[]]
        for tok in segment:
            if tok.kind == "quoted":
                quoted.append(text[tok.start + 1 : tok.end - 1])
                parts.append([])
            else:
                parts[-1].append(tok)
        for part in parts:
            kept = _trim(part, bare_ids)
            if kept:
                names.append(_balanced(text, kept[0].start, kept[-1].end))
    ids: list[int] = []
    for raw in [*explicit_ids, *bare_ids]:
        value = int(raw)
        if not 1 <= value <= MAX_TRANSFER_ID:
            raise MissingTransferError(messages.bad_transfer_id(raw))
        if value not in ids:
            ids.append(value)
    if len(ids) > 1:
        raise AmbiguousTransferError(messages.ambiguous_transfer(text, ids))
    if ids:
        return ids[0], None
    for name in [*quoted, *names]:
        cleaned = " ".join(name.split()).strip(" '\"")
        if cleaned:
            return None, cleaned[:_MAX_NAME_CHARS]
    raise MissingTransferError(messages.missing_transfer(text))
