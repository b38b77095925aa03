"""The second edition's shapes (docs/RANGE_SEMANTICS.md, "More shapes"), phrased as people
type them: each resolves to exactly these days, or is refused with exactly this class.

Expected ranges were worked out by hand from the rule book and a calendar (today is
Saturday 2026-11-28; US Thanksgiving 2026 is Thursday November 26; Easter 2024, 2025,
2026 is March 31, April 20, April 5), not copied from the parser's output.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import (
    CommandError,
    FutureRangeError,
    InvalidDateError,
    MissingRangeError,
    RangeTooLongError,
    ReversedRangeError,
)
from bot.parsing import parse_command

TODAY = date(2026, 11, 28)


def _command(phrase: str) -> str:
    return (
        phrase
        if phrase.startswith(("backfill", "pls", "can you"))
        else (f"backfill transfer 456789 {phrase}")
    )


# (phrase, first day, last day)
RESOLVED: list[tuple[str, str, str]] = [
    # numbers in words, wherever a number goes
    ("for the last four weeks", "2026-10-31", "2026-11-27"),
    ("for the past two days", "2026-11-26", "2026-11-27"),
    ("for the last twenty-one days", "2026-11-07", "2026-11-27"),
    ("for the past thirty days", "2026-10-29", "2026-11-27"),
    ("for the last three months", "2026-08-01", "2026-10-31"),
    ("on the twenty-first of October", "2026-10-21", "2026-10-21"),
    ("on the twenty-seventh", "2026-11-27", "2026-11-27"),
    ("for June of twenty twenty-four", "2024-06-01", "2024-06-30"),
    ("for twenty twenty-three", "2023-01-01", "2023-12-31"),
    ("in twenty twenty four", "2024-01-01", "2024-12-31"),
    ("for March twenty twenty-five", "2025-03-01", "2025-03-31"),
    ("on June 5th, twenty twenty-five", "2025-06-05", "2025-06-05"),
    ("for Q3 twenty twenty-five", "2025-07-01", "2025-09-30"),
    ("for H1 twenty twenty-five", "2025-01-01", "2025-06-30"),
    ("for nineteen ninety-nine", "1999-01-01", "1999-12-31"),
    ("for two thousand and twenty-four", "2024-01-01", "2024-12-31"),
    ("for the first ten days of March twenty twenty-four", "2024-03-01", "2024-03-10"),
    ("from the first of October to the fifteenth of October", "2026-10-01", "2026-10-15"),
    # compound offsets, months first then days
    ("for 1 month 21 days ago", "2026-10-07", "2026-10-07"),
    ("for 2 months 3 days ago", "2026-09-25", "2026-09-25"),
    ("for a year and two days ago", "2025-11-26", "2025-11-26"),
    ("for three weeks and two days ago", "2026-11-05", "2026-11-05"),
    ("for one year ago", "2025-11-28", "2025-11-28"),
    ("for six months ago", "2026-05-28", "2026-05-28"),
    ("for two weeks ago Monday", "2026-11-09", "2026-11-09"),
    ("for a week ago Monday", "2026-11-16", "2026-11-16"),
    ("for two weeks ago on Friday", "2026-11-13", "2026-11-13"),
    ("for day before yesterday", "2026-11-26", "2026-11-26"),
    ("for three days before yesterday", "2026-11-24", "2026-11-24"),
    ("for the day before the day before yesterday", "2026-11-25", "2026-11-25"),
    ("for the day after Black Friday 2025", "2025-11-29", "2025-11-29"),
    ("for one week before Christmas 2025", "2025-12-18", "2025-12-18"),
    ("from 3 days before Black Friday 2025 to Cyber Monday 2025", "2025-11-25", "2025-12-01"),
    # the n-th weekday of a period
    ("for the first Monday of March", "2026-03-02", "2026-03-02"),
    ("for the last Friday of October 2025", "2025-10-31", "2025-10-31"),
    ("for the third Friday of last month", "2026-10-16", "2026-10-16"),
    ("for the second Tuesday of June 2024", "2024-06-11", "2024-06-11"),
    ("for the last Monday of May 2024", "2024-05-27", "2024-05-27"),
    ("for the 1st Sunday of November", "2026-11-01", "2026-11-01"),
    ("for the fourth Thursday of November 2025", "2025-11-27", "2025-11-27"),
    ("for last Wednesday of September", "2026-09-30", "2026-09-30"),
    ("for the first Friday in January 2026", "2026-01-02", "2026-01-02"),
    ("for the first Monday of last month", "2026-10-05", "2026-10-05"),
    ("for the last Sunday of 2025", "2025-12-28", "2025-12-28"),
    ("for the first Monday of Q3 2025", "2025-07-07", "2025-07-07"),
    (
        "from the first Monday of June 2025 to the last Friday of June 2025",
        "2025-06-02",
        "2025-06-27",
    ),
    # numeric month-year and day-month-year forms, months glued to their day
    ("for 11-2025", "2025-11-01", "2025-11-30"),
    ("for 2025/11", "2025-11-01", "2025-11-30"),
    ("for 9/2024", "2024-09-01", "2024-09-30"),
    ("for 09-2024", "2024-09-01", "2024-09-30"),
    ("on 05-aug-2025", "2025-08-05", "2025-08-05"),
    ("on 17-sep-2024", "2024-09-17", "2024-09-17"),
    ("on 3/feb/2025", "2025-02-03", "2025-02-03"),
    ("on mar3", "2026-03-03", "2026-03-03"),
    ("on jan/3", "2026-01-03", "2026-01-03"),
    ("on sep17", "2026-09-17", "2026-09-17"),
    ("on Sep17th 2025", "2025-09-17", "2025-09-17"),
    ("on dec31, 2023", "2023-12-31", "2023-12-31"),
    ("on Aug-05-2025", "2025-08-05", "2025-08-05"),
    ("from mar3 to mar10", "2026-03-03", "2026-03-10"),
    ("on 2025 Jan 3", "2025-01-03", "2025-01-03"),
    ("between 3/feb/2026 and yesterday", "2026-02-03", "2026-11-27"),
    ("on the 3rd of Jan, 2025", "2025-01-03", "2025-01-03"),
    # weeks: commencing, of, ISO weeks of a year, weekends, rest of
    ("for w/c Feb 4", "2026-02-04", "2026-02-10"),
    ("for w/c 2025-06-09", "2025-06-09", "2025-06-15"),
    ("for week commencing 9 June 2025", "2025-06-09", "2025-06-15"),
    ("for the week commencing Monday 10 March 2025", "2025-03-10", "2025-03-16"),
    ("for the week of June 11 2025", "2025-06-09", "2025-06-15"),
    ("for week beginning 2 March 2026", "2026-03-02", "2026-03-08"),
    ("for the week of Thanksgiving 2025", "2025-11-24", "2025-11-30"),
    ("for the week of Black Friday 2025", "2025-11-24", "2025-11-30"),
    ("for the rest of the month", "2026-11-28", "2026-11-28"),
    ("for rest of the week", "2026-11-28", "2026-11-28"),
    ("for the weekend", "2026-11-21", "2026-11-22"),
    ("for last weekend", "2026-11-21", "2026-11-22"),
    ("over the weekend", "2026-11-21", "2026-11-22"),
    ("for first week of 2025", "2024-12-30", "2025-01-05"),
    ("for the first week of 2026", "2025-12-29", "2026-01-04"),
    ("for the second week of 2026", "2026-01-05", "2026-01-11"),
    ("for week 1 of 2026", "2025-12-29", "2026-01-04"),
    ("for first week of March", "2026-03-01", "2026-03-07"),
    ("for the week before last", "2026-11-09", "2026-11-15"),
    ("for the first two weeks of May 2024", "2024-05-01", "2024-05-14"),
    # marketing calendar days
    ("for Black Friday", "2026-11-27", "2026-11-27"),
    ("for Black Friday 2024", "2024-11-29", "2024-11-29"),
    ("for Black Friday of 2023", "2023-11-24", "2023-11-24"),
    ("for 2024 Black Friday", "2024-11-29", "2024-11-29"),
    ("for Cyber Monday 2025", "2025-12-01", "2025-12-01"),
    ("for Cyber Monday", "2025-12-01", "2025-12-01"),
    ("for BFCM 2024", "2024-11-29", "2024-12-02"),
    ("for BFCM", "2026-11-27", "2026-11-28"),
    ("for Cyber Week 2025", "2025-11-28", "2025-12-01"),
    ("for Thanksgiving 2025", "2025-11-27", "2025-11-27"),
    ("for Thanksgiving", "2026-11-26", "2026-11-26"),
    ("for Christmas", "2025-12-25", "2025-12-25"),
    ("for Christmas Eve 2024", "2024-12-24", "2024-12-24"),
    ("for Xmas 2025", "2025-12-25", "2025-12-25"),
    ("for Boxing Day", "2025-12-26", "2025-12-26"),
    ("for New Year's Eve", "2025-12-31", "2025-12-31"),
    ("for New Year's Day", "2026-01-01", "2026-01-01"),
    ("for New Years Day 2025", "2025-01-01", "2025-01-01"),
    ("for Easter 2024", "2024-03-31", "2024-03-31"),
    ("for Good Friday 2025", "2025-04-18", "2025-04-18"),
    ("for Easter Monday", "2026-04-06", "2026-04-06"),
    ("for Easter weekend 2024", "2024-03-29", "2024-04-01"),
    ("for Easter weekend", "2026-04-03", "2026-04-06"),
    ("for last Black Friday", "2026-11-27", "2026-11-27"),
    ("for Black Friday last year", "2025-11-28", "2025-11-28"),
    ("for last year's Cyber Monday", "2025-12-01", "2025-12-01"),
    ("for this year's Easter", "2026-04-05", "2026-04-05"),
    ("from Black Friday to Cyber Monday 2025", "2025-11-28", "2025-12-01"),
    ("from Christmas Eve to New Year's Day", "2025-12-24", "2026-01-01"),
    ("from Christmas 2025 to New Year's Day 2026", "2025-12-25", "2026-01-01"),
    ("from Good Friday to Easter Monday 2025", "2025-04-18", "2025-04-21"),
    ("for Halloween 2025", "2025-10-31", "2025-10-31"),
    ("for Valentine's Day", "2026-02-14", "2026-02-14"),
    # a weekday with its date: checked; with a bare day number: the latest such date
    ("for Thursday June 5 2025", "2025-06-05", "2025-06-05"),
    ("for Friday 2025-01-03", "2025-01-03", "2025-01-03"),
    ("for Fri, Jan 3 2025", "2025-01-03", "2025-01-03"),
    ("for Sunday the 1st", "2026-11-01", "2026-11-01"),
    ("for Friday the 13th", "2026-11-13", "2026-11-13"),
    ("for Tuesday the 14th", "2026-07-14", "2026-07-14"),
    ("for Monday the 30th", "2026-03-30", "2026-03-30"),
    # year wrap only across a year end
    ("from Dec 20 to Jan 5", "2025-12-20", "2026-01-05"),
    ("from Dec 20 2024 to Jan 5", "2024-12-20", "2025-01-05"),
    ("Dec 20 to Jan 5 2025", "2024-12-20", "2025-01-05"),
    ("from Jan 5th to the 12th", "2026-01-05", "2026-01-12"),
    # spans and days people type every day
    ("between the 1st and the 15th of last month", "2026-10-01", "2026-10-15"),
    ("for October 1st through 15th, 2025", "2025-10-01", "2025-10-15"),
    ("for the 1st-7th of November", "2026-11-01", "2026-11-07"),
    ("from the 2nd to the 9th of March 2025", "2025-03-02", "2025-03-09"),
    ("from Monday to Wednesday last week", "2026-11-16", "2026-11-18"),
    ("pls backfill transfer 456789 for the last 2 weeks thx", "2026-11-14", "2026-11-27"),
    ("backfill #456789 for Q3 2025", "2025-07-01", "2025-09-30"),
    ("backfill transfer id 456789 from 2025-10-01 through 2025-10-15", "2025-10-01", "2025-10-15"),
    ("can you backfill 456789 for Oct 2025?", "2025-10-01", "2025-10-31"),
    ("backfill 456789 jan 3rd 2025", "2025-01-03", "2025-01-03"),
    ("backfill 456789 for 2025 Jan 3", "2025-01-03", "2025-01-03"),
]

# (phrase, the class of the refusal)
REFUSED: list[tuple[str, type[CommandError]]] = [
    # named days no rule fixes
    ("for Prime Day", MissingRangeError),
    ("for Prime Day 2025", MissingRangeError),
    ("for Mother's Day", MissingRangeError),
    ("for Labor Day 2025", MissingRangeError),
    # read, then refused as longer than the maximum, with the exact range named
    ("for the 2010s", RangeTooLongError),
    ("for the 2000s", RangeTooLongError),
    ("for the '90s", RangeTooLongError),
    ("for the 90s", RangeTooLongError),
    ("since 2019", RangeTooLongError),
    ("for 2015 and later", RangeTooLongError),
    ("for 2018 onwards", RangeTooLongError),
    # words beside the range that it does not read are refused, not dropped
    ("for easter 2026 weekend", MissingRangeError),
    ("for twelve twenty twenty-four", MissingRangeError),
    ("for the first weekend of November", MissingRangeError),
    ("for Black Friday weekend", MissingRangeError),
    ("for this time last year", MissingRangeError),
    ("for the 2 days before yesterday", MissingRangeError),
    ("for 3 days before last week", MissingRangeError),
    ("for the same period last year", MissingRangeError),
    # a weekday that contradicts its date
    ("for Tuesday June 5 2025", InvalidDateError),
    ("for Monday, 3 Jan 2025", InvalidDateError),
    ("for Wed 2025-01-03", InvalidDateError),
    ("from Monday Jan 6 2025 to Friday Jan 9 2025", InvalidDateError),
    # reversed within one month: never wrapped into another year
    ("from Jan 12 to Jan 5", ReversedRangeError),
    ("Jan 12 - Jan 5 2025", ReversedRangeError),
    ("from June 30 to June 1 2024", ReversedRangeError),
    ("Aug 19 to Aug 4", ReversedRangeError),
    ("for March 10-3", ReversedRangeError),
    ("from the 20th to the 5th of October", ReversedRangeError),
    # impossible n-th weekdays, future named days
    ("for the fifth Monday of February 2026", InvalidDateError),
    ("for Cyber Monday 2026", FutureRangeError),
    ("for Christmas 2026", FutureRangeError),
    # near-misses: refused with "Did you mean", never corrected silently
    ("for lst month", MissingRangeError),
    ("for Janurary", MissingRangeError),
    ("for yesterdy", MissingRangeError),
    ("for Feburary 2024", InvalidDateError),
    ("for lsat week", MissingRangeError),
    ("for Febtember 2024", InvalidDateError),
    ("for Septober 2024", InvalidDateError),
    ("for Decembruary 2024", InvalidDateError),
    ("for Juin 2024", InvalidDateError),
    ("for previus month", MissingRangeError),
    ("for the last 7 dyas", MissingRangeError),
    ("for Wendesday", MissingRangeError),
]


@pytest.mark.parametrize(("phrase", "start", "end"), RESOLVED)
def test_resolves_exactly(phrase: str, start: str, end: str) -> None:
    command = parse_command(_command(phrase), today=TODAY)
    assert (command.range_start.isoformat(), command.range_end.isoformat()) == (start, end)
    assert command.days == (command.range_end - command.range_start).days + 1


@pytest.mark.parametrize(("phrase", "error"), REFUSED)
def test_refused_exactly(phrase: str, error: type[CommandError]) -> None:
    with pytest.raises(CommandError) as info:
        parse_command(_command(phrase), today=TODAY)
    assert type(info.value) is error, info.value.user_message
    assert len(info.value.user_message) > 30


def test_the_table_is_big_enough() -> None:
    assert len(RESOLVED) + len(REFUSED) >= 150
    assert len({p for p, *_ in RESOLVED} | {p for p, _ in REFUSED}) == len(RESOLVED) + len(REFUSED)
