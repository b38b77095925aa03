"""Compare what the API says about a backfill with what the store last recorded.

Pure: the request's stored values and a ``Backfill`` in, an ``Observation`` out (the
state to mirror, the columns to write, whether anything worth telling people changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.store.models import BACKFILL_FINAL_STATES, BackfillRequest, RequestState
from bot.supermetrics.models import Backfill


@dataclass(frozen=True)
class Observation:
    state: RequestState  # the request state mirroring the API status
    state_changed: bool
    progress_changed: bool  # runs completed/failed/total moved
    values: dict[str, Any]  # columns to write (counts, status, error report)
    payload: dict[str, Any]  # what the event records

    @property
    def changed(self) -> bool:
        return self.state_changed or self.progress_changed

    @property
    def final(self) -> bool:
        return self.state in BACKFILL_FINAL_STATES


def backfill_values(backfill: Backfill) -> dict[str, Any]:
    """The request columns that mirror a backfill's status and run counts."""
    return {
        "dts_status": backfill.status.value,
        "runs_total": backfill.runs_total,
        "runs_created": backfill.runs_created,
        "runs_completed": backfill.runs_completed,
        "runs_failed": backfill.runs_failed,
    }


def backfill_payload(backfill: Backfill) -> dict[str, Any]:
    """What an event records about the backfill it saw (the thread reply renders it)."""
    return {
        "backfill_id": backfill.backfill_id,
        "status": backfill.status.value,
        "runs_total": backfill.runs_total,
        "runs_completed": backfill.runs_completed,
        "runs_failed": backfill.runs_failed,
    }


def error_report_values(backfill: Backfill) -> list[dict[str, str]]:
    return [
        {"date": item.run_date.isoformat(), "error": item.error}
        for item in sorted(backfill.error_report, key=lambda item: item.run_date)
    ]


def duration_seconds(backfill: Backfill, *, submitted_at: datetime | None, now: datetime) -> float:
    """How long the backfill took: the API's times when it gives them, else ours."""
    start = backfill.created_time or submitted_at
    end = backfill.end_time or now
    if start is None:
        return 0.0
    return max((end - start) / timedelta(seconds=1), 0.0)


def observe(request: BackfillRequest, backfill: Backfill, *, now: datetime) -> Observation:
    """What changed between the stored request and the backfill the API returned."""
    state = RequestState(backfill.status.value)
    report = error_report_values(backfill)
    values = {**backfill_values(backfill), "error_report": report}
    state_changed = state != request.state
    progress_changed = (
        backfill.runs_total != (request.runs_total or 0)
        or backfill.runs_completed != (request.runs_completed or 0)
        or backfill.runs_failed != (request.runs_failed or 0)
    )
    payload = backfill_payload(backfill)
    if state in BACKFILL_FINAL_STATES:
        payload["error_report"] = report
        payload["duration_seconds"] = duration_seconds(
            backfill, submitted_at=request.submitted_at, now=now
        )
    return Observation(
        state=state,
        state_changed=state_changed,
        progress_changed=progress_changed,
        values=values,
        payload=payload,
    )


def needs_write(request: BackfillRequest, values: dict[str, Any]) -> bool:
    """Whether any stored column differs from the observed values."""
    return any(getattr(request, key) != value for key, value in values.items())
