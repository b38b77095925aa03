"""``parse_command``: text → transfer + inclusive date range, per docs/RANGE_SEMANTICS.md."""

from __future__ import annotations

from datetime import date, timedelta

from bot.errors import (
    CommandError,
    FutureRangeError,
    InvalidDateError,
    MissingRangeError,
    MissingTransferError,
    RangeTooLongError,
    ReversedRangeError,
)

from . import fallback, messages, suggest
from .grammar import Candidate, RangeGrammar
from .leftovers import check_leftovers, neighbour
from .lexer import Token, tokenize
from .model import BackfillCommand
from .specs import Fixed, Floating, Since, Single, Span, notes_of, resolve
from .transfer import identify_transfer, is_ignorable, mark_transfer_refs
from .vocab import (
    CARDINALS,
    FILLER,
    MONTHS,
    RANGE_PREPOSITIONS,
    SPAN_CONNECTORS,
    TENS,
    UNITS,
    WEEKDAYS,
)

DATE_ORDERS = ("MDY", "DMY")
_FALLBACK_WINDOW = 6
# words a fallback phrase should not start with ("in" stays: "in 2 days" is future)
_FALLBACK_SKIP = (FILLER | RANGE_PREPOSITIONS | {"since", "from"}) - {"in"}
_COUNTED = UNITS.keys() | {"hour", "hours", "hr", "hrs", "minute", "minutes", "min", "mins"}
# what a phrase for dateparser may hold, and must hold one of ("36 hours ago", "last night")
_FALLBACK_ANCHORS = frozenset(
    {"ago", "in", "night", "morning", "afternoon", "evening", "noon", "midnight", "tonight"}
)
_FALLBACK_WORDS = (
    _FALLBACK_ANCHORS
    | _COUNTED
    | CARDINALS.keys()
    | TENS.keys()
    | WEEKDAYS.keys()
    | {"a", "an", "and", "half", "last", "this", "yesterday", "today", "hundred"}
)
_WEAK_ALONE = frozenset({"sun", "sat", "wed", "mar", "now", "may"})
_KNOWN_WORDS = FILLER | MONTHS.keys() | WEEKDAYS.keys() | UNITS.keys()


def parse_command(
    text: str,
    *,
    today: date,
    date_order: str = "MDY",
    max_days: int = 366,
    date_order_explicit: bool = False,
    timezone: str | None = None,
) -> BackfillCommand:
    """Parse a backfill command. Raises a ``CommandError`` subclass whose
    ``user_message`` says what was wrong and shows an example that works (and whose
    ``suggestion`` is the corrected command when a word was a near-miss of a known one).
    ``timezone`` is the zone that decided ``today``: the result carries it, and its notes
    name it whenever the range depends on today."""
    order = date_order.upper()
    if order not in DATE_ORDERS:
        raise ValueError(f"date_order must be MDY or DMY, not {date_order!r}")
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    options = _Options(today, order, max_days, date_order_explicit, timezone)
    try:
        command, tokens, chosen = _parse(text, options)
    except CommandError as exc:
        fixed = _suggestion(text, options, None)
        if fixed is None:
            raise
        corrected, typos = fixed
        message = messages.did_you_mean(text, typos, corrected)
        raise type(exc)(message, suggestion=corrected) from exc
    typo = _suggestion(text, options, (tokens, chosen, command))
    if typo is not None:
        corrected, typos = typo
        calendar_word = any(fix in MONTHS or fix in WEEKDAYS for _, fix in typos)
        error = InvalidDateError if calendar_word else MissingRangeError
        raise error(messages.did_you_mean(text, typos, corrected), suggestion=corrected)
    return command


class _Options:
    __slots__ = ("explicit", "max_days", "order", "timezone", "today")

    def __init__(
        self, today: date, order: str, max_days: int, explicit: bool, timezone: str | None
    ) -> None:
        self.today = today
        self.order = order
        self.max_days = max_days
        self.explicit = explicit
        self.timezone = timezone


def _parse(text: str, options: _Options) -> tuple[BackfillCommand, list[Token], Candidate]:
    try:
        return _parse_tokens(text, options)
    except (OverflowError, ValueError):
        # date arithmetic past year 1 or 9999 (the arguments were checked above): only
        # reachable with extreme counts or a today at the very ends of the calendar
        raise InvalidDateError(messages.out_of_calendar(text)) from None


