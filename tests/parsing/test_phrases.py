"""A broad table of phrasings with the exact range each must resolve to."""

from __future__ import annotations

from datetime import date

import pytest

from bot.parsing import parse_command

SAT = "2026-11-28"  # a Saturday in Q4; ISO week 48 starts Monday 2026-11-23

# (today, phrase, start, end); the phrase follows "backfill transfer 456789 "
RANGES: list[tuple[str, str, str, str]] = [
    # months and days, named
    (SAT, "Sept 2025", "2025-09-01", "2025-09-30"),
    (SAT, "sep. 3rd, 2024", "2024-09-03", "2024-09-03"),
    (SAT, "Jan. 5th 2024", "2024-01-05", "2024-01-05"),
    (SAT, "3rd of March", "2026-03-03", "2026-03-03"),
    (SAT, "on March 3", "2026-03-03", "2026-03-03"),
    (SAT, "march the 3rd, 2024", "2024-03-03", "2024-03-03"),
    (SAT, "the twenty-first of June 2025", "2025-06-21", "2025-06-21"),
    (SAT, "Tuesday, March 3, 2026", "2026-03-03", "2026-03-03"),
    (SAT, "Tue 3 Mar 2026", "2026-03-03", "2026-03-03"),
    (SAT, "jan '24", "2024-01-01", "2024-01-31"),
    (SAT, "the month of March 2024", "2024-03-01", "2024-03-31"),
    (SAT, "the whole of March 2024", "2024-03-01", "2024-03-31"),
    (SAT, "March of last year", "2025-03-01", "2025-03-31"),
    (SAT, "December", "2025-12-01", "2025-12-31"),
    (SAT, "in May", "2026-05-01", "2026-05-31"),
    (SAT, "last November", "2025-11-01", "2025-11-30"),
    (SAT, "for the 31st", "2026-10-31", "2026-10-31"),
    (SAT, "Feb 29", "2024-02-29", "2024-02-29"),
    (SAT, "the 29th of February", "2024-02-29", "2024-02-29"),
    # day spans inside a month
    (SAT, "the 3rd to the 10th of March 2024", "2024-03-03", "2024-03-10"),
    (SAT, "3-10 March 2024", "2024-03-03", "2024-03-10"),
    (SAT, "March 3 to 10", "2026-03-03", "2026-03-10"),
    (SAT, "march 3rd-10th", "2026-03-03", "2026-03-10"),
    (SAT, "3rd-10th march", "2026-03-03", "2026-03-10"),
    (SAT, "between 1st and 15th of March 2024", "2024-03-01", "2024-03-15"),
    (SAT, "1st - 31st jan 2024", "2024-01-01", "2024-01-31"),
    (SAT, "March 3 to 10, 2024", "2024-03-03", "2024-03-10"),
    # spans with every separator
    (SAT, "between March 3 and March 10", "2026-03-03", "2026-03-10"),
    (SAT, "2024-01-01..2024-01-31", "2024-01-01", "2024-01-31"),
    (SAT, "2024-01-01…2024-01-31", "2024-01-01", "2024-01-31"),
    (SAT, "2024/01/01 – 2024/01/31", "2024-01-01", "2024-01-31"),
    (SAT, "2024-03-03 - 2024-03-05", "2024-03-03", "2024-03-05"),
    (SAT, "Mar 3 — Mar 10", "2026-03-03", "2026-03-10"),
    (SAT, "from 1/2/2024 through 1/9/2024", "2024-01-02", "2024-01-09"),
    (SAT, "from 2024-01-01 until 2024-01-31", "2024-01-01", "2024-01-31"),
    (SAT, "2024-01-01 thru 2024-01-31", "2024-01-01", "2024-01-31"),
    (SAT, "between 2024-01-01 & 2024-01-31", "2024-01-01", "2024-01-31"),
    (SAT, "jan 1 2024 - jan 31 2024", "2024-01-01", "2024-01-31"),
    (SAT, "March 3rd through April 5th, 2024", "2024-03-03", "2024-04-05"),
    (SAT, "Jan - Mar 2024", "2024-01-01", "2024-03-31"),
    (SAT, "Jan 2024 to Mar 2024", "2024-01-01", "2024-03-31"),
    (SAT, "dec 2023 - feb 2024", "2023-12-01", "2024-02-29"),
    (SAT, "December 2025 through February 2026", "2025-12-01", "2026-02-28"),
    (SAT, "Q1-Q3 2024", "2024-01-01", "2024-09-30"),
    (SAT, "from last monday to last friday", "2026-11-23", "2026-11-27"),
    (SAT, "from 2 weeks ago to yesterday", "2026-11-14", "2026-11-27"),
    (SAT, "start of last month to yesterday", "2026-10-01", "2026-11-27"),
    (SAT, "between yesterday and today", "2026-11-27", "2026-11-28"),
    # cross-year spans and the one-sided year rule
    (SAT, "Dec 20 to Jan 5 2025", "2024-12-20", "2025-01-05"),
    (SAT, "Dec 20 2024 to Jan 5", "2024-12-20", "2025-01-05"),
    (SAT, "from Feb 29 to Mar 3", "2024-02-29", "2024-03-03"),
    ("2026-01-01", "Dec 20 to Jan 5", "2025-12-20", "2026-01-01"),
    ("2026-12-25", "Dec 20 to Jan 5", "2026-12-20", "2026-12-25"),
    # quarters, halves, years
    (SAT, "Q4 2025", "2025-10-01", "2025-12-31"),
    (SAT, "2025 Q4", "2025-10-01", "2025-12-31"),
    (SAT, "2025-Q4", "2025-10-01", "2025-12-31"),
    (SAT, "2024q3", "2024-07-01", "2024-09-30"),
    (SAT, "q3/2024", "2024-07-01", "2024-09-30"),
    (SAT, "4th quarter of 2025", "2025-10-01", "2025-12-31"),
    (SAT, "fourth quarter of 2025", "2025-10-01", "2025-12-31"),
    (SAT, "quarter 3 of 2024", "2024-07-01", "2024-09-30"),
    (SAT, "Q3 last year", "2025-07-01", "2025-09-30"),
    (SAT, "last Q3", "2026-07-01", "2026-09-30"),
    (SAT, "last quarter", "2026-07-01", "2026-09-30"),
    (SAT, "the last full quarter", "2026-07-01", "2026-09-30"),
    (SAT, "H2 2025", "2025-07-01", "2025-12-31"),
    (SAT, "second half of 2025", "2025-07-01", "2025-12-31"),
    (SAT, "first half of last year", "2025-01-01", "2025-06-30"),
    (SAT, "H1", "2026-01-01", "2026-06-30"),
    (SAT, "in 2024", "2024-01-01", "2024-12-31"),
    (SAT, "all of 2024", "2024-01-01", "2024-12-31"),
    (SAT, "the year 2024", "2024-01-01", "2024-12-31"),
    (SAT, "previous year", "2025-01-01", "2025-12-31"),
    # ISO weeks
    (SAT, "2025-W07", "2025-02-10", "2025-02-16"),
    (SAT, "2025W07", "2025-02-10", "2025-02-16"),
    (SAT, "week 7 2025", "2025-02-10", "2025-02-16"),
    (SAT, "week 7 of 2025", "2025-02-10", "2025-02-16"),
    (SAT, "wk 12 2024", "2024-03-18", "2024-03-24"),
    (SAT, "calendar week 12", "2026-03-16", "2026-03-22"),
    (SAT, "2020-W53", "2020-12-28", "2021-01-03"),
    (SAT, "the week of March 3", "2026-03-02", "2026-03-08"),
    # relative periods
    (SAT, "today", SAT, SAT),
    (SAT, "yesterday", "2026-11-27", "2026-11-27"),
    (SAT, "the day before yesterday", "2026-11-26", "2026-11-26"),
    (SAT, "3 days ago", "2026-11-25", "2026-11-25"),
    (SAT, "a fortnight ago", "2026-11-14", "2026-11-14"),
    (SAT, "two weeks ago", "2026-11-14", "2026-11-14"),
    (SAT, "saturday", SAT, SAT),
    (SAT, "last saturday", "2026-11-21", "2026-11-21"),
    (SAT, "last week", "2026-11-16", "2026-11-22"),
    (SAT, "this week", "2026-11-23", SAT),
    (SAT, "week to date", "2026-11-23", SAT),
    (SAT, "WTD", "2026-11-23", SAT),
    (SAT, "MTD", "2026-11-01", SAT),
    (SAT, "month to date", "2026-11-01", SAT),
    (SAT, "this month-to-date", "2026-11-01", SAT),
    (SAT, "QTD", "2026-10-01", SAT),
    (SAT, "YTD", "2026-01-01", SAT),
    (SAT, "year-to-date", "2026-01-01", SAT),
    (SAT, "last calendar month", "2026-10-01", "2026-10-31"),
    (SAT, "past thirty days", "2026-10-29", "2026-11-27"),
    (SAT, "last twenty-one days", "2026-11-07", "2026-11-27"),
    (SAT, "the past hundred days", "2026-08-20", "2026-11-27"),
    (SAT, "last 7 days excluding today", "2026-11-21", "2026-11-27"),
    (SAT, "last 7 days including today", "2026-11-22", SAT),
    (SAT, "last 6 weeks", "2026-10-17", "2026-11-27"),
    (SAT, "previous 3 months", "2026-08-01", "2026-10-31"),
    (SAT, "last 3 months including this month", "2026-09-01", SAT),
    (SAT, "last 2 quarters", "2026-04-01", "2026-09-30"),
    # open ranges
    (SAT, "since 2026-10-01", "2026-10-01", SAT),
    (SAT, "from March 3", "2026-03-03", SAT),
    (SAT, "from March 3 onwards", "2026-03-03", SAT),
    (SAT, "starting from March 3", "2026-03-03", SAT),
    (SAT, "since last month", "2026-10-01", SAT),
    (SAT, "since Monday", "2026-11-23", SAT),
    # numeric dates
    (SAT, "13/01/2026", "2026-01-13", "2026-01-13"),
    (SAT, "01.05.2024", "2024-01-05", "2024-01-05"),
    (SAT, "1/2/24", "2024-01-02", "2024-01-02"),
    (SAT, "2024.01.05", "2024-01-05", "2024-01-05"),
    (SAT, "2024-01", "2024-01-01", "2024-01-31"),
    (SAT, "12/25/2024", "2024-12-25", "2024-12-25"),
    # leap years and year boundaries
    ("2024-03-01", "last month", "2024-02-01", "2024-02-29"),
    ("2024-03-01", "February", "2024-02-01", "2024-02-29"),
    ("2024-03-01", "last 2 months", "2024-01-01", "2024-02-29"),
    ("2024-03-01", "yesterday", "2024-02-29", "2024-02-29"),
    ("2025-03-01", "last month", "2025-02-01", "2025-02-28"),
    ("2025-03-01", "Feb 29", "2024-02-29", "2024-02-29"),
    ("2100-03-01", "Feb 29", "2096-02-29", "2096-02-29"),
    ("2026-01-01", "last year", "2025-01-01", "2025-12-31"),
    ("2026-01-01", "this year", "2026-01-01", "2026-01-01"),
    ("2026-01-01", "last week", "2025-12-22", "2025-12-28"),
    ("2026-01-01", "this week", "2025-12-29", "2026-01-01"),
    ("2026-01-01", "last 7 days", "2025-12-25", "2025-12-31"),
    ("2026-01-01", "last quarter", "2025-10-01", "2025-12-31"),
    ("2026-01-01", "Q4", "2025-10-01", "2025-12-31"),
    ("2026-01-01", "December", "2025-12-01", "2025-12-31"),
    ("2024-12-30", "last week", "2024-12-23", "2024-12-29"),
    ("2024-12-30", "this week", "2024-12-30", "2024-12-30"),
    ("2026-01-15", "last January", "2025-01-01", "2025-01-31"),
    ("2026-01-15", "Dec 30 to Jan 2", "2025-12-30", "2026-01-02"),
]


