"""What every listener shares: the service, the responder, and how work leaves the ack.

Every listener acks, then hands its slow work to ``Listeners.later``: our own thread pool,
given the body Bolt already parsed. (Bolt's ``lazy=[...]`` listeners deep-copy the request
and its context on the ack path: ~0.8 ms of CPU per ack against ~0.06 ms for a bare ack,
measured with benchmarks/ack_bench.py; on two cores under a burst that copy was most of the
difference to a bare app.) The work runs inside ``guard``, which hands any failure to the
app's one error handler, as Bolt would not for work it did not start.

Acks come first: that work shares the process (and its GIL) with the threads acking
Slack, so before starting it waits, briefly and boundedly, for a moment when no ack is
in flight (``AckGate``). Under a burst the work queues a little longer; acks stay fast.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.service import BackfillService
from bot.slack.replies import Responder

log = logging.getLogger("bot.slack")

Body = Mapping[str, Any]


def acked_then(run: Callable[[Body], None]) -> Callable[[Ack, Body], None]:
    """A listener that acks at once, then lets ``run`` schedule the work (``later``)."""

    def listener(ack: Ack, body: Body) -> None:
        ack()
        run(body)

    listener.__name__ = f"ack_then_{getattr(run, '__name__', 'work')}"
    return listener


class AckGate:
    """Counts requests being acked; deferred work waits (at most ``max_wait``) for none."""

    def __init__(self, max_wait: float = 0.5) -> None:
        self.max_wait = max_wait
        self._in_flight = 0
        self._quiet = threading.Condition()

    @contextmanager
    def acking(self) -> Iterator[None]:
        with self._quiet:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._quiet:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._quiet.notify_all()

    def wait_quiet(self) -> None:
        deadline = time.monotonic() + self.max_wait
        with self._quiet:
            while self._in_flight > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._quiet.wait(remaining)


@dataclass
class Listeners:
    settings: Settings
    service: BackfillService
    responder: Responder
    session_factory: sessionmaker[Session]
    clock: Clock
    work_pool: Executor  # the slow part of every request, after its ack
    background: Executor  # slow follow-ups that outlive an ack (setup checks)
    gate: AckGate = field(default_factory=AckGate)

    def later(self, body: Body, work: Callable[[], None]) -> None:
        """Run ``work`` after the ack, on the work pool, guarded."""
        self.work_pool.submit(self.guard, body, work)

    def guard(self, body: Body, work: Callable[[], None]) -> None:
        """Run deferred work once acks are quiet; any failure goes to the one error path."""
        self.gate.wait_quiet()
        try:
            work()
        except Exception as exc:
            self.responder.report(exc, body)
