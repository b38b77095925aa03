"""Polling cadence and the per-workspace rate-limit pacer (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.supermetrics.models import RateLimit
from bot.tracking.cadence import RateLimitPacer, failure_delay, next_poll_delay

ON_THE_HOUR = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_polls_soon_after_a_change_then_less_often_up_to_the_maximum() -> None:
    delays = [
        next_poll_delay(quiet_seconds=quiet, poll_min=15, poll_max=300)
        for quiet in (0, 15, 30, 60, 120, 300, 600, 3600)
    ]
    assert delays == [15, 15, 15, 30, 60, 150, 300, 300]
    assert delays == sorted(delays)


def test_failures_back_off_exponentially_within_bounds() -> None:
    assert [failure_delay(failures=n, poll_min=15, poll_max=300) for n in range(1, 7)] == [
        15,
        30,
        60,
        120,
        240,
        300,
    ]


def test_without_figures_from_the_api_nothing_waits() -> None:
    pacer = RateLimitPacer()
    pacer.record_call(1, now=ON_THE_HOUR, rate=None)
    assert pacer.available_at(1, now=ON_THE_HOUR) == ON_THE_HOUR


def test_the_remaining_budget_is_spread_over_the_rest_of_the_window() -> None:
    pacer = RateLimitPacer(burst_seconds=0)
    # 1000 an hour, 800 left, 200 kept for people: 600 over the hour = one per 6 s
    rate = RateLimit(limit=1000, remaining=800, seen_at=ON_THE_HOUR)
    assert pacer.spacing(rate, now=ON_THE_HOUR) == 6.0
    # half the hour gone, same budget left: twice as fast
    half = ON_THE_HOUR + timedelta(minutes=30)
    assert pacer.spacing(rate, now=half) == 3.0
    pacer.record_call(1, now=ON_THE_HOUR, rate=rate)
    assert pacer.available_at(1, now=ON_THE_HOUR) == ON_THE_HOUR + timedelta(seconds=6)
    assert pacer.available_at(2, now=ON_THE_HOUR) == ON_THE_HOUR  # another team is free


def test_a_burst_is_allowed_but_the_average_rate_is_kept() -> None:
    pacer = RateLimitPacer(burst_seconds=30)
    rate = RateLimit(limit=1000, remaining=800, seen_at=ON_THE_HOUR)  # 6 s apart
    now = ON_THE_HOUR
    allowed = 0
    while pacer.available_at(1, now=now) <= now:
        pacer.record_call(1, now=now, rate=rate)
        allowed += 1
    assert allowed == 6  # 30 s of credit at 6 s a call, then the pace holds
    assert pacer.available_at(1, now=now) == now + timedelta(seconds=6)


def test_only_the_reserve_left_waits_for_the_next_window() -> None:
    pacer = RateLimitPacer()
    now = ON_THE_HOUR + timedelta(minutes=45)
    pacer.record_call(1, now=now, rate=RateLimit(limit=1000, remaining=200, seen_at=now))
    assert pacer.available_at(1, now=now) == ON_THE_HOUR + timedelta(hours=1)


def test_a_429_blocks_only_its_team() -> None:
    pacer = RateLimitPacer()
    until = ON_THE_HOUR + timedelta(seconds=120)
    pacer.block(1, until=until)
    assert pacer.available_at(1, now=ON_THE_HOUR) == until
    assert pacer.available_at(2, now=ON_THE_HOUR) == ON_THE_HOUR
    pacer.block(1, until=ON_THE_HOUR + timedelta(seconds=10))  # a shorter wait never shortens
    assert pacer.available_at(1, now=ON_THE_HOUR) == until
    assert pacer.available_at(1, now=until + timedelta(seconds=1)) == until + timedelta(seconds=1)


def test_waiting_requests_are_staggered_one_spacing_apart() -> None:
    pacer = RateLimitPacer(burst_seconds=0)
    rate = RateLimit(limit=1000, remaining=800, seen_at=ON_THE_HOUR)
    pacer.record_call(1, now=ON_THE_HOUR, rate=rate)
    slots = [pacer.deferral(1, now=ON_THE_HOUR, rate=rate, rank=n) for n in range(3)]
    assert [(slot - ON_THE_HOUR).total_seconds() for slot in slots] == [6.0, 12.0, 18.0]


@given(
    limit=st.integers(min_value=10, max_value=3000),
    start_minute=st.integers(min_value=0, max_value=59),
)
def test_a_tracker_alone_never_spends_the_reserve(limit: int, start_minute: int) -> None:
    """Simulate a window: calls as fast as the pacer allows, budget as the API counts it."""
    pacer = RateLimitPacer()
    reserve = -(-limit * 2 // 10)  # ceil(20 %)
    now = ON_THE_HOUR + timedelta(minutes=start_minute)
    window_end = ON_THE_HOUR + timedelta(hours=1)
    used = 0
    while now < window_end and used < limit:
        now = max(now, pacer.available_at(1, now=now))
        if now >= window_end:
            break
        used += 1
        pacer.record_call(1, now=now, rate=RateLimit(limit, limit - used, now))
    assert used <= limit - reserve
