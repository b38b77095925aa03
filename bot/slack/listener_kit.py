"""What every listener shares: the service, the responder, and how work leaves the ack.

Every listener acks, then hands its slow work to ``Listeners.later``: our own queue,
given the body Bolt already parsed (Bolt's ``lazy=[...]`` listeners deep-copy the request
on the ack path, which costs more than the ack itself: benchmarks/README.md). The work
runs inside ``guard``, which hands any failure to the app's one error handler, as Bolt
would not for work it did not start.

Acks come first: see ``bot.slack.ack_queue``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import Ack
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.service import BackfillService
from bot.slack.ack_queue import AckFirstWork
from bot.slack.responder import Responder

log = logging.getLogger("bot.slack")

Body = Mapping[str, Any]
Work = Callable[[], None]


def acked_then(run: Callable[[Body], None]) -> Callable[[Ack, Body], None]:
    """A listener that acks at once, then lets ``run`` schedule the work (``later``)."""

    def listener(ack: Ack, body: Body) -> None:
        ack()
        run(body)

    listener.__name__ = f"ack_then_{getattr(run, '__name__', 'work')}"
    return listener


@dataclass
class Listeners:
    settings: Settings
    service: BackfillService
    responder: Responder
    session_factory: sessionmaker[Session]
    clock: Clock
    gate: AckFirstWork  # the slow part of every request, after its ack
    background: Executor  # slow follow-ups that outlive an ack (setup checks)

    def later(self, body: Body, work: Work) -> None:
        """Run ``work`` after the ack, once acks are quiet (bounded), guarded."""
        self.gate.submit(partial(self.guard, body, work))

    def guard(self, body: Body, work: Work) -> None:
        """Run deferred work; any failure goes to the one error path."""
        try:
            work()
        except Exception as exc:
            self.responder.report(exc, body)