@pytest.mark.parametrize(("today", "phrase", "start", "end"), RANGES)
def test_range(today: str, phrase: str, start: str, end: str) -> None:
    command = parse_command(f"backfill transfer 456789 {phrase}", today=date.fromisoformat(today))
    assert (command.range_start.isoformat(), command.range_end.isoformat()) == (start, end)
    assert command.days == (command.range_end - command.range_start).days + 1
    assert command.transfer_id == 456789


def test_table_is_broad() -> None:
    assert len(RANGES) >= 80
    assert len({phrase for _, phrase, _, _ in RANGES}) > 100


# (today, phrase, start, end) where the phrase's own end lies after today
CLAMPED = [
    (SAT, "Q4", "2026-10-01", SAT),
    (SAT, "nov 20 - dec 5", "2026-11-20", SAT),
    (SAT, "November", "2026-11-01", SAT),
    ("2026-01-01", "Dec 20 to Jan 5", "2025-12-20", "2026-01-01"),
    ("2026-01-01", "week 1", "2025-12-29", "2026-01-01"),
    ("2024-12-30", "week 1", "2024-12-30", "2024-12-30"),
    ("2027-03-15", "Q1", "2027-01-01", "2027-03-15"),
    (SAT, "2026-11-01 to 2026-12-31", "2026-11-01", SAT),
]


