"""The transport-neutral use-cases: ``from bot.service import BackfillService, Actor, Reply``."""

from __future__ import annotations

from bot.messages.modals import DatesForm
from bot.service.core import INT64_MAX, BackfillService, new_reference, unexpected
from bot.service.directory import Directory, NoDirectory
from bot.service.types import OPEN_POLICY, OPEN_SETUP, Actor, Reply

__all__ = [
    "INT64_MAX",
    "OPEN_POLICY",
    "OPEN_SETUP",
    "Actor",
    "BackfillService",
    "DatesForm",
    "Directory",
    "NoDirectory",
    "Reply",
    "new_reference",
    "unexpected",
]
