"""Plans: one command that asks for several transfers, or for a range longer than one
backfill may be (docs/RANGE_SEMANTICS.md, "Plans").

``parse_plan`` splits the transfer part of a command into targets ("transfers 456789,
456790 and 456791", "all Facebook Ads transfers", "456789 and LinkedIn Ads"), reads the
range with ``parse_command`` (the one range grammar), and cuts a range longer than the
workspace's maximum into consecutive chunks, newest first. ``resolve_targets`` turns the
targets into transfers against a team's list (names the list does not know are refused
together, in one message).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import CommandError, RangeTooLongError

from .api import parse_command
from .messages import quote

DEFAULT_MAX_PLAN_DAYS = 1830
# read the range with no cap, then refuse over MAX_PLAN_DAYS with a plan's own message
_UNCAPPED = 100 * 366
# the verb is optional: Slack sends "/backfill transfers 1 and 2 …" as "transfers 1 and 2 …"
_VERB = r"^\s*(?:/?\s*(?:backfill|re-?pull|re-?run|reload)\b)?"
# the first of these words after the verb starts the range
_RANGE_START = r"\b(?:for|from|between|since|over|during)\b"
_SPLIT = re.compile(rf"{_VERB}\s*(?P<targets>.+?)\s+(?P<range>{_RANGE_START}.*)$", re.I | re.S)
_ALL = re.compile(
    r"^all\s+(?:(?:the|my|of\s+the)\s+)?"
    r"(?:transfers\s+(?:named|called|matching|like)\s+(?P<after>.+)|(?P<before>.+?)\s+transfers)$",
    re.I | re.S,
)
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|'([^']+)'")
# not "&": it is common inside names ("Ads & More")
_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.I)
_LEADING = re.compile(r"^(?:the\s+)?(?:transfers?|ids?)\s+(?:ids?\s+)?", re.I)
_ID = re.compile(r"^(?:transfer\s+|id\s+)?#?\s*(\d+)$", re.I)
_YEARS = range(1900, 2100)


class PlanTargetError(CommandError):
    """A transfer in a list that the team's transfer list does not know, or a name that
    matches several transfers where one was meant."""


@dataclass(frozen=True)
class Target:
    """One transfer a command names: an id, a name, or every transfer a name matches."""

    transfer_id: int | None = None
    name: str | None = None
    all_matching: bool = False

    def label(self) -> str:
        if self.transfer_id is not None:
            return f"#{self.transfer_id}"
        prefix = "all " if self.all_matching else ""
        return f"{prefix}{quote(self.name or '')}"


@dataclass(frozen=True)
class PlanCommand:
    """What a command asks for: targets, one inclusive range, and that range in chunks of
    at most the workspace's maximum (newest first)."""

    targets: tuple[Target, ...]
    range_start: date
    range_end: date
    days: int
    chunks: tuple[tuple[date, date], ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """The CLI's JSON shape of a plan: the range and one step per target and chunk
        (``transfer_id`` or ``transfer_name``: names are resolved by the bot, not here)."""
        steps: list[dict[str, object]] = []
        for target in self.targets:
            for start, end in self.chunks:
                step: dict[str, object] = (
                    {"transfer_id": target.transfer_id}
                    if target.transfer_id is not None
                    else {"transfer_name": target.name}
                )
                if target.all_matching:
                    step["all_matching"] = True
                step.update(
                    range_start=start.isoformat(),
                    range_end=end.isoformat(),
                    days=(end - start).days + 1,
                )
                steps.append(step)
        return {
            "range_start": self.range_start.isoformat(),
            "range_end": self.range_end.isoformat(),
            "days": self.days,
            "notes": list(self.notes),
            "steps": steps,
        }

    @property
    def is_plan(self) -> bool:
        """More than one backfill (or possibly more, for "all … transfers")."""
        return len(self.targets) > 1 or len(self.chunks) > 1 or self.targets[0].all_matching


@dataclass(frozen=True)
class PlanStep:
    """One backfill of a plan: a transfer over one chunk; ``after`` is the index of the
    step of the same transfer that must finish first (None: may start at once)."""

    transfer_id: int
    transfer_name: str | None
    range_start: date
    range_end: date
    after: int | None

    @property
    def days(self) -> int:
        return (self.range_end - self.range_start).days + 1

    def to_json(self) -> dict[str, object]:
        return {
            "transfer_id": self.transfer_id,
            "range_start": self.range_start.isoformat(),
            "range_end": self.range_end.isoformat(),
            "days": self.days,
        }


def chunk_range(start: date, end: date, max_days: int) -> tuple[tuple[date, date], ...]:
    """Consecutive chunks of at most ``max_days`` covering ``start..end``, newest first
    (Supermetrics works through a backfill's days newest first too)."""
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    chunks: list[tuple[date, date]] = []
    chunk_end = end
    while chunk_end >= start:
        chunk_start = max(start, chunk_end - timedelta(days=max_days - 1))
        chunks.append((chunk_start, chunk_end))
        chunk_end = chunk_start - timedelta(days=1)
    return tuple(chunks)


def split_targets(text: str) -> tuple[tuple[Target, ...], str] | None:
    """The targets of a command that names more than one transfer (or "all X
    transfers"), and the rest of the text (the range); None for one transfer."""
    match = _SPLIT.match(text)
    if match is None:
        return None
    part, rest = match.group("targets").strip(), match.group("range")
    every = _ALL.match(part)
    if every is not None:
        name = _unquote((every.group("after") or every.group("before") or "").strip())
        if not name or name.lower() in {"the", "my"}:
            return None
        return (Target(name=name, all_matching=True),), rest
    keyword = _LEADING.match(part)
    listed = part[keyword.end() :] if keyword else part
    pieces = _split_list(listed)
    if pieces is None or len(pieces) < 2:
        return None
    targets: list[Target] = []
    for piece in pieces:
        found = _ID.match(piece)
        if found is not None:
            targets.append(Target(transfer_id=int(found.group(1))))
        elif re.search(r"[^\W\d_]", piece):
            targets.append(Target(name=_unquote(piece)))
        else:
            return None
    bare_numbers = all(t.transfer_id is not None for t in targets) and "#" not in listed
    if bare_numbers and not keyword and any(t.transfer_id in _YEARS for t in targets):
        # "2023 and 2024 for 456789": years, not a list of transfers
        return None
    return tuple(dict.fromkeys(targets)), rest


def _split_list(listed: str) -> list[str] | None:
    """Split "a, b and c" (quoted names keep their commas and "and"s)."""
    quoted: list[str] = []

    def hide(found: re.Match[str]) -> str:
        quoted.append(next(g for g in found.groups() if g is not None))
        return f"\x00{len(quoted) - 1}\x00"

    hidden = _QUOTED.sub(hide, listed)
    pieces = [p.strip() for p in _SEPARATOR.split(hidden)]
    if any(not p for p in pieces):
        return None
    return [re.sub(r"\x00(\d+)\x00", lambda m: quoted[int(m.group(1))], p) for p in pieces]


def _unquote(name: str) -> str:
    stripped = name.strip()
    found = _QUOTED.fullmatch(stripped)
    if found is not None:
        return next(g for g in found.groups() if g is not None).strip()
    return re.sub(r"\s+transfers?$", "", stripped, flags=re.I).strip()


def parse_plan(
    text: str,
    *,
    today: date,
    date_order: str = "MDY",
    max_days: int = 366,
    max_plan_days: int = DEFAULT_MAX_PLAN_DAYS,
    date_order_explicit: bool = False,
    timezone: str | None = None,
) -> PlanCommand:
    """Parse a command as a plan (one target and one chunk is a plain command).

    Raises the parser's ``CommandError``s; a range over ``max_plan_days`` is a
    ``RangeTooLongError`` that names the plan limit.
    """

    def parse(source: str, cap: int) -> tuple[int | None, str | None, date, date, tuple[str, ...]]:
        command = parse_command(
            source,
            today=today,
            date_order=date_order,
            max_days=cap,
            date_order_explicit=date_order_explicit,
            timezone=timezone,
        )
        return (
            command.transfer_id,
            command.transfer_name,
            command.range_start,
            command.range_end,
            command.notes,
        )

    split = split_targets(text)
    if split is None:
        try:
            transfer_id, name, start, end, notes = parse(text, max_days)
        except RangeTooLongError:
            transfer_id, name, start, end, notes = parse(text, _UNCAPPED)
        targets: tuple[Target, ...] = (Target(transfer_id=transfer_id, name=name),)
    else:
        targets, rest = split
        # the range alone, behind a placeholder transfer the grammar reads as an id
        _id, _name, start, end, notes = parse(f"backfill transfer 1 {rest}", _UNCAPPED)
    days = (end - start).days + 1
    if days > max_plan_days:
        raise RangeTooLongError(plan_too_long(text, start, end, days, max_plan_days))
    return PlanCommand(
        targets=targets,
        range_start=start,
        range_end=end,
        days=days,
        chunks=chunk_range(start, end, max_days),
        notes=notes,
    )


def plan_too_long(text: str, start: date, end: date, days: int, max_plan_days: int) -> str:
    return (
        f"{quote(text)} covers {start.isoformat()} → {end.isoformat()}, {days} days; one "
        f"request plans at most {max_plan_days} days (MAX_PLAN_DAYS). Check the years, or "
        'split it, e.g. "backfill transfer 456789 for 2024".'
    )


Lookup = Callable[[str], Sequence[tuple[int, str]]]


def resolve_targets(
    targets: Sequence[Target],
    *,
    lookup: Lookup,
    names_of: Callable[[int], str | None] = lambda _id: None,
) -> list[tuple[int, str | None]]:
    """The transfers (id, name) the targets mean, in order, each once.

    ``lookup(name)`` returns the transfers whose name matches. Every name that matches
    nothing is refused in one message; a name that matches several is refused unless it
    was "all … transfers".
    """
    found: dict[int, str | None] = {}
    unknown: list[str] = []
    several: list[str] = []
    for target in targets:
        if target.transfer_id is not None:
            found.setdefault(target.transfer_id, names_of(target.transfer_id))
            continue
        matches = list(lookup(target.name or ""))
        if not matches:
            unknown.append(target.name or "")
        elif len(matches) > 1 and not target.all_matching:
            listed = ", ".join(f"{name} (#{tid})" for tid, name in matches[:5])
            several.append(f"{quote(target.name or '')} matches {listed}")
        else:
            for tid, name in matches:
                found.setdefault(tid, name)
    if unknown:
        names = ", ".join(quote(name) for name in unknown)
        raise PlanTargetError(
            f"No transfer of this workspace is named {names}. Check the spelling (`/backfill "
            "list` shows recent transfers), use the ids, or quote a name that contains "
            '"and" or a comma. Nothing was planned.'
        )
    if several:
        raise PlanTargetError(
            "; ".join(several) + ". Give the ids of the ones you mean, or say "
            '"all … transfers" to backfill every one. Nothing was planned.'
        )
    return list(found.items())


def plan_steps(
    transfers: Sequence[tuple[int, str | None]], chunks: Sequence[tuple[date, date]]
) -> list[PlanStep]:
    """Every transfer over every chunk; a transfer's chunks run one after another."""
    steps: list[PlanStep] = []
    for transfer_id, name in transfers:
        previous: int | None = None
        for start, end in chunks:
            steps.append(PlanStep(transfer_id, name, start, end, previous))
            previous = len(steps) - 1
    return steps
