"""The simulator's overlap rule against a brute-force model, over random histories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import FrozenClock
from bot.simulator.server import DtsSimulator
from bot.supermetrics.models import INCOMPLETE_STATUSES

BASE = date(2024, 1, 1)
TRANSFERS = [456789, 456790]

# (action, a, b, c): one shape for every step keeps the strategy simple and typed
Step = tuple[str, int, int, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(["create", "create", "advance", "cancel", "fail"]),
        st.integers(0, 200),
        st.integers(0, 66),
        st.integers(0, 6),
    ),
    max_size=60,
)


def apply(sim: DtsSimulator, clock: FrozenClock, step: Step) -> None:
    action, a, b, c = step
    transfer = TRANSFERS[a % 2]
    if action == "advance":
        clock.advance(a + 1)
    elif action == "fail":
        sim.fail_dates(transfer, [BASE + timedelta(days=b)])
    elif action == "cancel":
        existing = sim.backfills()
        if not existing:
            return
        target = existing[a % len(existing)]
        if target.status in INCOMPLETE_STATUSES:
            sim.cancel(target.backfill_id)
        else:
            with pytest.raises(ValueError, match="already"):
                sim.cancel(target.backfill_id)
    else:
        start = BASE + timedelta(days=b % 60)
        end = start + timedelta(days=c)
        blockers = [
            other
            for other in sim.backfills()
            if other.transfer_id == transfer
            and other.status in INCOMPLETE_STATUSES
            and other.range_start <= end
            and start <= other.range_end
        ]
        if blockers:
            with pytest.raises(ValueError, match="overlaps backfill") as caught:
                sim.create(transfer, start, end)
            assert any(f"backfill {o.backfill_id} " in str(caught.value) for o in blockers)
        else:
            assert sim.create(transfer, start, end).runs_total == c + 1


@settings(max_examples=150, deadline=None)
@given(steps)
def test_create_is_refused_exactly_when_an_incomplete_backfill_overlaps(
    history: list[Step],
) -> None:
    clock = FrozenClock(datetime(2024, 3, 1, tzinfo=UTC))
    sim = DtsSimulator(clock=clock, schedule_delay=5, start_delay=5, seconds_per_run=10)
    for step in history:
        apply(sim, clock, step)
