"""Phrasings beyond the corpus: each resolves exactly as a careful operator would read it
(RANGE_SEMANTICS.md), or is refused with a message that says why and shows an example.
Never a range that silently differs from the words: a modifier the grammar cannot read
("first week of", "except", "mid-") is an error, not dropped."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import (
    CommandError,
    FutureRangeError,
    InvalidDateError,
    MissingRangeError,
    RangeTooLongError,
)
from bot.parsing import parse_command

from .conftest import reading_notes

TODAY = date(2026, 11, 28)  # a Saturday; last week is Nov 16-22, this week started Nov 23

# (phrase after "backfill transfer 456789 ", start, end)
RESOLVED: list[tuple[str, str, str]] = [
    # parts of a month: days counted from its first or last day
    ("for first 10 days of March", "2026-03-01", "2026-03-10"),
    ("for the first ten days of March 2024", "2024-03-01", "2024-03-10"),
    ("for the last 3 days of October", "2026-10-29", "2026-10-31"),
    ("the last three days in October", "2026-10-29", "2026-10-31"),
    ("for the first 10 days of last month", "2026-10-01", "2026-10-10"),
    ("for the first 10 days of this month", "2026-11-01", "2026-11-10"),
    ("for the first 31 days of March", "2026-03-01", "2026-03-31"),
    ("for the first couple of days of March", "2026-03-01", "2026-03-02"),
    ("for the first 3 days of last week", "2026-11-16", "2026-11-18"),
    ("for the last 2 days of last week", "2026-11-21", "2026-11-22"),
    ("for the first day of last month", "2026-10-01", "2026-10-01"),
    ("for the last day of last month", "2026-10-31", "2026-10-31"),
    ("for the first of the month", "2026-11-01", "2026-11-01"),
    # weeks of a month: 7-day blocks (with a note)
    ("for first week of March", "2026-03-01", "2026-03-07"),
    ("for the first week of March 2024", "2024-03-01", "2024-03-07"),
    ("for the second week of March", "2026-03-08", "2026-03-14"),
    ("for the 3rd week of Jan 2025", "2025-01-15", "2025-01-21"),
    ("for the last week of March", "2026-03-25", "2026-03-31"),
    ("for the last week of February 2024", "2024-02-23", "2024-02-29"),
    ("for the first two weeks of March", "2026-03-01", "2026-03-14"),
    ("for the last 2 weeks of last month", "2026-10-18", "2026-10-31"),
    ("for the last week of 2025", "2025-12-25", "2025-12-31"),
    # halves
    ("for the first half of March", "2026-03-01", "2026-03-15"),
    ("for second half of March", "2026-03-16", "2026-03-31"),
    ("for the second half of February 2024", "2024-02-16", "2024-02-29"),
    ("for the second half of last month", "2026-10-16", "2026-10-31"),
    ("for the first half of the year", "2026-01-01", "2026-06-30"),
    ("for the last half of 2024", "2024-07-01", "2024-12-31"),
    # months and quarters of a longer period
    ("for the first 3 months of 2024", "2024-01-01", "2024-03-31"),
    ("for the last 2 months of last year", "2025-11-01", "2025-12-31"),
    ("for the first month of Q3", "2026-07-01", "2026-07-31"),
    ("for the 2nd quarter of last year", "2025-04-01", "2025-06-30"),
    ("for last year's Q3", "2025-07-01", "2025-09-30"),
    ("for last year's March", "2025-03-01", "2025-03-31"),
    # weekdays of a named week
    ("for Monday last week", "2026-11-16", "2026-11-16"),
    ("for last week Monday", "2026-11-16", "2026-11-16"),
    ("for Tuesday of last week", "2026-11-17", "2026-11-17"),
    ("for friday this week", "2026-11-27", "2026-11-27"),
    ("Monday to Friday last week", "2026-11-16", "2026-11-20"),
    ("Mon-Fri of the week before last", "2026-11-09", "2026-11-13"),
    ("for this past week", "2026-11-16", "2026-11-22"),
    # counted from a day
    ("for the week starting March 2", "2026-03-02", "2026-03-08"),
    ("for the week commencing 2 March 2026", "2026-03-02", "2026-03-08"),
    ("for the week ending March 10", "2026-03-04", "2026-03-10"),
    ("for 7 days ending yesterday", "2026-11-21", "2026-11-27"),
    ("for 10 days from March 5", "2026-03-05", "2026-03-14"),
    ("for two weeks starting 2024-03-04", "2024-03-04", "2024-03-17"),
    # open ends
    ("from March 1 to date", "2026-03-01", "2026-11-28"),
    ("for Q3 to date", "2026-07-01", "2026-11-28"),
    ("March 1st onwards", "2026-03-01", "2026-11-28"),
    ("since the start of the year", "2026-01-01", "2026-11-28"),
    ("since the beginning of last month", "2026-10-01", "2026-11-28"),
    ("since the 1st of the month", "2026-11-01", "2026-11-28"),
    ("for the 10th through today", "2026-11-10", "2026-11-28"),
    # start/end of a period as the ends of a span
    ("from the start of March to the end of April", "2026-03-01", "2026-04-30"),
    ("from the beginning of last month until the end of last month", "2026-10-01", "2026-10-31"),
    # relative days, and the filler around them
    ("for the day before yesterday", "2026-11-26", "2026-11-26"),
    ("for the week before last", "2026-11-09", "2026-11-15"),
    ("3 weeks ago", "2026-11-07", "2026-11-07"),
    ("for last fortnight", "2026-11-14", "2026-11-27"),
    ("between the 5th and the 9th", "2026-11-05", "2026-11-09"),
    ("from the 3rd", "2026-11-03", "2026-11-28"),
    ("for last month please", "2026-10-01", "2026-10-31"),
    ("for last month asap", "2026-10-01", "2026-10-31"),
    ("for last month for the dashboard", "2026-10-01", "2026-10-31"),
    ("for yesterday only, thanks", "2026-11-27", "2026-11-27"),
    ("for last month by EOD please", "2026-10-01", "2026-10-31"),
    ("March 3 forward", "2026-03-03", "2026-11-28"),
    ("for last night", "2026-11-27", "2026-11-27"),
    ("from the start of the month to yesterday", "2026-11-01", "2026-11-27"),
    ("from the start of the year to March 3", "2026-01-01", "2026-03-03"),
    ("from the first week of March to the second week of April", "2026-03-01", "2026-04-14"),
    ("for the first 2 quarters of 2025", "2025-01-01", "2025-06-30"),
    ("for the last 3 days of last year", "2025-12-29", "2025-12-31"),
    ("for the first ten days of the month of March", "2026-03-01", "2026-03-10"),
    ("for last 2 weeks of data", "2026-11-14", "2026-11-27"),
]


@pytest.mark.parametrize(("phrase", "start", "end"), RESOLVED)
def test_resolves_exactly(phrase: str, start: str, end: str) -> None:
    command = parse_command(f"backfill transfer 456789 {phrase}", today=TODAY)
    assert (command.range_start.isoformat(), command.range_end.isoformat()) == (start, end)
    assert command.transfer_id == 456789
    assert command.days == (command.range_end - command.range_start).days + 1


# (phrase after "backfill transfer 456789 ", error class, words the message must hold)
REFUSED: list[tuple[str, type[CommandError], str]] = [
    # vague parts of a period: an exact example instead of a guess
    ("for mid-March", MissingRangeError, '"mid-March" is not an exact range'),
    ("for mid March", MissingRangeError, "2026-03-11 to 2026-03-20"),
    ("for early January", MissingRangeError, "2026-01-01 to 2026-01-10"),
    ("for late January 2025", MissingRangeError, "2025-01-21 to 2025-01-31"),
    ("for the middle of last month", MissingRangeError, "not an exact range"),
    ("for end of last month", MissingRangeError, '"the last day of last month" (2026-10-31)'),
    ("for beginning of Q3", MissingRangeError, '"the first day of Q3" (2026-07-01)'),
    ("for the end of the month", MissingRangeError, "the last 7 days of the month"),
    ("till the end of last month", MissingRangeError, "not an exact range"),
    # calendars and units the bot does not know
    ("for FY2024", MissingRangeError, "fiscal"),
    ("for FY 2024", MissingRangeError, "fiscal"),
    ("for last fiscal year", MissingRangeError, "fiscal"),
    ("for last 2 business days", MissingRangeError, "2026-11-26 to 2026-11-27"),
    ("for the last business day", MissingRangeError, "2026-11-27 to 2026-11-27"),
    ("for last 5 working days", MissingRangeError, "2026-11-23 to 2026-11-27"),
    ("for last 24 hours", MissingRangeError, "whole days, not hours"),
    ("for the past 48 hrs", MissingRangeError, "whole days, not hours"),
    # a part that does not fit, or does not split evenly
    ("for the fifth week of February", InvalidDateError, "has only 28 days"),
    ("for the last 40 days of March", InvalidDateError, "has only 31 days"),
    ("for the first half of Q3", MissingRangeError, "can't split"),
    ("for the first 0 days of March", MissingRangeError, "empty range"),
    ("for 0 days starting March 2", MissingRangeError, "empty range"),
    # words beside the range that change it in ways the grammar cannot read
    ("for March except the weekends", MissingRangeError, '"except"'),
    ("for weekdays in March", MissingRangeError, '"weekdays"'),
    ("for every Monday in March", MissingRangeError, '"every Monday"'),
    ("for March, excluding the 5th", MissingRangeError, '"excluding"'),
    ("for last month excl weekends", MissingRangeError, '"excl weekends"'),
    ("for 3 days around March 5", MissingRangeError, '"3 days around"'),
    ("for the 3 days before March 5", MissingRangeError, "I'm not sure how"),
    ("for the week after March 5", MissingRangeError, '"week after"'),
    ("for March 5 plus 3 days", MissingRangeError, '"3 days"'),
    ("for the first 10 days", MissingRangeError, '"10 days"'),
    ("for the first full week of March", MissingRangeError, "I'm not sure how"),
    ("for week 1 of March", MissingRangeError, "I'm not sure how"),
    ("for Q3 end", MissingRangeError, '"end"'),
    ("for sometime last week", MissingRangeError, '"sometime"'),
    ("for approximately last week", MissingRangeError, '"approximately"'),
    ("3 days from now", MissingRangeError, '"3 days"'),
    ("last week Monday to Friday", MissingRangeError, "more than one range"),
    ("up to March 3", MissingRangeError, '"up"'),
    ("by March 3", MissingRangeError, '"by"'),
    ("as of March 3", MissingRangeError, '"as"'),
    ("no later than March 3", MissingRangeError, '"later than"'),
    ("March 3 and beyond", MissingRangeError, '"beyond"'),
    ("for March 3 & 4", MissingRangeError, '"4"'),
    ("for March 3, 4 and 5", MissingRangeError, '"4"'),
    ("for summer 2025", MissingRangeError, '"summer"'),
    ("for circa last week", MissingRangeError, '"circa"'),
    ("from 1st of March to the end of the month", MissingRangeError, 'which month "the month"'),
    ("from early March to late April", MissingRangeError, '"early March" is not an exact'),
    ("since mid-March", MissingRangeError, '"mid-March" is not an exact'),
    ("for the first 10 days of each month", MissingRangeError, "I'm not sure how"),
    # dateparser is asked only about relative days, not "the last decade" or "one month"
    ("for the last decade", MissingRangeError, "couldn't find a date range"),
    ("for one month", MissingRangeError, "couldn't find a date range"),
    # two ranges side by side
    ("Q3 2024 + Q4 2024", MissingRangeError, "more than one range"),
    ("Q3 2024, Q4 2024", MissingRangeError, "more than one range"),
    ("for January and February", MissingRangeError, 'more than one range ("January"'),
    ("for last month and this month", MissingRangeError, "more than one range"),
    ("for March 2024 and March 2025", MissingRangeError, "more than one range"),
    ("for Q1 or Q2", MissingRangeError, "more than one range"),
    ("for last month (October)", MissingRangeError, "more than one range"),
    ("yesterday and today", MissingRangeError, "more than one range"),
    # refused for the usual reasons, also in the new shapes
    ("for the week starting next Monday", FutureRangeError, "in the future"),
    ("for the first 2 weeks of 2024-W10", InvalidDateError, "has only 7 days"),
    ("for 400 days ending yesterday", RangeTooLongError, "maximum of 366 days"),
]


@pytest.mark.parametrize(("phrase", "error", "words"), REFUSED)
def test_refused_with_a_clear_message(phrase: str, error: type[CommandError], words: str) -> None:
    with pytest.raises(error) as caught:
        parse_command(f"backfill transfer 456789 {phrase}", today=TODAY)
    message = caught.value.user_message
    assert words in message
    # every refusal shows something that works
    assert "e.g." in message or "Try" in message or "Give" in message


def test_tables_are_broad() -> None:
    assert len(RESOLVED) + len(REFUSED) >= 100
    assert len({p for p, _, _ in RESOLVED} | {p for p, _, _ in REFUSED}) == len(RESOLVED) + len(
        REFUSED
    )


# --- notes say how "week" and "half" were read ------------------------------------


@pytest.mark.parametrize(
    ("phrase", "note"),
    [
        (
            "first week of March",
            'Read "first week of March" as March 1-7, 2026: 7 days counted from its first '
            "day, not calendar (Monday-Sunday) weeks.",
        ),
        (
            "the last week of March",
            'Read "last week of March" as March 25-31, 2026: 7 days counted from its last '
            "day back, not calendar (Monday-Sunday) weeks.",
        ),
        ("second half of March", 'Read "second half of March" as March 16-31, 2026.'),
        ("the first half of last month", 'Read "first half of last month" as October 1-15, 2026.'),
    ],
)
def test_week_and_half_of_a_month_say_how_they_were_read(phrase: str, note: str) -> None:
    command = parse_command(f"backfill transfer 456789 for {phrase}", today=TODAY)
    assert reading_notes(command.notes) == (note,)


@pytest.mark.parametrize(
    "phrase",
    [
        "first 10 days of March",
        "last 3 days of October",
        "first 3 months of 2024",
        "first half of 2024",
    ],
)
def test_exact_parts_need_no_note(phrase: str) -> None:
    notes = parse_command(f"backfill transfer 7 for {phrase}", today=TODAY).notes
    assert reading_notes(notes) == ()


def test_a_part_ending_after_today_is_clamped_and_says_so() -> None:
    command = parse_command("backfill transfer 7 for the last week of this month", today=TODAY)
    assert (command.range_start, command.range_end) == (date(2026, 11, 24), TODAY)
    assert command.clamped is True
    assert any("November 24-30, 2026" in note for note in command.notes)
    assert any("shortened to end today" in note for note in command.notes)


def test_a_part_wholly_after_today_is_refused() -> None:
    with pytest.raises(FutureRangeError):
        parse_command("backfill transfer 7 for the last week of the quarter", today=TODAY)


# --- transfer names that hold date-like words ----------------------------------------

NAMES: list[tuple[str, str, str, str]] = [
    ('backfill "Weekly Q3 report" for last month', "Weekly Q3 report", "2026-10-01", "2026-10-31"),
    (
        "backfill the March Madness transfer for last week",
        "March Madness",
        "2026-11-16",
        "2026-11-22",
    ),
    ("backfill March Madness for March", "March Madness", "2026-03-01", "2026-03-31"),
    ("backfill Weekly Report for last month", "Weekly Report", "2026-10-01", "2026-10-31"),
    ("backfill Q4 Forecast for last quarter", "Q4 Forecast", "2026-07-01", "2026-09-30"),
    ("backfill the Q3 transfer for last week", "Q3", "2026-11-16", "2026-11-22"),
    ("backfill Sunday Sales for last week", "Sunday Sales", "2026-11-16", "2026-11-22"),
    ("backfill 2024 Budget for March", "2024 Budget", "2026-03-01", "2026-03-31"),
    ("backfill Facebook Ads 2024 for last month", "Facebook Ads 2024", "2026-10-01", "2026-10-31"),
    ("please backfill FY Budget for last month asap", "FY Budget", "2026-10-01", "2026-10-31"),
    (
        'backfill "Monthly - first week" for the first week of March',
        "Monthly - first week",
        "2026-03-01",
        "2026-03-07",
    ),
]


@pytest.mark.parametrize(("text", "name", "start", "end"), NAMES)
def test_names_with_date_words_are_names(text: str, name: str, start: str, end: str) -> None:
    command = parse_command(text, today=TODAY)
    assert command.transfer_name == name
    assert (command.range_start.isoformat(), command.range_end.isoformat()) == (start, end)


@pytest.mark.parametrize(
    "text",
    [
        # a date word right beside the range, with only filler between: unclear, so refused
        "backfill Sales Q3 for last month",
        "backfill transfer 456789 March for last week",
    ],
)
def test_date_word_beside_the_range_asks_for_quotes(text: str) -> None:
    with pytest.raises(MissingRangeError) as caught:
        parse_command(text, today=TODAY)
    assert "put the name in quotes" in caught.value.user_message
