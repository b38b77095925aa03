"""The transfer a command is about: ids in every accepted form, or a name."""

from __future__ import annotations

from datetime import date

import pytest

from bot.parsing import parse_command

TODAY = date(2026, 11, 28)

IDS = [
    ("backfill transfer 456789 for last month", 456789),
    ("backfill transfer #456789 for last month", 456789),
    ("backfill transfer id 456789 for last month", 456789),
    ("backfill transfer ID: 456789 for last month", 456789),
    ("backfill transfer no. 456789 for last month", 456789),
    ("backfill #456789 for last month", 456789),
    ("backfill 456789 last month", 456789),
    ("456789 yesterday", 456789),
    ("yesterday 456789", 456789),
    ("yesterday for transfer 456789", 456789),
    ("backfill transfer id 1 for last month", 1),
    ("backfill 2024-01-05 456789", 456789),
    # a number directly after "transfer" is the id, never a date
    ("backfill transfer 2024 for last month", 2024),
    ("backfill transfer 15 for March 2024", 15),
    # numbers inside dates are never ids
    ("backfill 456789 for the last 7 days", 456789),
    ("backfill 456789 from 2024-01-01 to 2024-01-31", 456789),
    ("backfill 456789 for March 3 2024", 456789),
    ("backfill 456789 for 01/05/2024", 456789),
    ("backfill 456789 for Q3 2024", 456789),
    ("backfill 456789 for week 12 of 2024", 456789),
    ("backfill 456789 3-10 March 2024", 456789),
    ("hey bot, could you backfill transfer #456789 for Q3?", 456789),
    ("backfill transfer: 456789, range: last month", 456789),
]


@pytest.mark.parametrize(("text", "expected"), IDS)
def test_transfer_id(text: str, expected: int) -> None:
    command = parse_command(text, today=TODAY)
    assert command.transfer_id == expected
    assert command.transfer_name is None


NAMES = [
    ("backfill Facebook Ads for last month", "Facebook Ads"),
    ('backfill the "FB ads - daily" transfer for Q3 2024', "FB ads - daily"),
    ("backfill the “FB ads - daily” transfer for Q3 2024", "FB ads - daily"),
    ("backfill LinkedIn Ads transfer for yesterday", "LinkedIn Ads"),
    ("can you please backfill google ads for last week", "google ads"),
    ("could you pls backfill Google Ads for the last 7 days, thanks", "Google Ads"),
    ("backfill transfer Facebook Ads for last month", "Facebook Ads"),
    (
        'please backfill the transfer named "Facebook Ads - daily" for last month',
        "Facebook Ads - daily",
    ),
    ("backfill Facebook Ads (daily) for last month", "Facebook Ads (daily)"),
    ("Backfill Facebook Ads, last month please", "Facebook Ads"),
    ("backfill last month for Facebook Ads", "Facebook Ads"),
    ("backfill GA4 Export for last month", "GA4 Export"),
    ("backfill Top 10 Ads for last month", "Top 10 Ads"),
    ("backfill May Campaigns for last month", "May Campaigns"),
    ("backfill Q3 Brand Ads for yesterday", "Q3 Brand Ads"),
    ("backfill Sun Ads for May", "Sun Ads"),
    ("backfill facebook ads from march 3 to march 10 2024 thx", "facebook ads"),
    ('backfill "Ads (daily)" for 2024-01-05', "Ads (daily)"),
    ("backfill Ads 2024 Export for last month", "Ads 2024 Export"),
    ("backfill Facebook Ads 2024 for March", "Facebook Ads 2024"),
    ("backfill Weekly Report for last week", "Weekly Report"),
    ("backfill Last Click Attribution for yesterday", "Last Click Attribution"),
    ("backfill Google Ads - daily for yesterday", "Google Ads - daily"),
]


@pytest.mark.parametrize(("text", "expected"), NAMES)
def test_transfer_name(text: str, expected: str) -> None:
    command = parse_command(text, today=TODAY)
    assert command.transfer_name == expected
    assert command.transfer_id is None


def test_name_ranges_are_still_resolved() -> None:
    command = parse_command("backfill May Campaigns for last month", today=TODAY)
    assert (command.range_start, command.range_end) == (date(2026, 10, 1), date(2026, 10, 31))


def test_an_id_wins_over_surrounding_words() -> None:
    command = parse_command("backfill Facebook Ads transfer 456789 for last month", today=TODAY)
    assert (command.transfer_id, command.transfer_name) == (456789, None)


def test_to_json_shapes() -> None:
    by_id = parse_command("backfill transfer 456789 for last January", today=TODAY)
    assert by_id.to_json() == {
        "transfer_id": 456789,
        "range_start": "2026-01-01",
        "range_end": "2026-01-31",
        "days": 31,
        "clamped": False,
        "timezone": None,
        "notes": ["Today is 2026-11-28 (Saturday)."],
    }
    by_name = parse_command("backfill Facebook Ads for Q4", today=TODAY)
    assert by_name.to_json() == {
        "transfer_name": "Facebook Ads",
        "range_start": "2026-10-01",
        "range_end": "2026-11-28",
        "days": 59,
        "clamped": True,
        "timezone": None,
        "notes": [
            "The range ended 2026-12-31, after today; it was shortened to end today (2026-11-28).",
            "Today is 2026-11-28 (Saturday).",
            "Today (2026-11-28) is not over yet, so its data may still be incomplete; "
            "backfill it again tomorrow for the full day.",
        ],
    }
