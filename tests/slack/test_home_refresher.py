"""HomeRefresher: one publish per person at a time, at most one per interval; a burst of
status changes ends in one publish."""

from __future__ import annotations

import threading

from bot.errors import SlackApiError
from bot.slack.home import HomeRefresher
from tests.support.waiting import wait_for


class Published:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, team: str, user: str) -> None:
        with self.lock:
            self.calls.append((team, user))

    def count(self, user: str = "U1") -> int:
        with self.lock:
            return sum(1 for _team, who in self.calls if who == user)


def test_a_burst_of_changes_is_one_publish_after_the_interval() -> None:
    published = Published()
    refresher = HomeRefresher(published, interval=60.0)
    try:
        refresher.changed("T1", "U1")  # nothing published yet: at once
        wait_for(lambda: published.count() == 1, what="the first publish")
        wait_for(lambda: refresher.pending() == 0, what="nothing waiting")
        refresher.changed("T1", "U1")
        refresher.changed("T1", "U1")
        refresher.changed("T1", "U1")
        assert refresher.pending() == 1 and published.count() == 1  # waits out the interval
        refresher.changed("T1", "U2")  # another person is not held back
        wait_for(lambda: published.count("U2") == 1, what="U2's publish")
        refresher.flush()  # what a stopping worker does
        assert published.count() == 2 and refresher.pending() == 0
    finally:
        refresher.close()


def test_opening_the_tab_publishes_at_once_and_failures_are_not_raised() -> None:
    def failing(team: str, user: str) -> None:
        raise SlackApiError("The app is not installed", error="not_installed")

    refresher = HomeRefresher(failing, interval=60.0)
    refresher.now("T1", "U1")  # logged, not raised
    published = Published()
    refresher = HomeRefresher(published, interval=60.0)
    refresher.now("T1", "U1")
    assert published.count() == 1
    refresher.close()
    refresher.changed("T1", "U1")  # closed: nothing is scheduled any more
    assert refresher.pending() == 0


def test_flush_waits_for_a_publish_under_way() -> None:
    started, release = threading.Event(), threading.Event()
    published = Published()

    def slow(team: str, user: str) -> None:
        started.set()
        release.wait(10)
        published(team, user)

    refresher = HomeRefresher(slow, interval=60.0)
    refresher.changed("T1", "U1")
    assert started.wait(10)
    flushing = threading.Thread(target=refresher.flush)
    flushing.start()
    flushing.join(0.2)
    assert flushing.is_alive()  # a stopping worker does not cut the publish short
    release.set()
    flushing.join(10)
    assert not flushing.is_alive() and published.count() == 1
    refresher.close()
