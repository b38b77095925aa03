"""The backfill tracker (``from bot.tracker import Tracker``); the code is in ``bot.tracking``."""

from __future__ import annotations

from bot.tracking.tracker import TickStats, Tracker, default_owner, polling_tracker

__all__ = ["TickStats", "Tracker", "default_owner", "polling_tracker"]