@pytest.mark.parametrize(("today", "phrase", "start", "end"), CLAMPED)
def test_end_after_today_is_clamped_with_a_note(
    today: str, phrase: str, start: str, end: str
) -> None:
    command = parse_command(f"backfill transfer 7 {phrase}", today=date.fromisoformat(today))
    assert (command.range_start.isoformat(), command.range_end.isoformat()) == (start, end)
    assert command.clamped is True
    assert any(f"end today ({today})" in note for note in command.notes)


@pytest.mark.parametrize(
    "phrase", ["this month", "MTD", "since March 3", "last 3 days incl. today"]
)
def test_phrases_that_end_today_by_definition_are_not_clamped(phrase: str) -> None:
    command = parse_command(f"backfill transfer 7 {phrase}", today=date(2026, 11, 28))
    assert command.range_end == date(2026, 11, 28)
    assert command.clamped is False
    # not clamped, but today is in the range, and it is not over yet
    assert command.notes == (
        "Today is 2026-11-28 (Saturday).",
        "Today (2026-11-28) is not over yet, so its data may still be incomplete; "
        "backfill it again tomorrow for the full day.",
    )


# --- numeric day order ------------------------------------------------------------


def test_ambiguous_numeric_date_follows_mdy_by_default_and_says_so() -> None:
    command = parse_command("backfill transfer 7 on 01/05/2024", today=date(2026, 11, 28))
    assert command.range_start == date(2024, 1, 5)
    assert command.notes == ("Read 01/05/2024 as January 5, 2024 (MDY).",)


