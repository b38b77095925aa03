"""The Supermetrics Data Transfer (DTS) API: typed models, the client and a local simulator.

Import the client from ``bot.supermetrics.client`` and the simulator from
``bot.simulator.server``; this package only re-exports the models so that importing
it stays cheap.
"""

from __future__ import annotations

from bot.supermetrics.models import (
    INCOMPLETE_STATUSES,
    Backfill,
    BackfillStatus,
    RateLimit,
    RunError,
    Transfer,
)

__all__ = [
    "INCOMPLETE_STATUSES",
    "Backfill",
    "BackfillStatus",
    "RateLimit",
    "RunError",
    "Transfer",
]
