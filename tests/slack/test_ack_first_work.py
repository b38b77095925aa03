"""AckFirstWork: deferred work waits for acks to be quiet, never starves, runs in order.

No timing is asserted: where a test checks that something has *not* happened yet, the rule
under test forbids it for far longer than the test looks (``max_wait=60``), or for as long
as the test holds it back (one overdue item at a time).
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from bot.slack.ack_queue import AckFirstWork
from bot.slack.app import GIL_SWITCH_INTERVAL
from tests.slack.harness import SlackHarness
from tests.support.waiting import wait_for

LOOK = 0.2  # how long a test watches for something the rule forbids


@pytest.fixture
def started() -> list[int]:
    return []


def blocking(n: int, started: list[int], release: threading.Event) -> Callable[[], None]:
    def work() -> None:
        started.append(n)
        assert release.wait(10), "the test never released the work"

    return work


@pytest.fixture
def patient() -> Iterator[AckFirstWork]:
    work = AckFirstWork(workers=3, max_wait=60.0)
    yield work
    work.close(timeout=10)


def test_work_waits_while_an_ack_is_in_flight(patient: AckFirstWork) -> None:
    ran = threading.Event()
    with patient.acking():
        patient.submit(ran.set)
        assert not ran.wait(LOOK)
        assert patient.pending == 1
    assert ran.wait(10), "the work did not start once the ack was done"


def test_in_a_lull_every_worker_runs(patient: AckFirstWork, started: list[int]) -> None:
    release = threading.Event()
    for n in range(3):
        patient.submit(blocking(n, started, release))
    try:
        wait_for(lambda: len(started) == 3, timeout=10, what="three items running at once")
    finally:
        release.set()


def test_overdue_work_runs_though_acks_never_stop_one_item_at_a_time(
    started: list[int],
) -> None:
    work = AckFirstWork(workers=3, max_wait=0.05)
    releases = [threading.Event() for _ in range(3)]
    try:
        with work.acking():
            for n, release in enumerate(releases):
                work.submit(blocking(n, started, release))
            wait_for(lambda: started == [0], timeout=10, what="the first overdue item")
            assert not wait_for_change(started, LOOK), "a second overdue item ran beside it"
            releases[0].set()
            wait_for(lambda: started == [0, 1], timeout=10, what="the second overdue item")
            releases[1].set()
            wait_for(lambda: started == [0, 1, 2], timeout=10, what="the third overdue item")
    finally:
        for release in releases:
            release.set()
        work.close(timeout=10)


def wait_for_change(values: list[int], seconds: float) -> bool:
    before = list(values)
    done = threading.Event()
    done.wait(seconds)
    return values != before


def test_close_runs_everything_queued_in_order(patient: AckFirstWork) -> None:
    done: list[int] = []
    with patient.acking():
        for n in range(20):
            patient.submit(lambda n=n: done.append(n))
        patient.close(timeout=10)  # an ack is still in flight: close does not wait for quiet
    assert sorted(done) == list(range(20))
    with pytest.raises(RuntimeError, match="shutting down"):
        patient.submit(lambda: None)


def test_items_start_in_the_order_they_came() -> None:
    work = AckFirstWork(workers=1, max_wait=60.0)
    order: list[int] = []
    try:
        with work.acking():
            for n in range(10):
                work.submit(lambda n=n: order.append(n))
        wait_for(lambda: len(order) == 10, timeout=10, what="ten items")
        assert order == list(range(10))
    finally:
        work.close(timeout=10)


def test_a_failing_item_does_not_stop_its_worker(caplog: pytest.LogCaptureFixture) -> None:
    work = AckFirstWork(workers=1, max_wait=60.0)
    ran = threading.Event()

    def boom() -> None:
        raise ValueError("a bug outside the guard")

    try:
        work.submit(boom)
        work.submit(ran.set)
        assert ran.wait(10)
    finally:
        work.close(timeout=10)
    assert "failed outside its guard" in caplog.text


def test_building_the_app_tunes_the_interpreter_for_acks(bot: SlackHarness) -> None:
    # what holds the GIL while acks wait: GIL slices, and GC pauses over the start-up heap
    assert sys.getswitchinterval() <= GIL_SWITCH_INTERVAL
    assert gc.get_freeze_count() > 0
    assert isinstance(bot.wsgi.bot.listeners.gate, AckFirstWork)