def test_ambiguous_numeric_date_follows_dmy_when_configured() -> None:
    command = parse_command(
        "backfill transfer 7 on 01/05/2024", today=date(2026, 11, 28), date_order="DMY"
    )
    assert command.range_start == date(2024, 5, 1)
    assert command.notes == ("Read 01/05/2024 as May 1, 2024 (DMY).",)


@pytest.mark.parametrize(
    ("order", "expected"), [("MDY", date(2024, 1, 5)), ("DMY", date(2024, 5, 1))]
)
def test_explicit_day_order_has_no_note(order: str, expected: date) -> None:
    command = parse_command(
        "backfill transfer 7 on 01.05.2024",
        today=date(2026, 11, 28),
        date_order=order,
        date_order_explicit=True,
    )
    assert command.range_start == expected
    assert command.notes == ()


@pytest.mark.parametrize("order", ["MDY", "DMY"])
def test_only_valid_reading_is_used_whatever_the_order(order: str) -> None:
    for text, expected in (("13/01/2026", date(2026, 1, 13)), ("01/13/2026", date(2026, 1, 13))):
        command = parse_command(
            f"backfill transfer 7 on {text}", today=date(2026, 11, 28), date_order=order
        )
        assert command.range_start == expected
        assert command.notes == ()


def test_same_reading_either_way_has_no_note() -> None:
    command = parse_command("backfill transfer 7 on 05/05/2024", today=date(2026, 11, 28))
    assert command.range_start == date(2024, 5, 5)
    assert command.notes == ()


