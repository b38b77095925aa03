"""The simulator's lifecycle, driven step by step by a FrozenClock."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest

from bot.clock import FrozenClock
from bot.simulator.server import DtsSimulator
from bot.supermetrics.client import DtsTeamClient
from bot.supermetrics.models import Backfill, BackfillStatus, RunError
from tests.support.dts_world import FB, START

JAN_1, JAN_31 = date(2024, 1, 1), date(2024, 1, 31)
ORDER = [
    BackfillStatus.CREATED,
    BackfillStatus.SCHEDULED,
    BackfillStatus.RUNNING,
    BackfillStatus.COMPLETED,
]


def check_consistent(b: Backfill) -> None:
    assert 0 <= b.runs_completed + b.runs_failed <= b.runs_created <= b.runs_total
    assert b.runs_total == b.days
    assert len(b.error_report) == b.runs_failed
    assert all(b.range_start <= e.run_date <= b.range_end for e in b.error_report)
    assert (b.start_time is not None) == (b.status not in {"CREATED", "SCHEDULED"})
    assert (b.end_time is not None) == (b.status in {"COMPLETED", "FAILED"})
    if b.status is BackfillStatus.CREATED:
        assert b.runs_created == 0
    if b.status in {BackfillStatus.COMPLETED, BackfillStatus.FAILED}:
        assert b.runs_completed + b.runs_failed == b.runs_total
        assert (b.status is BackfillStatus.FAILED) == (b.runs_failed > 0)


def test_full_lifecycle_one_second_at_a_time(clock: FrozenClock, sim: DtsSimulator) -> None:
    created = sim.create(FB, JAN_1, JAN_31)
    seen: list[BackfillStatus] = []
    previous_done = 0
    for _ in range(5 + 5 + 31 * 10 + 5):
        b = sim.backfill(created.backfill_id)
        check_consistent(b)
        if not seen or seen[-1] is not b.status:
            seen.append(b.status)
        done = b.runs_completed + b.runs_failed
        assert previous_done <= done <= previous_done + 1
        previous_done = done
        clock.advance(1)

    assert seen == ORDER
    final = sim.backfill(created.backfill_id)
    assert final.start_time == START + timedelta(seconds=10)
    assert final.end_time == START + timedelta(seconds=10 + 310)
    assert final.runs_completed == 31


def test_phase_boundaries(clock: FrozenClock, sim: DtsSimulator) -> None:
    bid = sim.create(FB, JAN_1, JAN_31).backfill_id
    clock.advance(4)
    assert sim.backfill(bid).status is BackfillStatus.CREATED
    clock.advance(1)
    scheduled = sim.backfill(bid)
    assert scheduled.status is BackfillStatus.SCHEDULED
    assert scheduled.runs_created == 31
    clock.advance(5)
    assert sim.backfill(bid).status is BackfillStatus.RUNNING
    assert sim.backfill(bid).runs_completed == 0
    clock.advance(10)
    assert sim.backfill(bid).runs_completed == 1


def test_failed_days_newest_first_and_a_failed_result(
    clock: FrozenClock, sim: DtsSimulator, team: DtsTeamClient
) -> None:
    sim.fail_dates(FB, [date(2024, 1, 31), date(2024, 1, 15)], error="Quota exceeded")
    bid = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31).backfill_id

    clock.advance(10 + 10)  # the first run (newest day, Jan 31) is done
    first = team.get_backfill(backfill_id=bid)
    assert (first.runs_completed, first.runs_failed) == (0, 1)
    assert first.error_report == (RunError(date(2024, 1, 31), "Quota exceeded"),)

    clock.advance(10 * 16)  # Jan 31 .. Jan 15 done
    middle = team.get_backfill(backfill_id=bid)
    check_consistent(middle)
    assert middle.status is BackfillStatus.RUNNING
    assert (middle.runs_completed, middle.runs_failed) == (15, 2)

    clock.advance(10 * 14)
    final = team.get_backfill(backfill_id=bid)
    check_consistent(final)
    assert final.status is BackfillStatus.FAILED
    assert final.status.is_final
    assert [e.run_date for e in final.error_report] == [date(2024, 1, 15), date(2024, 1, 31)]
    assert (final.runs_completed, final.runs_failed) == (29, 2)
    # FAILED is still listed as incomplete, and still blocks an overlapping backfill
    assert [b.backfill_id for b in team.list_incomplete_backfills()] == [bid]
    with pytest.raises(ValueError, match="status FAILED"):
        sim.create(FB, JAN_1, JAN_1)


def test_fail_dates_outside_the_range_change_nothing(clock: FrozenClock, sim: DtsSimulator) -> None:
    sim.fail_dates(FB, [date(2023, 12, 31)])
    bid = sim.create(FB, JAN_1, JAN_31).backfill_id
    clock.advance(3600)
    assert sim.backfill(bid).status is BackfillStatus.COMPLETED


def test_cancel_while_running_lets_the_current_run_finish(
    clock: FrozenClock, sim: DtsSimulator, team: DtsTeamClient
) -> None:
    bid = sim.create(FB, JAN_1, JAN_31).backfill_id
    clock.advance(10 + 35)  # 3 runs done, the 4th in progress

    cancelled = team.cancel_backfill(backfill_id=bid)
    assert cancelled.status is BackfillStatus.CANCELLED
    assert cancelled.removed_time == START + timedelta(seconds=45)
    assert cancelled.runs_completed == 3
    assert cancelled.end_time is None

    clock.advance(5)  # the run in progress finishes, nothing else starts
    after = sim.backfill(bid)
    assert after.runs_completed == 4
    assert after.end_time == START + timedelta(seconds=50)
    clock.advance(3600)
    assert sim.backfill(bid).runs_completed == 4
    assert sim.backfill(bid).status is BackfillStatus.CANCELLED


def test_cancel_before_scheduling_creates_no_runs(clock: FrozenClock, sim: DtsSimulator) -> None:
    bid = sim.create(FB, JAN_1, JAN_31).backfill_id
    cancelled = sim.cancel(bid)  # as in the Supermetrics Hub
    clock.advance(3600)
    later = sim.backfill(bid)
    assert later == cancelled
    assert (later.runs_created, later.start_time, later.end_time) == (0, None, None)


def test_cancel_rules(clock: FrozenClock, sim: DtsSimulator) -> None:
    running = sim.create(FB, JAN_1, JAN_31).backfill_id
    done = sim.create(456790, JAN_1, JAN_1).backfill_id
    clock.advance(100)  # one day takes 20 s, thirty-one take 320 s
    assert sim.backfill(running).status is BackfillStatus.RUNNING
    with pytest.raises(ValueError, match="already COMPLETED"):
        sim.cancel(done)
    sim.cancel(running)
    with pytest.raises(ValueError, match="already CANCELLED"):
        sim.cancel(running)


def test_failed_backfill_can_be_cancelled_and_then_frees_its_range(
    clock: FrozenClock, sim: DtsSimulator
) -> None:
    sim.fail_dates(FB, [JAN_1])
    bid = sim.create(FB, JAN_1, JAN_31).backfill_id
    clock.advance(3600)
    failed = sim.backfill(bid)
    assert failed.status is BackfillStatus.FAILED

    cancelled = sim.cancel(bid)
    assert cancelled.status is BackfillStatus.CANCELLED
    assert cancelled.end_time == failed.end_time  # it had finished; cancelling keeps that
    assert cancelled.runs_failed == 1
    assert sim.create(FB, JAN_1, JAN_1).status is BackfillStatus.CREATED


def test_speed_scales_simulated_time(clock: FrozenClock) -> None:
    sim = DtsSimulator(clock=clock, speed=60)
    bid = sim.create(FB, JAN_1, JAN_31).backfill_id
    clock.advance(2)  # 120 simulated seconds: 11 runs done
    b = sim.backfill(bid)
    assert b.status is BackfillStatus.RUNNING
    assert b.runs_completed == 11
    # reported times are real times
    assert b.start_time is not None
    assert b.start_time - START < timedelta(seconds=1)
    clock.advance(4)
    assert sim.backfill(bid).status is BackfillStatus.COMPLETED


def test_list_holds_at_most_100_newest_first(clock: FrozenClock, sim: DtsSimulator) -> None:
    ids = [
        sim.create(
            FB, date(2023, 1, 1) + timedelta(days=i), date(2023, 1, 1) + timedelta(days=i)
        ).backfill_id
        for i in range(105)
    ]
    listed = sim.handle("GET", "/v1/teams/1/backfills", {"authorization": "Bearer demo-token"}, b"")
    data = json.loads(listed.body)["data"]
    assert [item["transfer_backfill_id"] for item in data] == ids[::-1][:100]


def test_concurrent_overlapping_creates_make_exactly_one(sim: DtsSimulator) -> None:
    results: list[bool] = []
    lock = threading.Lock()

    def create() -> None:
        try:
            sim.create(FB, JAN_1, JAN_31)
            ok = True
        except ValueError:
            ok = False
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=create) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(results) == [False] * 15 + [True]
    assert len(sim.backfills()) == 1
