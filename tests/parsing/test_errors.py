"""Each kind of bad command raises its own CommandError with a message that says what
was wrong and shows an example that works."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import (
    AmbiguousTransferError,
    CommandError,
    FutureRangeError,
    InvalidDateError,
    MissingRangeError,
    MissingTransferError,
    RangeTooLongError,
    ReversedRangeError,
)
from bot.parsing import parse_command

TODAY = date(2026, 11, 28)

ERRORS: list[tuple[str, type[CommandError]]] = [
    # wholly in the future
    ("backfill transfer 7 for next week", FutureRangeError),
    ("backfill transfer 7 for tomorrow", FutureRangeError),
    ("backfill transfer 7 for next month", FutureRangeError),
    ("backfill transfer 7 for the next 3 days", FutureRangeError),
    ("backfill transfer 7 in 2027", FutureRangeError),
    ("backfill transfer 7 for this December", FutureRangeError),
    ("backfill transfer 7 since tomorrow", FutureRangeError),
    ("backfill transfer 7 from 2026-12-01 to 2026-12-05", FutureRangeError),
    ("backfill transfer 7 for this sunday", FutureRangeError),
    # impossible dates
    ("backfill transfer 7 for February 30 2024", InvalidDateError),
    ("backfill transfer 7 for the 30th of February", InvalidDateError),
    ("backfill transfer 7 from 2024-13-01 to 2024-13-05", InvalidDateError),
    ("backfill transfer 7 on 2024-02-30", InvalidDateError),
    ("backfill transfer 7 on 2023-02-29", InvalidDateError),
    ("backfill transfer 7 on Feb 29 2023", InvalidDateError),
    ("backfill transfer 7 on 13/13/2026", InvalidDateError),
    ("backfill transfer 7 on 02/30/2024", InvalidDateError),
    ("backfill transfer 7 for 2021-W53", InvalidDateError),
    ("backfill transfer 7 for week 53 of 2021", InvalidDateError),
    ("backfill transfer 7 for Q5 2024", InvalidDateError),
    ("backfill transfer 7 for 2024-H3", InvalidDateError),
    ("backfill transfer 7 for March 45", InvalidDateError),
    ("backfill transfer 7 for Febuary 3 2024", InvalidDateError),
    ("backfill transfer 7 for Janury 2024", InvalidDateError),
    ("backfill transfer 7 for 2024-00", InvalidDateError),
    ("backfill transfer 7 for the 32nd of March", InvalidDateError),
    ("backfill transfer 7 for April 31", InvalidDateError),
    ("backfill transfer 7 for Smarch 2024", InvalidDateError),
    ("backfill transfer 7 for 13/2025", InvalidDateError),
    # end before start
    ("backfill transfer 7 from 2024-03-10 to 2024-03-01", ReversedRangeError),
    ("backfill transfer 7 from March 10 2024 to March 3 2024", ReversedRangeError),
    ("backfill transfer 7 for 10-3 March 2024", ReversedRangeError),
    ("backfill transfer 7 from yesterday to last monday", ReversedRangeError),
    # longer than the maximum
    ("backfill transfer 7 from 2020-01-01 to 2024-12-31", RangeTooLongError),
    ("backfill transfer 7 for the last 400 days", RangeTooLongError),
    ("backfill transfer 7 for the last 2 years", RangeTooLongError),
    ("backfill transfer 7 for 2023 - 2024", RangeTooLongError),
    ("backfill transfer 7 since 2020-01-01", RangeTooLongError),
    ("backfill transfer 7 for the last 99999999999999999999999 days", RangeTooLongError),
    # no range
    ("backfill transfer 456789 ", MissingRangeError),
    ("backfill transfer 456789 for blursday", MissingRangeError),
    ("backfill transfer 7 from March 3 to blursday", MissingRangeError),
    ("backfill transfer 7 for the last 0 days", MissingRangeError),
    ("", MissingRangeError),
    ("   ", MissingRangeError),
    ("hello there", MissingRangeError),
    # no transfer
    ("backfill for last January", MissingTransferError),
    ("backfill transfer for last month", MissingTransferError),
    ("please backfill the for yesterday thanks", MissingTransferError),
    ("backfill transfer 0 for last month", MissingTransferError),
    ("backfill transfer 99999999999999999999 for last month", MissingTransferError),
    # two different ids
    ("backfill 123 456 last month", AmbiguousTransferError),
    ("backfill transfer 1 and transfer 2 for yesterday", AmbiguousTransferError),
    ("backfill #1 #2 yesterday", AmbiguousTransferError),
    ("backfill transfer 456789 for January 2024 transfer 123", AmbiguousTransferError),
]


@pytest.mark.parametrize(("text", "error"), ERRORS)
def test_error_class(text: str, error: type[CommandError]) -> None:
    with pytest.raises(error) as info:
        parse_command(text, today=TODAY)
    assert type(info.value) is error
    message = info.value.user_message
    # every message offers something that works
    assert "Try" in message or "e.g." in message, message


def test_too_long_respects_the_configured_maximum() -> None:
    with pytest.raises(RangeTooLongError) as info:
        parse_command("backfill transfer 7 for last month", today=TODAY, max_days=30)
    assert "31 days" in info.value.user_message
    assert "maximum of 30 days" in info.value.user_message
    command = parse_command("backfill transfer 7 for last month", today=TODAY, max_days=31)
    assert command.days == 31


def test_missing_range_message_quotes_the_text_and_shows_examples() -> None:
    with pytest.raises(MissingRangeError) as info:
        parse_command("backfill transfer 456789 for blursday", today=TODAY)
    assert info.value.user_message == (
        'I couldn\'t find a date range in "backfill transfer 456789 for blursday". '
        'Try "last month" or "2024-01-01 to 2024-01-31".'
    )


def test_messages_quote_long_and_hostile_text_safely() -> None:
    text = "backfill transfer 7 for <!channel> `rm -rf` " + "blah " * 100
    with pytest.raises(MissingRangeError) as info:
        parse_command(text, today=TODAY)
    message = info.value.user_message
    assert "<!channel>" not in message
    assert "`" not in message
    assert "…" in message
    assert len(message) < 200


def test_no_transfer_and_no_range_says_both() -> None:
    with pytest.raises(MissingRangeError) as info:
        parse_command("backfill", today=TODAY)
    assert "transfer or a date range" in info.value.user_message


def test_future_message_names_the_range_and_today() -> None:
    with pytest.raises(FutureRangeError) as info:
        parse_command("backfill transfer 7 for next week", today=TODAY)
    message = info.value.user_message
    assert "2026-11-30 → 2026-12-06" in message
    assert "today is 2026-11-28" in message


def test_reversed_message_suggests_the_right_order() -> None:
    with pytest.raises(ReversedRangeError) as info:
        parse_command("backfill transfer 7 from 2024-03-10 to 2024-03-01", today=TODAY)
    assert '"2024-03-01 to 2024-03-10"' in info.value.user_message


def test_impossible_iso_date_is_never_reinterpreted() -> None:
    with pytest.raises(InvalidDateError) as info:
        parse_command("backfill transfer 7 on 2024-13-01", today=TODAY)
    assert "no month 13" in info.value.user_message
    with pytest.raises(InvalidDateError) as info:
        parse_command("backfill transfer 7 on 2024-02-30", today=TODAY)
    assert "February 2024 has 29 days" in info.value.user_message


def test_misspelt_month_gets_a_suggestion() -> None:
    with pytest.raises(InvalidDateError) as info:
        parse_command("backfill transfer 7 for Febuary 3 2024", today=TODAY)
    assert "Did you mean February?" in info.value.user_message


def test_ambiguous_message_lists_the_ids() -> None:
    with pytest.raises(AmbiguousTransferError) as info:
        parse_command("backfill transfer 1 and transfer 2 for yesterday", today=TODAY)
    assert "(1 and 2)" in info.value.user_message


def test_same_id_twice_is_not_ambiguous() -> None:
    command = parse_command("backfill transfer 123 (#123) for yesterday", today=TODAY)
    assert command.transfer_id == 123


@pytest.mark.parametrize("order", ["YMD", "", "mdy-ish"])
def test_bad_date_order_is_a_programming_error(order: str) -> None:
    with pytest.raises(ValueError, match="date_order"):
        parse_command("backfill transfer 7 yesterday", today=TODAY, date_order=order)


def test_bad_max_days_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="max_days"):
        parse_command("backfill transfer 7 yesterday", today=TODAY, max_days=0)
