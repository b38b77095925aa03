"""No accepted command silently ignores a date word (issue 11, "No dropped words").

Commands are built from date words of known kinds (a month, a day, a weekday, a count,
a named day …). For every command the parser accepts, replacing any one of its date words
by another of the same kind (March → May, 3 → 4, Monday → Friday), or deleting it, must
change the range or cause a refusal: a word the parser dropped would leave the range as
it was whatever it said. (One of the two is enough: "last" in "last January" adds
nothing in November, but "next January" is refused; a weekday that agrees with its date
adds nothing, but another weekday is refused.)
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import CommandError
from bot.parsing import parse_command
from bot.parsing.vocab import MONTH_NAMES

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

TODAY = date(2026, 11, 28)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# kind → the values a word of that kind may take
KINDS: dict[str, list[str]] = {
    "month": list(MONTH_NAMES[1:]),
    "weekday": list(WEEKDAY_NAMES),
    "day": [str(d) for d in range(1, 29)],
    "year": [str(y) for y in range(2019, 2026)],
    "count": [str(n) for n in range(2, 30)],
    "countword": ["two", "three", "four", "five", "six", "ten", "twelve"],
    "nth": ["first", "second", "third", "fourth", "last"],
    "unit": ["days", "weeks", "months"],
    "rel": ["last", "this", "next"],
    "named": [
        "Black Friday",
        "Cyber Monday",
        "BFCM",
        "Thanksgiving",
        "Christmas Eve",
        "Boxing Day",
        "Good Friday",
        "Easter Monday",
        "Easter weekend",
        "New Year's Eve",
    ],
    "quarter": ["Q1", "Q2", "Q3", "Q4"],
}

Piece = tuple[str, str]  # (kind, word); kind "" is fixed glue


def _text(pieces: list[Piece]) -> str:
    return "backfill transfer 456789 " + " ".join(word for _, word in pieces if word)


def _outcome(text: str) -> tuple[date, date] | str:
    try:
        command = parse_command(text, today=TODAY)
    except CommandError as exc:
        return type(exc).__name__
    return command.range_start, command.range_end


@st.composite
def commands(draw: st.DrawFn) -> list[Piece]:
    pick = lambda kind: (kind, draw(st.sampled_from(KINDS[kind])))  # noqa: E731
    shape = draw(st.integers(min_value=0, max_value=13))
    if shape == 0:
        return [("", "for"), pick("month"), pick("day"), pick("year")]
    if shape == 1:
        return [("", "for the"), pick("day"), ("", "of"), pick("month"), pick("year")]
    if shape == 2:
        # a weekday that agrees with its date
        day = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 600)))
        return [
            ("", "for"),
            ("weekday", WEEKDAY_NAMES[day.weekday()]),
            ("month", MONTH_NAMES[day.month]),
            ("day", str(day.day)),
            ("year", str(day.year)),
        ]
    if shape == 3:
        return [("", "for"), pick("rel"), pick("count"), pick("unit")]
    if shape == 4:
        return [("", "for the last"), pick("countword"), pick("unit")]
    if shape == 5:
        return [("", "for"), pick("count"), pick("unit"), pick("count"), ("", "days"), ("", "ago")]
    if shape == 6:
        return [
            ("", "for the"),
            pick("nth"),
            pick("weekday"),
            ("", "of"),
            pick("month"),
            pick("year"),
        ]
    if shape == 7:
        return [("", "for"), pick("named"), pick("year")]
    if shape == 8:
        return [
            ("", "from"),
            pick("month"),
            pick("day"),
            ("", "to"),
            pick("month"),
            pick("day"),
            pick("year"),
        ]
    if shape == 9:
        return [("", "for"), pick("quarter"), pick("year")]
    if shape == 10:
        return [("", "for"), pick("rel"), pick("month")]
    if shape == 11:
        return [
            ("", "for"),
            pick("weekday"),
            ("", "the"),
            ("day", "1" + draw(st.sampled_from("st"))),
        ]
    if shape == 12:
        return [("", "for the first week of"), pick("year")]
    return [("", "for"), pick("countword"), ("", "weeks ago"), pick("weekday")]


@SETTINGS
@given(pieces=commands())
def test_no_accepted_command_ignores_a_date_word(pieces: list[Piece]) -> None:
    text = _text(pieces)
    before = _outcome(text)
    if isinstance(before, str):
        return  # refused as a whole: nothing was dropped
    for index, (kind, word) in enumerate(pieces):
        if not kind:
            continue
        variants = [[*pieces[:index], *pieces[index + 1 :]]] + [
            [*pieces[:index], (kind, other), *pieces[index + 1 :]]
            for other in KINDS[kind]
            if other != word
        ]
        outcomes = {_text(v): _outcome(_text(v)) for v in variants}
        assert any(after != before for after in outcomes.values()), (
            f"{word!r} in {text!r} is ignored: deleting or replacing it changes nothing"
        )
