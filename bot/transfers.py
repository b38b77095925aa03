"""Resolve a transfer named in a command against the workspace's transfer list.

Rule (docs: RANGE_SEMANTICS "Transfer"): display names compare case-insensitively,
ignoring punctuation and extra spaces; an exact match wins, otherwise a unique partial
match (the name inside the display name, or every word of it present).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from bot.errors import TransferLookupError
from bot.slack.blocks import escape_mrkdwn

MAX_SUGGESTIONS = 8


class NamedTransfer(Protocol):
    @property
    def transfer_id(self) -> int: ...

    @property
    def display_name(self) -> str: ...


T = TypeVar("T", bound=NamedTransfer)

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize(name: str) -> str:
    """Return the name casefolded with punctuation and runs of spaces collapsed."""
    return _NON_WORD.sub(" ", name.casefold()).strip()


def match_transfers(name: str, transfers: Sequence[T]) -> list[T]:
    """Return the transfers the name may mean: the exact matches, else the partial ones."""
    wanted = normalize(name)
    if not wanted:
        return []
    exact = [t for t in transfers if normalize(t.display_name) == wanted]
    if exact:
        return sorted(exact, key=lambda t: t.transfer_id)
    words = wanted.split()
    partial = []
    for transfer in transfers:
        have = normalize(transfer.display_name)
        if wanted in have or all(word in have.split() for word in words):
            partial.append(transfer)
    return sorted(partial, key=lambda t: (normalize(t.display_name), t.transfer_id))


def suggestions(
    name: str, transfers: Sequence[NamedTransfer], limit: int = MAX_SUGGESTIONS
) -> list[str]:
    """Return up to ``limit`` display names, the closest to ``name`` first."""
    names = sorted({t.display_name for t in transfers}, key=str.casefold)
    by_key = {normalize(n): n for n in names}
    close = difflib.get_close_matches(normalize(name), list(by_key), n=limit, cutoff=0.3)
    ordered = [by_key[key] for key in close]
    ordered += [n for n in names if n not in ordered]
    return ordered[:limit]


def no_match_error(name: str, transfers: Sequence[NamedTransfer]) -> TransferLookupError:
    """Build the error for a name that matched nothing, listing a few names to pick from."""
    raw, name = name, escape_mrkdwn(name)
    if not transfers:
        return TransferLookupError(
            f'I couldn\'t find a transfer named "{name}": this Supermetrics team has no '
            "transfers I can see. Check the name, or give the transfer id "
            '(e.g. "backfill transfer 456789 for last month").'
        )
    listed = ", ".join(f'"{escape_mrkdwn(n)}"' for n in suggestions(raw, transfers))
    return TransferLookupError(
        f"I couldn't find a transfer named \"{name}\". Some of this team's transfers: {listed}. "
        "Use one of these names, or the transfer id."
    )
