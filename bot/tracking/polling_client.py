"""The DTS client the tracker polls with: no waiting inside a call.

The shared client sleeps through a 429's ``Retry-After`` and retries 5xx with backoff,
which suits a person waiting for one answer.  The tracker polls many workspaces from one
loop, so a sleep there would stall every other workspace: its client surfaces those
errors at once, and the tracker makes only the affected workspace (or backfill) wait.
"""

from __future__ import annotations

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.supermetrics.client import DtsClient


def build_polling_client(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
) -> DtsClient:
    """A DtsClient for the tracker: same API and timeout, no retries or Retry-After waits."""
    return DtsClient(
        base_url=settings.supermetrics_api_url,
        timeout=settings.supermetrics_timeout_seconds,
        transport=transport,
        max_retries=0,
        retry_budget_seconds=0.0,
        retry_after_cap_seconds=0.0,
        clock=clock,
    )