def test_span_of_numeric_dates_in_dmy() -> None:
    command = parse_command(
        "backfill transfer 7 from 3.3.2024 to 10.3.2024", today=date(2026, 11, 28), date_order="DMY"
    )
    assert (command.range_start, command.range_end) == (date(2024, 3, 3), date(2024, 3, 10))
    assert command.notes == ("Read 10.3.2024 as March 10, 2024 (DMY).",)


def test_case_and_spacing_do_not_matter() -> None:
    today = date(2026, 11, 28)
    plain = parse_command("backfill transfer 456789 for last january", today=today)
    for variant in (
        "BACKFILL TRANSFER 456789 FOR LAST JANUARY",
        "  backfill   transfer\t456789  for   LaSt  JaNuArY  ",
        "please backfill transfer 456789 for last January, thanks!",
        "could you pls backfill the transfer 456789 for last January?",
    ):
        assert parse_command(variant, today=today) == plain


MORE: list[tuple[str, str, str, str]] = [
    (SAT, "from the 1st to the 15th", "2026-11-01", "2026-11-15"),
    (SAT, "the 1st of last month", "2026-10-01", "2026-10-01"),
    (SAT, "the 15th of this month", "2026-11-15", "2026-11-15"),
    (SAT, "from the 1st of last month to yesterday", "2026-10-01", "2026-11-27"),
    (SAT, "last weekend", "2026-11-21", "2026-11-22"),
    (SAT, "the week before last", "2026-11-09", "2026-11-15"),
    (SAT, "the month before last", "2026-09-01", "2026-09-30"),
    (SAT, "the last couple of days", "2026-11-26", "2026-11-27"),
    (SAT, "last 30d", "2026-10-29", "2026-11-27"),
    (SAT, "11/2025", "2025-11-01", "2025-11-30"),
    (SAT, "last month's data", "2026-10-01", "2026-10-31"),
    (SAT, "yesterday's numbers", "2026-11-27", "2026-11-27"),
    (SAT, "for January 5th through the 10th", "2026-01-05", "2026-01-10"),
    (SAT, "the fifth through the tenth of January", "2026-01-05", "2026-01-10"),
    (SAT, "January through March", "2026-01-01", "2026-03-31"),
    (SAT, "q3 of this year", "2026-07-01", "2026-09-30"),
    (SAT, "Q3 '24", "2024-07-01", "2024-09-30"),
    (SAT, "2nd half 2025", "2025-07-01", "2025-12-31"),
    (SAT, "the entire month of January", "2026-01-01", "2026-01-31"),
    (SAT, "all of last month", "2026-10-01", "2026-10-31"),
    (SAT, "the current quarter", "2026-10-01", SAT),
    (SAT, "this quarter so far", "2026-10-01", SAT),
    (SAT, "1/1 - 1/15", "2026-01-01", "2026-01-15"),
    (SAT, "1/1/2024-1/15/2024", "2024-01-01", "2024-01-15"),
    (SAT, "2024-1-5", "2024-01-05", "2024-01-05"),
    (SAT, "over the past 2 weeks", "2026-11-14", "2026-11-27"),
    (SAT, "- last 7 days", "2026-11-21", "2026-11-27"),
    (SAT, "the final quarter of 2025", "2025-10-01", "2025-12-31"),
    (SAT, "the last quarter of 2025", "2025-10-01", "2025-12-31"),
    (SAT, "the last month of 2025", "2025-12-01", "2025-12-31"),
    (SAT, "2H 2025", "2025-07-01", "2025-12-31"),
    (SAT, "3Q 2025", "2025-07-01", "2025-09-30"),
    (SAT, "20 Dec to 5 Jan", "2025-12-20", "2026-01-05"),
    (SAT, "Dec 20, 2024 - Jan 5, 2025", "2024-12-20", "2025-01-05"),
    (SAT, "since the first of October", "2026-10-01", SAT),
    (SAT, "between 3 and 10 March 2024", "2024-03-03", "2024-03-10"),
]


@pytest.mark.parametrize(("today", "phrase", "start", "end"), MORE)
def test_more_ranges(today: str, phrase: str, start: str, end: str) -> None:
    command = parse_command(f"backfill transfer 456789 {phrase}", today=date.fromisoformat(today))
    assert (command.range_start.isoformat(), command.range_end.isoformat()) == (start, end)
