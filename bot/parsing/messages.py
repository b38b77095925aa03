"""User-facing wording of parser errors and notes: what was wrong and an example that works."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, timedelta

_QUOTE_LIMIT = 80
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")
_SPACE_RE = re.compile(r"\s+")
# Slack reads <...> as links and mentions and `...` as code: keep the echo inert
_SLACK_SPECIAL = str.maketrans({"<": "‹", ">": "›", "`": "'", '"': "'"})

EXAMPLE_RANGE = 'Try "last month" or "2024-01-01 to 2024-01-31".'
EXAMPLE_COMMAND = '"backfill transfer 456789 for last month"'


def quote(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """The user's text, shortened and made safe to echo inside double quotes."""
    flat = _SPACE_RE.sub(" ", _CONTROL_RE.sub(" ", text)).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return '"' + flat.translate(_SLACK_SPECIAL) + '"'


def missing_range(text: str, *, also_transfer: bool = False) -> str:
    if not text.strip():
        return f"The command is empty. Try {EXAMPLE_COMMAND}."
    if also_transfer:
        return (
            f"I couldn't find a transfer or a date range in {quote(text)}. Try {EXAMPLE_COMMAND}."
        )
    return f"I couldn't find a date range in {quote(text)}. {EXAMPLE_RANGE}"


def unreadable_end(text: str, phrase: str) -> str:
    return (
        f"I couldn't read where the range ends in {quote(text)} (after {quote(phrase, 40)}). "
        f'Give both ends as dates, e.g. "2024-03-03 to 2024-03-10".'
    )


def missing_transfer(text: str) -> str:
    return (
        f"I couldn't tell which transfer to backfill in {quote(text)}. Give its id or its name, "
        f'e.g. {EXAMPLE_COMMAND} or "backfill Facebook Ads for last month".'
    )


def bad_transfer_id(raw: str) -> str:
    return (
        f"{quote(raw)} is not a transfer id: ids are positive whole numbers. Try {EXAMPLE_COMMAND}."
    )


def ambiguous_transfer(text: str, ids: list[int]) -> str:
    listed = " and ".join(str(i) for i in ids[:2]) + (" …" if len(ids) > 2 else "")
    return (
        f"{quote(text)} mentions more than one transfer id ({listed}). "
        f'Backfill one transfer at a time, e.g. "backfill transfer {ids[0]} for last month".'
    )


def unknown_month(word: str, suggestion: str | None) -> str:
    hint = f" Did you mean {suggestion}?" if suggestion else ""
    example = suggestion or "January"
    return f'I don\'t know the month {quote(word, 30)}.{hint} Try e.g. "{example} 2024".'


def future_range(start: date, end: date, today: date) -> str:
    what = f"{start.isoformat()}" if start == end else f"{start.isoformat()} → {end.isoformat()}"
    return (
        f"{what} is in the future (today is {today.isoformat()}), and a backfill can only "
        'cover days up to today. Try "yesterday" or "last week".'
    )


def reversed_range(start: date, end: date) -> str:
    return (
        f"That range ends ({end.isoformat()}) before it starts ({start.isoformat()}). "
        f'Put the earlier date first, e.g. "{end.isoformat()} to {start.isoformat()}".'
    )


def too_long(start: date, end: date, max_days: int) -> str:
    days = (end - start).days + 1
    try:
        example_end = start + timedelta(days=max_days - 1)
        example = f' e.g. "{start.isoformat()} to {example_end.isoformat()}"'
    except OverflowError:
        example = ""
    return (
        f"{start.isoformat()} → {end.isoformat()} is {days} days, more than the maximum of "
        f"{max_days} days for one backfill. Split it into shorter ranges,{example}."
    ).replace(",.", ".")


def too_long_phrase(phrase: str, max_days: int) -> str:
    return (
        f"{quote(phrase, 40)} covers more than the maximum of {max_days} days for one "
        'backfill. Try a shorter range, e.g. "last 30 days".'
    )


def empty_phrase(phrase: str) -> str:
    return f'{quote(phrase, 40)} is an empty range. Try e.g. "last 7 days".'


def out_of_calendar(text: str) -> str:
    return (
        f"A date in {quote(text)} is outside the calendar I can work with. "
        'Try a date such as "2024-01-05".'
    )


def clamped_note(end: date, today: date) -> str:
    return (
        f"The range ended {end.isoformat()}, after today; it was shortened to end today "
        f"({today.isoformat()})."
    )


def _iso_span(start: date, end: date) -> str:
    return f'"{start.isoformat()} to {end.isoformat()}"'


def vague_edge(phrase: str, inner: str, day: date, *, first: bool) -> str:
    edge = "first" if first else "last"
    return (
        f"{quote(phrase, 40)} is not an exact range, and I won't guess how many days you mean. "
        f'For that one day say "the {edge} day of {inner}" ({day.isoformat()}); for more, '
        f'e.g. "the {edge} 7 days of {inner}".'
    )


