"""The transport-neutral use-cases: ``from bot.service import BackfillService, Actor, Reply``."""

from __future__ import annotations

from bot.messages.modals import DatesForm
from bot.service.core import INT64_MAX, BackfillService, new_reference, unexpected
from bot.service.types import OPEN_SETUP, Actor, Reply

__all__ = [
    "INT64_MAX",
    "OPEN_SETUP",
    "Actor",
    "BackfillService",
    "DatesForm",
    "Reply",
    "new_reference",
    "unexpected",
]
