"""Did you mean (the corrected command on the error, never applied silently), the
timezone and today notes on the result, and day-month-year numeric forms in DMY."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import CommandError, InvalidDateError, MissingRangeError
from bot.parsing import parse_command

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("text", "corrected", "error"),
    [
        (
            "backfill transfer 456789 for lst month",
            "backfill transfer 456789 for last month",
            MissingRangeError,
        ),
        (
            "backfill transfer 456789 for last Janurary",
            "backfill transfer 456789 for last January",
            MissingRangeError,
        ),
        ("backfill 7 for yesterdy please", "backfill 7 for yesterday please", MissingRangeError),
        ("backfill 7 for Feburary 2024", "backfill 7 for February 2024", InvalidDateError),
        ("backfill 7 for lsat wek", "backfill 7 for last week", MissingRangeError),
        (
            "backfill 7 for the previus quater",
            "backfill 7 for the previous quarter",
            MissingRangeError,
        ),
        ("backfill 7 on Wendesday", "backfill 7 on Wednesday", MissingRangeError),
        ("backfill 7 for BLACK FRIDYA 2025", "backfill 7 for BLACK FRIDAY 2025", MissingRangeError),
        ("backfill 7 for Septober 2024", "backfill 7 for September 2024", InvalidDateError),
    ],
)
def test_near_misses_are_refused_with_the_corrected_command(
    text: str, corrected: str, error: type[CommandError]
) -> None:
    with pytest.raises(CommandError) as info:
        parse_command(text, today=TODAY)
    assert type(info.value) is error
    assert info.value.suggestion == corrected
    assert "Did you mean" in info.value.user_message
    assert f'Try "{corrected}".' in info.value.user_message
    # the suggestion is a command that parses
    parse_command(corrected, today=TODAY)


@pytest.mark.parametrize(
    "text",
    [
        "backfill transfer 456789 for blursday",  # no near word: no guess
        "backfill transfer 456789 for Febtember 2024",  # September or December?
        "backfill transfer 456789 for next wek",  # the correction is refused too (future)
    ],
)
def test_no_suggestion_when_no_correction_parses(text: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_command(text, today=TODAY)
    assert info.value.suggestion is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("backfill Facebok Ads for last month", "Facebok Ads"),
        ("backfill Daily Ads for yesterday", "Daily Ads"),
        ("backfill Weekly Report for last month", "Weekly Report"),
        ("backfill Mayo Clinic for last week", "Mayo Clinic"),
        ("backfill Clinic Mayo for last week", "Clinic Mayo"),
    ],
)
def test_names_near_known_words_are_still_names(text: str, name: str) -> None:
    assert parse_command(text, today=TODAY).transfer_name == name


def test_a_typo_beside_an_accepted_range_is_not_dropped() -> None:
    """ "Janurary 2024" must not be all of 2024."""
    with pytest.raises(InvalidDateError) as info:
        parse_command("backfill 7 for Janurary 2024", today=TODAY)
    assert info.value.suggestion == "backfill 7 for January 2024"


def test_timezone_and_today_notes() -> None:
    command = parse_command(
        "backfill 7 for this month", today=date(2026, 11, 29), timezone="Europe/Helsinki"
    )
    assert command.timezone == "Europe/Helsinki"
    assert command.notes == (
        "Today in Europe/Helsinki is 2026-11-29 (Sunday).",
        "Today (2026-11-29) is not over yet, so its data may still be incomplete; "
        "backfill it again tomorrow for the full day.",
    )
    assert command.to_json()["timezone"] == "Europe/Helsinki"
    # relative, but today is not in the range: the zone, no "not over"
    last = parse_command("backfill 7 for last month", today=TODAY, timezone="UTC")
    assert last.notes == ("Today in UTC is 2026-11-28 (Saturday).",)
    # a yearless date: today decided the year
    march = parse_command("backfill 7 for March 3", today=TODAY, timezone="UTC")
    assert march.notes == ("Today in UTC is 2026-11-28 (Saturday).",)
    # full dates: today decided nothing
    for text in ("backfill 7 for March 3 2025", "backfill 7 for Q3 2024", "backfill 7 for 2024"):
        assert parse_command(text, today=TODAY, timezone="UTC").notes == (), text
    # clamped: the clamp note, the zone, and that today is not over
    clamped = parse_command("backfill 7 from 2026-11-01 to 2026-12-31", today=TODAY, timezone="UTC")
    assert clamped.clamped
    assert clamped.notes[1:] == (
        "Today in UTC is 2026-11-28 (Saturday).",
        "Today (2026-11-28) is not over yet, so its data may still be incomplete; "
        "backfill it again tomorrow for the full day.",
    )


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("on 5.8.2025", "2025-08-05"),
        ("on 05/08/2025", "2025-08-05"),
        ("on 5-8-2025", "2025-08-05"),
        ("on 05-aug-2025", "2025-08-05"),
        ("on 13.01.2026", "2026-01-13"),
    ],
)
def test_day_month_year_in_dmy(text: str, day: str) -> None:
    command = parse_command(f"backfill 7 {text}", today=TODAY, date_order="DMY")
    assert command.range_start.isoformat() == command.range_end.isoformat() == day
