"""What every listener shares: the service, the responder, and the guard around lazy work.

Bolt swallows exceptions raised in lazy listeners (it only logs them), so each lazy body
runs inside ``Listeners.guard``, which hands any failure to the app's one error handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.service import BackfillService
from bot.slack.replies import Responder

log = logging.getLogger("bot.slack")

Body = Mapping[str, Any]


@dataclass
class Listeners:
    settings: Settings
    service: BackfillService
    responder: Responder
    session_factory: sessionmaker[Session]
    clock: Clock
    background: Executor  # slow follow-ups that outlive an ack (setup checks)

    def guard(self, body: Body, work: Callable[[], None]) -> None:
        """Run lazy work; any failure goes to the one error path (shown to the asker)."""
        try:
            work()
        except Exception as exc:
            self.responder.report(exc, body)
