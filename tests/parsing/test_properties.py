"""Property-based tests: whatever the text, the parser answers with a valid command or a
CommandError; resolved ranges round-trip; relative phrases hold for any today."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.errors import CommandError
from bot.parsing import BackfillCommand, parse_command
from bot.parsing.periods import days_in_month, quarter_interval, shift_month, week_start
from bot.parsing.vocab import MONTH_NAMES

from .conftest import reading_notes

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

todays = st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31))

# words and shapes the grammar reacts to, so random sentences reach deep into it
VOCAB = [
    "backfill",
    "transfer",
    "#456789",
    "456789",
    "id",
    "1",
    "for",
    "the",
    "last",
    "past",
    "this",
    "next",
    "previous",
    "since",
    "from",
    "to",
    "through",
    "between",
    "and",
    "-",
    "–",
    "..",
    ",",
    "of",
    "on",
    "in",
    "days",
    "day",
    "weeks",
    "months",
    "quarter",
    "quarters",
    "year",
    "years",
    "week",
    "month",
    "including",
    "today",
    "yesterday",
    "tomorrow",
    "ago",
    "a",
    "fortnight",
    "January",
    "Feb",
    "feb.",
    "March",
    "Sept",
    "Dec",
    "monday",
    "sun",
    "Q3",
    "q5",
    "H2",
    "2024",
    "2025",
    "2026",
    "1999",
    "3",
    "3rd",
    "10th",
    "29",
    "30",
    "31",
    "45",
    "0",
    "twenty-one",
    "thirty",
    "hundred",
    "2024-01-05",
    "2024-13-01",
    "2024-02-30",
    "2024-02-29",
    "2024-W12",
    "2021-W53",
    "2024-01",
    "01/05/2024",
    "13/01/2026",
    "1/2",
    "01.05.2024",
    "2025Q4",
    "MTD",
    "ytd",
    "year-to-date",
    "'24",
    '"Facebook Ads"',
    "Google",
    "Ads",
    "please",
    "thanks",
    "blursday",
    "week",
    "99999999999999999999",
    "onwards",
    "inclusive",
    "start",
    "end",
    "(",
    ")",
    "?",
    # parts of periods, and the words that qualify a range
    "first",
    "second",
    "2nd",
    "half",
    "early",
    "mid",
    "mid-March",
    "late",
    "beginning",
    "except",
    "business",
    "hours",
    "FY2024",
    "fiscal",
    "starting",
    "ending",
    "onwards",
    "date",
    "present",
    "Monday",
    "friday",
]
sentences = st.lists(st.sampled_from(VOCAB), min_size=0, max_size=12).map(" ".join)


def _assert_valid(command: BackfillCommand, today: date, max_days: int) -> None:
    assert isinstance(command, BackfillCommand)
    assert command.range_start <= command.range_end <= today
    assert command.days == (command.range_end - command.range_start).days + 1
    assert 1 <= command.days <= max_days
    assert (command.transfer_id is None) != (command.transfer_name is None)
    if command.transfer_id is not None:
        assert command.transfer_id >= 1
    else:
        assert command.transfer_name and command.transfer_name.strip() == command.transfer_name
    assert all(isinstance(note, str) and note for note in command.notes)
    assert command.clamped == any("after today" in note for note in command.notes)


def _parse_or_error(
    text: str, today: date, *, date_order: str = "MDY", max_days: int = 366
) -> BackfillCommand | None:
    """The command (checked), or None after a CommandError with a message."""
    error: CommandError | None = None
    try:
        command = parse_command(text, today=today, date_order=date_order, max_days=max_days)
    except CommandError as exc:
        error = exc
    if error is not None:
        assert error.user_message
        return None
    _assert_valid(command, today, max_days)
    return command


@SETTINGS
@given(text=st.text(max_size=200), today=todays)
def test_any_text_gives_a_command_or_a_command_error(text: str, today: date) -> None:
    _parse_or_error(text, today)


@SETTINGS
@given(
    text=sentences,
    today=todays,
    order=st.sampled_from(["MDY", "DMY"]),
    max_days=st.integers(min_value=1, max_value=800),
)
@example(
    text="backfill transfer 1 from Dec 20 to Jan 5",
    today=date(2026, 1, 1),
    order="MDY",
    max_days=366,
)
def test_any_sentence_of_date_words_gives_a_command_or_a_command_error(
    text: str, today: date, order: str, max_days: int
) -> None:
    _parse_or_error(text, today, date_order=order, max_days=max_days)


@SETTINGS
@given(text=sentences, today=st.sampled_from([date(1, 1, 1), date(9999, 12, 31)]))
def test_the_ends_of_the_calendar_do_not_crash(text: str, today: date) -> None:
    _parse_or_error(text, today)


PHRASES = [
    "yesterday",
    "last week",
    "last month",
    "this month",
    "last quarter",
    "QTD",
    "YTD",
    "last 7 days",
    "past thirty days",
    "last 3 days including today",
    "last 2 weeks",
    "last 3 months",
    "December",
    "last January",
    "Q3",
    "H1",
    "week 12",
    "March 3 to 10",
    "Dec 20 to Jan 5",
    "since Monday",
    "from the 1st",
    "last friday",
    "2 weeks ago",
    "start of last month to yesterday",
    "Feb 29",
    "the 31st",
    "on 01/05",
    "this week",
    "the first 10 days of last month",
    "the last week of March",
    "the second half of last month",
    "the first 2 months of last quarter",
    "Monday to Friday last week",
    "the week ending yesterday",
    "March to date",
]


@SETTINGS
@given(phrase=st.sampled_from(PHRASES), today=todays)
def test_a_resolved_range_written_in_iso_parses_to_the_same_range(phrase: str, today: date) -> None:
    first = _parse_or_error(f"backfill transfer 42 for {phrase}", today)
    if first is None:
        return
    again = parse_command(
        f"backfill transfer 42 {first.range_start.isoformat()} to {first.range_end.isoformat()}",
        today=today,
    )
    assert (again.range_start, again.range_end) == (first.range_start, first.range_end)
    assert again.transfer_id == 42
    assert again.clamped is False


@SETTINGS
@given(
    today=todays,
    start_back=st.integers(min_value=0, max_value=900),
    length=st.integers(min_value=1, max_value=366),
    separator=st.sampled_from([" to ", " - ", "..", " through ", " – ", " until "]),
)
def test_explicit_iso_ranges_are_exact(
    today: date, start_back: int, length: int, separator: str
) -> None:
    start = today - timedelta(days=start_back)
    end = start + timedelta(days=length - 1)
    text = f"backfill transfer 42 from {start.isoformat()}{separator}{end.isoformat()}"
    command = parse_command(text, today=today)
    assert command.range_start == start
    assert command.range_end == min(end, today)
    assert command.clamped == (end > today)


@SETTINGS
@given(today=todays, count=st.integers(min_value=1, max_value=366))
def test_last_n_days_end_yesterday(today: date, count: int) -> None:
    command = parse_command(f"backfill transfer 1 for the last {count} days", today=today)
    assert command.range_end == today - timedelta(days=1)
    assert command.days == count
    including = parse_command(f"backfill #1 last {count} days including today", today=today)
    assert including.range_end == today
    assert including.days == count


@SETTINGS
@given(today=todays, count=st.integers(min_value=1, max_value=52))
def test_last_n_weeks_are_seven_n_days_ending_yesterday(today: date, count: int) -> None:
    command = parse_command(f"backfill #1 past {count} weeks", today=today)
    assert command.range_end == today - timedelta(days=1)
    assert command.days == 7 * count


@SETTINGS
@given(today=todays, count=st.integers(min_value=1, max_value=11))
def test_last_n_months_are_full_months_before_this_one(today: date, count: int) -> None:
    command = parse_command(f"backfill #1 previous {count} months", today=today)
    first_of_month = today.replace(day=1)
    assert command.range_end == first_of_month - timedelta(days=1)
    year, month = shift_month(today.year, today.month, -count)
    assert command.range_start == date(year, month, 1)


@SETTINGS
@given(today=todays)
def test_calendar_relatives(today: date) -> None:
    def parse(phrase: str) -> BackfillCommand:
        return parse_command(f"backfill transfer 9 {phrase}", today=today)

    monday = week_start(today)
    last_week = parse("last week")
    assert (last_week.range_start, last_week.range_end) == (
        monday - timedelta(days=7),
        monday - timedelta(days=1),
    )
    this_week = parse("this week")
    assert (this_week.range_start, this_week.range_end) == (monday, today)
    last_month = parse("last month")
    assert last_month.range_start.day == 1
    assert last_month.range_end == today.replace(day=1) - timedelta(days=1)
    mtd = parse("MTD")
    assert (mtd.range_start, mtd.range_end) == (today.replace(day=1), today)
    quarter = (today.month - 1) // 3 + 1
    qtd = parse("quarter to date")
    assert (qtd.range_start, qtd.range_end) == (quarter_interval(today.year, quarter)[0], today)
    last_quarter = parse("last quarter")
    assert last_quarter.range_end == qtd.range_start - timedelta(days=1)
    assert last_quarter.range_start.day == 1 and last_quarter.range_start.month % 3 == 1
    yesterday = parse("yesterday")
    assert yesterday.range_start == yesterday.range_end == today - timedelta(days=1)


@SETTINGS
@given(today=todays, month=st.integers(min_value=1, max_value=12))
def test_yearless_month_is_the_most_recent_that_has_started(today: date, month: int) -> None:
    command = parse_command(f"backfill #3 for {MONTH_NAMES[month]}", today=today)
    expected_year = today.year if month <= today.month else today.year - 1
    assert command.range_start == date(expected_year, month, 1)
    full_end = date(expected_year, month, days_in_month(expected_year, month))
    assert command.range_end == min(full_end, today)
    last = parse_command(f"backfill #3 for last {MONTH_NAMES[month]}", today=today)
    expected_last = today.year if month < today.month else today.year - 1
    assert last.range_start == date(expected_last, month, 1)
    assert last.clamped is False


@SETTINGS
@given(today=todays, day=st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31)))
def test_yearless_day_is_the_most_recent_on_or_before_today(today: date, day: date) -> None:
    if (day.month, day.day) == (2, 29):
        return
    command = parse_command(f"backfill #3 on {MONTH_NAMES[day.month]} {day.day}", today=today)
    found = command.range_start
    assert (found.month, found.day) == (day.month, day.day)
    assert found <= today
    assert found > today - timedelta(days=366)


@SETTINGS
@given(today=todays, day=st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31)))
def test_numeric_dates_in_both_orders(today: date, day: date) -> None:
    if day > today:
        return
    mdy = parse_command(
        f"backfill #3 on {day.month:02d}/{day.day:02d}/{day.year}", today=today, date_order="MDY"
    )
    dmy = parse_command(
        f"backfill #3 on {day.day:02d}.{day.month:02d}.{day.year}", today=today, date_order="DMY"
    )
    assert mdy.range_start == dmy.range_start == day
    ambiguous = day.day <= 12 and day.day != day.month
    assert bool(reading_notes(mdy.notes)) == ambiguous
    assert bool(reading_notes(dmy.notes)) == ambiguous


@SETTINGS
@given(
    today=todays,
    year=st.integers(min_value=1950, max_value=2150),
    quarter=st.integers(min_value=1, max_value=4),
)
def test_quarters_with_a_year(today: date, year: int, quarter: int) -> None:
    start, end = quarter_interval(year, quarter)
    try:
        command = parse_command(f"backfill #5 for Q{quarter} {year}", today=today)
    except CommandError:
        assert start > today
        return
    assert command.range_start == start
    assert command.range_end == min(end, today)
