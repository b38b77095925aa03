"""check_range: the validation used for edited dates and retries of failed days."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import FutureRangeError, RangeTooLongError, ReversedRangeError
from bot.parsing import check_range

TODAY = date(2026, 11, 28)


def test_valid_range_is_returned_unchanged() -> None:
    assert check_range(date(2026, 1, 1), date(2026, 1, 31), today=TODAY) == (
        date(2026, 1, 1),
        date(2026, 1, 31),
        False,
        (),
    )


def test_single_day_today_is_fine() -> None:
    assert check_range(TODAY, TODAY, today=TODAY)[:3] == (TODAY, TODAY, False)


def test_end_after_today_is_clamped_with_a_note() -> None:
    start, end, clamped, notes = check_range(date(2026, 11, 20), date(2026, 12, 5), today=TODAY)
    assert (start, end, clamped) == (date(2026, 11, 20), TODAY, True)
    assert notes == (
        "The range ended 2026-12-05, after today; it was shortened to end today (2026-11-28).",
    )


def test_reversed() -> None:
    with pytest.raises(ReversedRangeError):
        check_range(date(2026, 3, 10), date(2026, 3, 1), today=TODAY)


def test_wholly_future() -> None:
    with pytest.raises(FutureRangeError):
        check_range(date(2026, 11, 29), date(2026, 12, 5), today=TODAY)


def test_too_long_counts_after_clamping() -> None:
    # 366 days once clamped to today: allowed
    start = date(2025, 11, 28)
    assert check_range(start, date(2027, 1, 1), today=TODAY)[2] is True
    with pytest.raises(RangeTooLongError):
        check_range(date(2025, 11, 27), TODAY, today=TODAY)
    assert check_range(date(2026, 11, 1), TODAY, today=TODAY, max_days=28)[0] == date(2026, 11, 1)
    with pytest.raises(RangeTooLongError):
        check_range(date(2026, 10, 31), TODAY, today=TODAY, max_days=28)