def _suggestion(
    text: str,
    options: _Options,
    accepted: tuple[list[Token], Candidate, BackfillCommand] | None,
) -> tuple[str, list[tuple[str, str]]] | None:
    """The corrected command and its corrections, if near-misses of known words
    ("lst", "Janurary") were not read and the command with them corrected parses: for a
    refused command, any such word; for an accepted one, a word beside the range whose
    correction changes the range ("Janurary 2024" is not all of 2024)."""
    if accepted is None:
        found = suggest.corrected_command(text, tokenize(text), None)
    else:
        tokens, chosen, _ = accepted
        beside = {neighbour(tokens, chosen.start - 1, -1), neighbour(tokens, chosen.end, 1)}
        found = suggest.corrected_command(text, tokens, beside)
    if found is None:
        return None
    try:
        command = _parse(found[0], options)[0]
    except CommandError:
        return None
    if accepted is not None:
        before = accepted[2]
        if (command.range_start, command.range_end) == (before.range_start, before.range_end):
            return None
    return found


def check_range(
    start: date, end: date, *, today: date, max_days: int = 366
) -> tuple[date, date, bool, tuple[str, ...]]:
    """Validate an explicit inclusive range (edit-dates modal, retrying failed days):
    refuses reversed, wholly future and over-long ranges; clamps the end to today.
    Returns (start, end, clamped, notes)."""
    if end < start:
        raise ReversedRangeError(messages.reversed_range(start, end))
    if start > today:
        raise FutureRangeError(messages.future_range(start, end, today))
    clamped = end > today
    notes: tuple[str, ...] = ()
    if clamped:
        notes = (messages.clamped_note(end, today),)
        end = today
    if (end - start).days + 1 > max_days:
        raise RangeTooLongError(messages.too_long(start, end, max_days))
    return start, end, clamped, notes


def warm_up() -> None:
    """Import and exercise dateparser and our grammar once, so that a long-running
    process's first command is as fast as any other."""
    today = date.today()
    fallback.warm_up(today)
    suggest.correction("yesterdy")  # builds the near-miss index
    for sample in ("backfill transfer 1 for last month", "backfill Facebook Ads a fortnight ago"):
        parse_command(sample, today=today)


def _parse_tokens(text: str, options: _Options) -> tuple[BackfillCommand, list[Token], Candidate]:
    today, order, max_days = options.today, options.order, options.max_days
    explicit = options.explicit
    tokens = tokenize(text)
    explicit_ids = mark_transfer_refs(tokens)
    grammar = RangeGrammar(
        tokens, today=today, date_order=order, explicit=explicit, max_days=max_days, source=text
    )
    chosen = _choose(grammar.candidates(), tokens)
    if chosen is None:
        chosen = _fallback(text, tokens, today, order)
    suggest.check_month_typos(text, tokens, chosen)
    if chosen is None:
        try:
            identify_transfer(text, tokens, explicit_ids, (0, 0))
            has_transfer = True
        except MissingTransferError:
            has_transfer = False
        except CommandError:
            has_transfer = True  # two ids, say: still a transfer, and no range
        raise MissingRangeError(messages.missing_range(text, also_transfer=not has_transfer))
    _check_unread_end(text, tokens, chosen)
    start, end = resolve(chosen.spec, today)
    check_leftovers(text, tokens, chosen.start, chosen.end, grammar.range_end_at)
    if isinstance(chosen.spec, Since) and start > today:
        raise FutureRangeError(messages.future_range(start, start, today))
    start, end, clamped, clamp_notes = check_range(start, end, today=today, max_days=max_days)
    transfer_id, transfer_name = identify_transfer(
        text, tokens, explicit_ids, (chosen.start, chosen.end)
    )
    time_notes: list[str] = []
    if clamped or end == today or _depends_on_today(grammar, chosen, options):
        time_notes.append(messages.today_note(today, options.timezone))
    if end == today:
        time_notes.append(messages.not_over_note(today))
    command = BackfillCommand(
        transfer_id=transfer_id,
        transfer_name=transfer_name,
        range_start=start,
        range_end=end,
        days=(end - start).days + 1,
        clamped=clamped,
        notes=notes_of(chosen.spec) + clamp_notes + tuple(time_notes),
        timezone=options.timezone,
    )
    return command, tokens, chosen


