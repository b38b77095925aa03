"""Resolve a transfer named in a command against the workspace's transfer list.

Rule (docs: RANGE_SEMANTICS "Transfer"): display names compare case-insensitively,
ignoring punctuation and extra spaces; an exact match wins, otherwise a unique partial
match (the name inside the display name, or every word of it present).

``TransferCache`` keeps each Supermetrics team's list for a few minutes, so a command
naming a transfer costs no list call (and no share of the team's rate limit) while the
list is fresh.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from bot.clock import Clock
from bot.errors import TransferLookupError
from bot.messages.blocks import escape_mrkdwn
from bot.supermetrics.models import Transfer

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


class TeamTransfers(Protocol):
    """Where a team's transfer list comes from (``DtsTeamClient``)."""

    @property
    def team_id(self) -> int: ...

    def list_transfers(self) -> list[Transfer]: ...


@dataclass(frozen=True)
class _Entry:
    transfers: tuple[Transfer, ...]
    fetched_at: datetime


class TransferCache:
    """Each Supermetrics team's transfer list, reused for ``ttl_seconds`` (thread-safe).

    One per process, keyed by Supermetrics team id. A list that lacks what a command looks
    for (a transfer made since it was fetched) is fetched again once before the command
    says "no such transfer"; storing a new token drops the team's list (``invalidate``).
    ``ttl_seconds`` 0 turns caching off.
    """

    def __init__(self, *, clock: Clock, ttl_seconds: float) -> None:
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must not be negative")
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)
        self._lock = threading.Lock()
        self._entries: dict[int, _Entry] = {}
        # bumped by invalidate: a fetch begun before it must not store its (old-token) list
        self._generations: dict[int, int] = {}

    def transfers(
        self,
        team: TeamTransfers,
        *,
        has: Callable[[Sequence[Transfer]], bool] | None = None,
    ) -> tuple[Transfer, ...]:
        """The team's transfers: the cached list while fresh, else a fetched one.

        With ``has``, a cached list it rejects is fetched again (once); the fetched list is
        returned whatever ``has`` says of it. API errors propagate and cache nothing.
        """
        now = self._clock.now()
        with self._lock:
            entry = self._entries.get(team.team_id)
            fresh = entry is not None and self._is_fresh(entry, now)
        if entry is not None and fresh and (has is None or has(entry.transfers)):
            return entry.transfers
        return self._fetch(team)

    def invalidate(self, team_id: int) -> None:
        """Forget the team's list, and the list of any fetch still under way for it."""
        with self._lock:
            self._entries.pop(team_id, None)
            self._generations[team_id] = self._generations.get(team_id, 0) + 1

    def _fetch(self, team: TeamTransfers) -> tuple[Transfer, ...]:
        team_id = team.team_id
        with self._lock:
            generation = self._generations.get(team_id, 0)
        # outside the lock: other teams' commands don't wait for this team's API call
        transfers = tuple(team.list_transfers())
        now = self._clock.now()
        with self._lock:
            if self._generations.get(team_id, 0) == generation and self._ttl:
                self._entries[team_id] = _Entry(transfers, now)
            for stale in [k for k, e in self._entries.items() if not self._is_fresh(e, now)]:
                del self._entries[stale]
        return transfers

    def _is_fresh(self, entry: _Entry, now: datetime) -> bool:
        # a clock that went back also counts as expired: the age is then unknown
        return timedelta(0) <= now - entry.fetched_at < self._ttl
