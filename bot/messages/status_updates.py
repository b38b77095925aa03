"""Turn a stored event (and its request as it is now) into what Slack shows.

Pure: rows in, ``Message`` values out.  The thread reply says what happened at the time
of the event (its payload); the card always shows the request as it is now, so updating
it is idempotent and one update after several events is enough.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.messages.blocks import progress_line, submitted_card, transfer_label
from bot.messages.notifier import Message
from bot.messages.thread_replies import (
    card_text,
    expired_card,
    failed_backfill_closed_reply,
    finished_reply,
    progress_reply,
    status_reply,
    submitted_reply,
    tracking_paused_reply,
    tracking_resumed_reply,
)
from bot.store.models import (
    BACKFILL_FINAL_STATES,
    TRACKED_STATES,
    BackfillRequest,
    RequestEvent,
    RequestState,
)

# states whose card is the submitted card (backfill known), and the end states among them
CARD_STATES = TRACKED_STATES | {
    RequestState.COMPLETED,
    RequestState.FAILED,
    RequestState.CANCELLED,
}
REPLY_STATES = {
    RequestState.SUBMITTED,
    RequestState.SCHEDULED,
    RequestState.RUNNING,
    *BACKFILL_FINAL_STATES,
}

# on a FAILED request: its backfill was cancelled at Supermetrics (bot.service.failed_backfills)
FAILED_BACKFILL_CLOSED = "failed_backfill_closed"

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]+$")


def is_slack_user(actor: str | None) -> bool:
    return bool(actor and _SLACK_USER.match(actor))


def _int(payload: dict[str, Any], key: str, fallback: int) -> int:
    value = payload.get(key)
    return value if isinstance(value, int) else fallback


def event_counts(event: RequestEvent, request: BackfillRequest) -> tuple[int, int, int]:
    """(total, completed, failed) as the event saw them, falling back to the row."""
    payload = event.payload or {}
    return (
        _int(payload, "runs_total", request.runs_total or 0),
        _int(payload, "runs_completed", request.runs_completed or 0),
        _int(payload, "runs_failed", request.runs_failed or 0),
    )


def affects_card(event: RequestEvent) -> bool:
    """Whether announcing this event should refresh the parent card."""
    if event.kind == "progress":
        return True
    if event.kind != "state" or event.to_state is None:
        return False
    return event.to_state in CARD_STATES or event.to_state is RequestState.EXPIRED


def _duration(event: RequestEvent, request: BackfillRequest) -> timedelta | None:
    seconds = (event.payload or {}).get("duration_seconds")
    if isinstance(seconds, int | float):
        return timedelta(seconds=seconds)
    started: datetime | None = request.submitted_at
    if started is None:
        return None
    return event.created_at - started


def render_reply(
    event: RequestEvent, request: BackfillRequest, *, cancelled_by: str | None = None
) -> Message | None:
    """The thread reply for an event, or None when it only updates the card (or nothing)."""
    payload = event.payload or {}
    total, completed, failed = event_counts(event, request)
    if event.kind == "progress":
        if not payload.get("reply"):
            return None
        return progress_reply(
            status=str(payload.get("status") or request.dts_status or request.state),
            backfill_id=request.backfill_id,
            runs_total=total,
            runs_completed=completed,
            runs_failed=failed,
        )
    if event.kind == "tracking_paused":
        return tracking_paused_reply(
            backfill_id=request.backfill_id,
            request_id=request.id,
            reason=str(payload.get("reason") or "Supermetrics kept failing."),
            failures=payload.get("failures") if isinstance(payload.get("failures"), int) else None,
            next_look_at=_moment(payload.get("next_look_at")),
            every_seconds=_number(payload.get("every_seconds")),
        )
    if event.kind == "tracking_resumed":
        return tracking_resumed_reply(
            backfill_id=request.backfill_id,
            actor=event.actor if is_slack_user(event.actor) else None,
        )
    if event.kind == FAILED_BACKFILL_CLOSED:
        backfill_id = payload.get("backfill_id")
        retry_of = payload.get("retry_request_id")
        return failed_backfill_closed_reply(
            backfill_id=backfill_id if isinstance(backfill_id, int) else request.backfill_id,
            closed_by=event.actor if is_slack_user(event.actor) else None,
            retry_request_id=retry_of if isinstance(retry_of, int) else None,
        )
    if event.kind != "state" or event.to_state not in REPLY_STATES:
        return None
    state = RequestState(event.to_state)
    backfill_id = payload.get("backfill_id")
    if not isinstance(backfill_id, int):
        backfill_id = request.backfill_id
    if state is RequestState.SUBMITTED:
        submitter = event.actor if is_slack_user(event.actor) else None
        return submitted_reply(
            backfill_id=backfill_id,
            submitted_by=request.confirmed_by or submitter or request.user_id,
            transfer_id=request.transfer_id,
            transfer_name=request.transfer_name,
            range_start=request.range_start,
            range_end=request.range_end,
            days=request.days,
        )
    if state in BACKFILL_FINAL_STATES:
        report = payload.get("error_report")
        if not isinstance(report, list):
            report = list(request.error_report or [])
        return finished_reply(
            status=state.value,
            request_id=request.id,
            backfill_id=backfill_id,
            requester=request.user_id,
            duration=_duration(event, request),
            runs_total=total,
            runs_completed=completed,
            runs_failed=failed,
            error_report=report,
            cancelled_by=cancelled_by,
        )
    return status_reply(
        status=state.value,
        backfill_id=backfill_id,
        runs_total=total,
        runs_completed=completed,
        runs_failed=failed,
    )


def render_card(request: BackfillRequest) -> Message | None:
    """The parent card as the request is now, or None when the tracker leaves it alone."""
    state = RequestState(request.state)
    label = transfer_label(request.transfer_id, request.transfer_name)
    if state is RequestState.EXPIRED:
        return expired_card(
            transfer_id=request.transfer_id,
            transfer_name=request.transfer_name,
            range_start=request.range_start,
            range_end=request.range_end,
            days=request.days,
            requester=request.user_id,
            command_text=request.text or "",
            notes=list(request.notes or ()),
            awaited_approval=request.confirmed_by is not None,
        )
    if state not in CARD_STATES:
        return None
    # while tracked the card shows the API's own status (CREATED, SCHEDULED, …)
    status = state.value
    if state in TRACKED_STATES and request.dts_status:
        status = request.dts_status
    counts = {
        "runs_total": request.runs_total or request.days,
        "runs_completed": request.runs_completed or 0,
        "runs_failed": request.runs_failed or 0,
    }
    blocks = submitted_card(
        request_id=request.id,
        transfer_id=request.transfer_id,
        transfer_name=request.transfer_name,
        range_start=request.range_start,
        range_end=request.range_end,
        days=request.days,
        requester=request.user_id,
        confirmed_by=request.confirmed_by or request.user_id,
        approved_by=request.approved_by,
        backfill_id=request.backfill_id,
        status=status,
        notes=list(request.notes or ()),
        can_cancel=state in TRACKED_STATES,
        **counts,
    )
    text = card_text(
        transfer_label_text=label, status=status, progress=progress_line(status=status, **counts)
    )
    return Message(text=text, blocks=blocks)


def _moment(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _number(raw: object) -> float | None:
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
