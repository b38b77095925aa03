"""The ack queue: the work the acks left behind, run only when no ack is in its way.

The work shares the process, and its GIL, with the threads acking Slack, and one command's
work costs several times the CPU of its ack; run beside the acks it would make every ack wait
its turn (benchmarks/README.md). So work starts only when no ack is in flight and none has
started for ``settle`` seconds; an item that has waited ``max_wait`` runs anyway, one such
item at a time, so work never starves under sustained traffic and still cannot crowd out the
acks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger("bot.slack")

Work = Callable[[], None]


class AckFirstWork:
    """A few worker threads that run what the acks left behind, never in an ack's way.

    ``acking()`` brackets every request being acked (the WSGI app wraps Bolt in it).
    ``submit`` only appends to a queue: nothing is woken on the ack path unless no worker
    is keeping time for the queue yet. One idle worker at a time (the watcher) polls every
    ``settle`` seconds; when it sees no ack in flight and none started since its last
    look ``settle`` ago, it takes the oldest item and wakes the next worker, so in a lull
    all workers run. While acks keep coming, the oldest item runs once it has waited
    ``max_wait``, and only one such overdue item runs at a time. Items run in the order
    they came. ``close()`` runs what is queued without waiting for quiet, then stops.
    """

    def __init__(
        self,
        *,
        workers: int = 4,
        max_wait: float = 0.5,
        settle: float = 0.01,
        name: str = "slack-work",
    ) -> None:
        self.max_wait = max_wait
        self.settle = settle
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._items: deque[tuple[float, Work]] = deque()
        self._in_flight = 0
        self._acks = 0  # acks started, ever
        self._seen_acks = 0  # ... as the watcher last saw them
        self._seen_busy_at = float("-inf")  # when acks were last seen in flight or starting
        self._watching = False
        self._overdue_running = False
        self._closing = False
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    @contextmanager
    def acking(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
            self._acks += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def submit(self, work: Work) -> None:
        with self._lock:
            if self._closing:
                raise RuntimeError("the Slack app is shutting down")
            self._items.append((time.monotonic(), work))
            if not self._watching:
                self._wake.notify()

    def close(self, timeout: float | None = None) -> None:
        """Run everything queued (without waiting for quiet), then stop the workers."""
        with self._lock:
            self._closing = True
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._items)

    def _quiet(self, now: float) -> bool:
        """No ack in flight, and none started since a look at least ``settle`` ago."""
        if self._in_flight or self._acks != self._seen_acks:
            self._seen_acks, self._seen_busy_at = self._acks, now
            return False
        return now - self._seen_busy_at >= self.settle

    def _next(self) -> tuple[Work, bool] | None:
        """The next item and whether it runs overdue; None once closing and empty."""
        watching = False
        with self._lock:
            try:
                while True:
                    if self._items:
                        now = time.monotonic()
                        submitted, work = self._items[0]
                        quiet = self._closing or self._quiet(now)
                        overdue = now - submitted >= self.max_wait and not self._overdue_running
                        if quiet or overdue:
                            self._items.popleft()
                            if self._items:
                                self._wake.notify()  # the next worker takes over the watch
                            self._overdue_running = self._overdue_running or not quiet
                            return work, not quiet
                    elif self._closing:
                        return None
                    if self._items and (watching or not self._watching):
                        self._watching = watching = True
                        self._wake.wait(self.settle)
                    else:
                        self._wake.wait()
            finally:
                if watching:
                    self._watching = False

    def _run(self) -> None:
        while (job := self._next()) is not None:
            work, overdue = job
            try:
                work()
            except Exception:
                log.exception("deferred Slack work failed outside its guard")
            finally:
                if overdue:
                    with self._lock:
                        self._overdue_running = False