def _depends_on_today(grammar: RangeGrammar, chosen: Candidate, options: _Options) -> bool:
    """Whether today decided the range: reading its words looked at today ("last month",
    "the 1st of the month"), or a year was left to be inferred ("March 3"), or it runs
    to today ("since 2024-03-01"). Dates given in full do not."""
    spec = chosen.spec
    if isinstance(spec, Since):
        return True
    parts = (spec.first, spec.last) if isinstance(spec, Span) else (spec.spec,)
    if any(isinstance(part, Floating) and part.year is None for part in parts):
        return True
    grammar.today_read = False
    if grammar.range_end_at(chosen.start) != chosen.end:
        return True  # dateparser's relative phrases ("a fortnight ago")
    if not grammar.today_read:
        return False  # no alternative tried for these words even looked at today
    # some did: whether the reading chosen depends on it, the same words read with
    # another today tell exactly
    today = options.today
    other = today - timedelta(days=400) if today.year > 2 else today + timedelta(days=400)
    again = RangeGrammar(
        grammar.tokens,
        today=other,
        date_order=options.order,
        explicit=options.explicit,
        max_days=options.max_days,
        source=grammar.source,
    )
    try:
        parsed = again.range_at(chosen.start)
        if parsed is None or parsed[1] != chosen.end:
            return True
        return resolve(parsed[0], other) != resolve(spec, today)
    except CommandError:
        return True


def _choose(candidates: list[Candidate], tokens: list[Token]) -> Candidate | None:
    """The range phrase: the earliest one followed only by filler and transfer ids
    (so a name that contains "May" or "2024" is not taken for the range); otherwise the
    longest one (the name then follows the range)."""
    for cand in candidates:
        if all(is_ignorable(tok) for tok in tokens[cand.end :]):
            return cand
    # a lone "sun" or "sat" next to other words is more likely part of a name
    plausible = [
        c for c in candidates if c.end - c.start > 1 or tokens[c.start].text not in _WEAK_ALONE
    ]
    if not plausible:
        return None
    return max(plausible, key=lambda c: (c.end - c.start, -c.start))


def _fallback(text: str, tokens: list[Token], today: date, order: str) -> Candidate | None:
    """Ask dateparser about the last few meaningful words ("a fortnight ago")."""
    meaningful = [i for i, tok in enumerate(tokens) if not is_ignorable(tok)]
    if not meaningful:
        return None
    last = meaningful[-1]
    for start in range(max(0, last - _FALLBACK_WINDOW + 1), last + 1):
        window = tokens[start : last + 1]
        if any(tok.kind in {"xfer", "quoted"} for tok in window):
            continue
        if window[0].kind == "word" and window[0].text in _FALLBACK_SKIP:
            continue
        # a leading number is more likely the transfer id than part of the date
        if window[0].kind == "num" and (len(window) == 1 or window[1].kind != "word"):
            continue
        if window[0].kind == "num" and (window[1].text not in _COUNTED or len(window) == 2):
            # "7 days" alone is a length, not a date; "7 days ago" is a date
            continue
        words = {tok.text for tok in window if tok.kind == "word"}
        if not words <= _FALLBACK_WORDS or not words & _FALLBACK_ANCHORS:
            # dateparser reads much that is not one day ("the last decade", "one month"):
            # only relative days and times of day are asked of it
            continue
        phrase = text[window[0].start : window[-1].end].lower()
        day = fallback.parse_single_date(phrase, today=today, date_order=order)
        if day is None:
            continue
        spec = Fixed(day, day)
        before = tokens[start - 1] if start > 0 else None
        if before is not None and before.kind == "word" and before.text in {"since", "from"}:
            return Candidate(start - 1, last + 1, Since(spec))
        return Candidate(start, last + 1, Single(spec))
    return None


def _check_unread_end(text: str, tokens: list[Token], chosen: Candidate) -> None:
    """ "from March 3 to blursday": the range goes on, but we can't read its end."""
    size = len(tokens)
    if chosen.end + 1 >= size:
        return
    after = tokens[chosen.end]
    is_connector = after.kind in {"dash", "dots"} or (
        after.kind == "word" and after.text in SPAN_CONNECTORS
    )
    following = tokens[chosen.end + 1]
    day_like = following.kind == "num" and len(following.text) <= 2
    unread = following.kind not in {"xfer", "quoted"} and not is_ignorable(following)
    if is_connector and (unread or day_like):
        phrase = text[tokens[chosen.start].start : after.end]
        raise MissingRangeError(messages.unreadable_end(text, phrase))