def vague_part(phrase: str, word: str, period: tuple[date, date]) -> str:
    start, end = period
    third = max(1, ((end - start).days + 1) // 3)
    one_month = (
        start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and end.day == monthrange(end.year, end.month)[1]
    )
    if one_month:
        # a month's thirds as people say them: 1-10, 11-20, 21 to the end
        bounds = {"early": (1, 10), "late": (21, end.day)}.get(word, (11, 20))
        first, last = start.replace(day=bounds[0]), start.replace(day=bounds[1])
    elif word == "early":
        first, last = start, start + timedelta(days=third - 1)
    elif word == "late":
        first, last = max(start, end - timedelta(days=third - 1)), end
    else:
        first = min(end, start + timedelta(days=third))
        last = min(end, first + timedelta(days=third - 1))
    return (
        f"{quote(phrase, 40)} is not an exact range, and I won't guess which days you mean. "
        f"Give them exactly, e.g. {_iso_span(first, last)}."
    )


def fiscal(phrase: str) -> str:
    return (
        f"{quote(phrase, 40)} is a fiscal period, and fiscal years start in different months "
        "at different companies, so I won't guess its dates. Give them exactly, e.g. "
        '"2023-07-01 to 2024-06-30", or "2024" for the calendar year.'
    )


def part_too_big(phrase: str, start: date, end: date) -> str:
    days = (end - start).days + 1
    return (
        f"{quote(phrase, 40)} doesn't fit: {start.isoformat()} to {end.isoformat()} has only "
        f"{days} days. Try a smaller part, or the whole period: {_iso_span(start, end)}."
    )


def part_not_whole(phrase: str, start: date, end: date) -> str:
    middle = start + timedelta(days=max(0, ((end - start).days + 1) // 2 - 1))
    return (
        f"I can't split {start.isoformat()} to {end.isoformat()} exactly as "
        f"{quote(phrase, 40)}. Give the days, e.g. {_iso_span(start, middle)}."
    )


def uncountable_days(phrase: str, first: date | None, last: date | None) -> str:
    example = f"{_iso_span(first, last)}" if first and last else '"last 7 days"'
    return (
        f"{quote(phrase, 40)}: which days count as business days differs between teams, and "
        f"a backfill covers every calendar day in its range. Give calendar days, e.g. {example}."
    )


def hours(phrase: str) -> str:
    return (
        f"{quote(phrase, 40)}: a backfill covers whole days, not hours. "
        'Try "yesterday", or "last 2 days including today".'
    )


def leftover(text: str, extra: str, phrase: str) -> str:
    return (
        f"I'm not sure how {quote(extra, 40)} changes {quote(phrase, 40)} in {quote(text)}, "
        'so I won\'t guess. Give the days exactly, e.g. "2024-03-01 to 2024-03-07" or '
        f'"the first 7 days of March". If {quote(extra, 40)} is part of the transfer\'s name, '
        'put the name in quotes, e.g. backfill "March Madness" for last week.'
    )


def two_ranges(text: str, first: str, second: str) -> str:
    return (
        f"{quote(text)} names more than one range ({quote(first, 40)} and "
        f"{quote(second, 40)}), and I can backfill only one at a time. Give one range, e.g. "
        f'"{_plain(first)} to {_plain(second)}" for both together, or send two commands. '
        "If one of them is part of the transfer's name, put the name in quotes."
    )


def _plain(phrase: str) -> str:
    return " ".join(phrase.replace('"', "").split())[:40]


def unclear_current(phrase: str, unit: str) -> str:
    return (
        f"I'm not sure which {unit} {quote(phrase, 30)} is: the range starts before this "
        f'{unit}. Name it, e.g. "to the end of March", or give the date, e.g. '
        '"2024-03-01 to 2024-03-31".'
    )


def today_note(today: date, timezone: str | None) -> str:
    where = f" in {timezone}" if timezone else ""
    return f"Today{where} is {today.isoformat()} ({today:%A})."


def not_over_note(today: date) -> str:
    return (
        f"Today ({today.isoformat()}) is not over yet, so its data may still be incomplete; "
        "backfill it again tomorrow for the full day."
    )


def unfixed_day(title: str, year: int | None) -> str:
    when = f" {year}" if year is not None else ""
    return (
        f"{title}{when} has no fixed dates (they change from year to year, or between shops "
        "and countries), so I won't guess them. Give the dates, e.g. \"2025-07-08 to "
        '2025-07-11".'
    )


def did_you_mean(text: str, typos: list[tuple[str, str]], corrected: str) -> str:
    typed = " and ".join(quote(word, 30) for word, _ in typos)
    meant = " and ".join(fixed for _, fixed in typos)
    plural = "s" if len(typos) > 1 else ""
    return (
        f"I don't know the word{plural} {typed} in {quote(text)}. Did you mean {meant}? "
        f"Try {quote(corrected, 120)}."
    )
