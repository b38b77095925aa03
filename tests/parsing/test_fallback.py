"""dateparser is the fallback for single-date phrases the grammar does not know, and stays
off the import path and the common path."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from bot.parsing import parse_command, warm_up
from bot.parsing.fallback import parse_single_date

from .conftest import repo_root

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("3 hours ago", TODAY),
        ("24 hours ago", date(2026, 11, 27)),
        ("36 hours ago", date(2026, 11, 27)),
        ("in 2 days", date(2026, 11, 30)),
    ],
)
def test_parse_single_date(phrase: str, expected: date) -> None:
    assert parse_single_date(phrase, today=TODAY, date_order="MDY") == expected


@pytest.mark.parametrize("phrase", ["blursday", "facebook ads", "", "x" * 500, "10", "the"])
def test_parse_single_date_rejects_non_dates(phrase: str) -> None:
    assert parse_single_date(phrase, today=TODAY, date_order="MDY") is None


@pytest.mark.parametrize(
    ("text", "start", "transfer"),
    [
        ("backfill transfer 1 for 36 hours ago", date(2026, 11, 27), 1),
        ("backfill 1 on 24 hours ago", date(2026, 11, 27), 1),
        ("backfill Facebook Ads 3 hours ago", TODAY, "Facebook Ads"),
        ("backfill transfer 1 since 36 hours ago", date(2026, 11, 27), 1),
    ],
)
def test_commands_resolved_through_the_fallback(text: str, start: date, transfer: object) -> None:
    command = parse_command(text, today=TODAY)
    assert command.range_start == start
    assert transfer in (command.transfer_id, command.transfer_name)


def test_future_fallback_dates_are_refused() -> None:
    from bot.errors import FutureRangeError

    with pytest.raises(FutureRangeError):
        parse_command("backfill transfer 1 for in 2 days", today=TODAY)


def test_times_of_day_are_ignored() -> None:
    for text in (
        "backfill 1 on 5th March, 2024 at 10am",
        "backfill 1 on 2024-03-05 14:30",
        "backfill 1 on March 5 2024 at 9:15 pm",
    ):
        command = parse_command(text, today=TODAY)
        assert (command.transfer_id, command.range_start) == (1, date(2024, 3, 5)), text


def test_two_digit_year_after_day_and_month() -> None:
    command = parse_command("backfill 1 for 3 march 24", today=TODAY)
    assert (command.transfer_id, command.range_start) == (1, date(2024, 3, 3))


def test_warm_up_runs() -> None:
    warm_up()
    assert "dateparser" in sys.modules


def test_import_and_common_commands_do_not_load_dateparser() -> None:
    code = (
        "import sys; from datetime import date; import bot.parsing as p\n"
        "assert 'dateparser' not in sys.modules, 'imported on import'\n"
        "for t in ['backfill transfer 456789 for last January', 'backfill Facebook Ads Q3 2024',"
        " 'backfill 1 from 2024-01-01 to 2024-01-31', 'backfill 1 for the last 7 days']:\n"
        "    p.parse_command(t, today=date(2026, 11, 28))\n"
        "assert 'dateparser' not in sys.modules, 'imported by a common command'\n"
        "p.warm_up()\n"
        "assert 'dateparser' in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
