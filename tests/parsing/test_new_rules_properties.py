"""Property tests for the second edition's rules, each against an independent reckoning
(the ``calendar`` module, ``dateutil``, day-by-day search), not the parser's own helpers."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from dateutil.easter import easter
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.errors import CommandError, InvalidDateError, ReversedRangeError
from bot.parsing import parse_command
from bot.parsing.vocab import MONTH_NAMES

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAR = date(2101, 1, 1)  # a today after every date drawn below
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ONES = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen")
TEENS += ("eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
NTH = ("first", "second", "third", "fourth")

years = st.integers(min_value=1990, max_value=2099)
todays = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def _range(text: str, today: date = FAR) -> tuple[date, date]:
    command = parse_command(f"backfill transfer 456789 {text}", today=today)
    return command.range_start, command.range_end


def _words(n: int) -> str:
    if n < 10:
        return ONES[n]
    if n < 20:
        return TEENS[n - 10]
    return TENS[n // 10] + ("-" + ONES[n % 10] if n % 10 else "")


def _thanksgiving(year: int) -> date:
    thursdays = [w[3] for w in calendar.monthcalendar(year, 11) if w[3]]
    return date(year, 11, thursdays[3])


@SETTINGS
@given(year=years)
def test_marketing_days(year: int) -> None:
    thursday = _thanksgiving(year)
    assert _range(f"for Thanksgiving {year}") == (thursday, thursday)
    friday, monday = thursday + timedelta(days=1), thursday + timedelta(days=4)
    assert _range(f"for Black Friday {year}") == (friday, friday)
    assert _range(f"for Cyber Monday {year}") == (monday, monday)
    assert _range(f"for BFCM {year}") == (friday, monday)
    assert _range(f"for Cyber Week {year}") == (friday, monday)
    sunday = easter(year)
    assert _range(f"for Easter {year}") == (sunday, sunday)
    assert _range(f"for Good Friday {year}") == (sunday - timedelta(2), sunday - timedelta(2))
    assert _range(f"for Easter weekend {year}") == (sunday - timedelta(2), sunday + timedelta(1))
    assert _range(f"for Christmas Eve {year}") == (date(year, 12, 24), date(year, 12, 24))
    assert _range(f"for Boxing Day {year}") == (date(year, 12, 26), date(year, 12, 26))


@SETTINGS
@given(today=todays)
def test_yearless_named_day_is_the_latest_that_has_started(today: date) -> None:
    thursdays = [_thanksgiving(y) + timedelta(days=1) for y in (today.year - 1, today.year)]
    expected = max(d for d in thursdays if d <= today)
    assert _range("for Black Friday", today) == (expected, expected)


@SETTINGS
@given(
    year=years,
    month=st.integers(1, 12),
    weekday=st.integers(0, 6),
    nth=st.integers(1, 5),
)
def test_nth_weekday_of_a_month(year: int, month: int, weekday: int, nth: int) -> None:
    days = [w[weekday] for w in calendar.monthcalendar(year, month) if w[weekday]]
    name = f"{WEEKDAY_NAMES[weekday]} of {MONTH_NAMES[month]} {year}"
    last = date(year, month, days[-1])
    assert _range(f"for the last {name}") == (last, last)
    if nth > len(days):
        with pytest.raises(InvalidDateError):
            _range(f"for the fifth {name}")
        return
    expected = date(year, month, days[nth - 1])
    words = ("first", "second", "third", "fourth", "fifth")[nth - 1]
    assert _range(f"for the {words} {name}") == (expected, expected)


@SETTINGS
@given(today=todays, months=st.integers(0, 11), days=st.integers(1, 60))
def test_compound_offsets_count_months_then_days(today: date, months: int, days: int) -> None:
    expected = today - relativedelta(months=months, days=days)
    month_part = f"{months} months " if months else ""
    assert _range(f"for {month_part}{days} days ago", today) == (expected, expected)


@SETTINGS
@given(today=todays, weeks=st.integers(1, 8), weekday=st.integers(0, 6))
def test_weeks_ago_weekday(today: date, weeks: int, weekday: int) -> None:
    monday = today - timedelta(days=today.weekday() + 7 * weeks)
    expected = monday + timedelta(days=weekday)
    phrase = f"for {_words(weeks)} weeks ago {WEEKDAY_NAMES[weekday]}"
    assert _range(phrase, today) == (expected, expected)


@SETTINGS
@given(
    year=st.integers(2000, 2090),
    first=st.dates(date(2001, 1, 1), date(2001, 12, 31)),
    last=st.dates(date(2001, 1, 1), date(2001, 12, 31)),
)
def test_year_wraps_only_across_a_year_end(year: int, first: date, last: date) -> None:
    """``Dec 20 to Jan 5 2025`` wraps; ``Jan 12 to Jan 5 2025`` is reversed."""
    phrase = f"from {MONTH_NAMES[first.month]} {first.day} to {MONTH_NAMES[last.month]} {last.day}"
    text = f"{phrase} {year}"
    end = date(year, last.month, last.day)
    start = date(year, first.month, first.day)
    if start <= end:
        assert _range(text) == (start, end)
    elif first.month > last.month:
        assert _range(text) == (date(year - 1, first.month, first.day), end)
    else:
        with pytest.raises(ReversedRangeError):
            _range(text)


@SETTINGS
@given(day=st.dates(date(1990, 1, 1), date(2099, 12, 31)), weekday=st.integers(0, 6))
def test_a_weekday_with_a_full_date_is_checked(day: date, weekday: int) -> None:
    text = f"for {WEEKDAY_NAMES[weekday]}, {MONTH_NAMES[day.month]} {day.day} {day.year}"
    if day.weekday() == weekday:
        assert _range(text) == (day, day)
        return
    with pytest.raises(InvalidDateError) as info:
        _range(text)
    assert WEEKDAY_NAMES[day.weekday()] in info.value.user_message


@SETTINGS
@given(today=todays, number=st.integers(1, 31), weekday=st.integers(0, 6))
def test_a_weekday_with_a_bare_day_is_the_latest_such_date(
    today: date, number: int, weekday: int
) -> None:
    found = today
    while not (found.day == number and found.weekday() == weekday):
        found -= timedelta(days=1)
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(number, "th")
    assert _range(f"for {WEEKDAY_NAMES[weekday]} the {number}{suffix}", today) == (found, found)


@SETTINGS
@given(day=st.dates(date(1990, 1, 1), date(2099, 12, 31)))
def test_numeric_and_glued_forms(day: date) -> None:
    short = MONTH_NAMES[day.month][:3]
    for text in (
        f"on {day.day:02d}-{short}-{day.year}",
        f"on {day.day}/{short.lower()}/{day.year}",
        f"on {short}{day.day}, {day.year}",
        f"on {short}/{day.day} {day.year}",
        f"on {day.year} {short} {day.day}",
    ):
        assert _range(text) == (day, day), text
    first = day.replace(day=1)
    last = first + relativedelta(months=1, days=-1)
    for text in (f"for {day.month:02d}-{day.year}", f"for {day.year}/{day.month}"):
        assert _range(text) == (first, last), text


@SETTINGS
@given(year=st.integers(2000, 2099), month=st.integers(1, 12))
def test_years_in_words(year: int, month: int) -> None:
    rest = year - 2000
    spoken = [f"two thousand and {_words(rest)}"] if 0 < rest < 100 else ["two thousand"]
    if rest >= 10:
        spoken.append(f"twenty {_words(rest)}")
    first = date(year, month, 1)
    last = first + relativedelta(months=1, days=-1)
    for words in spoken:
        assert _range(f"for {MONTH_NAMES[month]} of {words}") == (first, last), words
        assert _range(f"in {words}") == (date(year, 1, 1), date(year, 12, 31)), words


@SETTINGS
@given(
    month=st.integers(1, 12),
    where=st.integers(0, 20),
    how=st.sampled_from(["delete", "swap", "double"]),
)
def test_a_misspelt_month_is_refused_never_dropped(month: int, where: int, how: str) -> None:
    name = MONTH_NAMES[month]
    assume(len(name) >= 5)
    k = 1 + where % (len(name) - 2)  # keep the first letter
    if how == "delete":
        typo = name[:k] + name[k + 1 :]
    elif how == "swap":
        typo = name[:k] + name[k + 1] + name[k] + name[k + 2 :]
    else:
        typo = name[:k] + name[k] + name[k:]
    assume(typo.lower() != name.lower())
    with pytest.raises(CommandError) as info:
        _range(f"for {typo} 2024")
    suggestion = info.value.suggestion
    if suggestion is not None:
        corrected = parse_command(suggestion, today=FAR)
        assert (corrected.range_start, corrected.range_end) == (
            date(2024, month, 1),
            date(2024, month, 1) + relativedelta(months=1, days=-1),
        )


@SETTINGS
@given(today=todays, zone=st.sampled_from(["Europe/Helsinki", "America/New_York", "UTC"]))
def test_relative_ranges_name_the_timezone(today: date, zone: str) -> None:
    for phrase in ("yesterday", "last month", "last 7 days", "this month", "Black Friday"):
        command = parse_command(f"backfill 7 for {phrase}", today=today, timezone=zone)
        assert command.timezone == zone
        assert f"Today in {zone} is {today.isoformat()}" in " ".join(command.notes)
        not_over = any("is not over yet" in note for note in command.notes)
        assert not_over == (command.range_end == today), phrase
    fixed = parse_command("backfill 7 from 1999-01-01 to 1999-01-31", today=today, timezone=zone)
    assert fixed.notes == ()
