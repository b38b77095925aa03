"""The request card for each moment before submission, as (fallback text, blocks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.messages import cards
from bot.messages.blocks import format_range, outside_line, transfer_label
from bot.messages.notifier import Message
from bot.service.deps import RequestSnapshot
from bot.store.external_backfills import external_backfills
from bot.store.models import ExternalBackfill
from bot.supermetrics.models import Backfill, BackfillStatus


def pending_card(
    req: RequestSnapshot,
    *,
    warnings: Sequence[str] = (),
    problem: str | None = None,
    retry: bool = False,
) -> Message:
    summary = req.summary
    text = cards.confirmation_text(summary)
    if problem:
        text = f"{text} {problem}"
    return Message(
        text, cards.confirmation_card(summary, warnings=warnings, problem=problem, retry=retry)
    )


def closed(req: RequestSnapshot, headline: str, detail: str | None = None) -> Message:
    label = transfer_label(req.transfer_id, req.transfer_name)
    text = f"Backfill {label} {format_range(req.range_start, req.range_end)}: {headline}"
    return Message(text, cards.closed_card(req.summary, headline=headline, detail=detail))


def outside_backfill(row: ExternalBackfill) -> Backfill:
    """A stored view of a backfill started outside Slack, as the API would show it."""
    return Backfill(
        backfill_id=row.backfill_id,
        transfer_id=row.transfer_id,
        range_start=row.range_start,
        range_end=row.range_end,
        status=BackfillStatus(row.status),
        created_time=row.created_time or row.seen_at,
        created_user_id=None,
        start_time=None,
        end_time=None,
        removed_time=None,
        runs_total=row.runs_total,
        runs_created=0,
        runs_completed=row.runs_completed,
        runs_failed=row.runs_failed,
        error_report=(),
    )


def outside_lines(session: Session, *, slack_team_id: str, now: datetime) -> list[str]:
    """The ``list`` and App Home lines of a workspace's backfills started outside Slack,
    newest first."""
    return [
        outside_line(
            backfill_id=row.backfill_id,
            transfer_id=row.transfer_id,
            range_start=row.range_start,
            range_end=row.range_end,
            status=row.status,
            runs_total=row.runs_total,
            runs_completed=row.runs_completed,
            runs_failed=row.runs_failed,
            seen_minutes_ago=int((now - row.seen_at).total_seconds() // 60),
        )
        for row in external_backfills(session, slack_team_id=slack_team_id)
    ]


def overlap_warnings(
    backfills: Sequence[Backfill],
    *,
    transfer_id: int,
    req_start: date,
    req_end: date,
    closes_on_confirm: int | None = None,
) -> list[str]:
    """Name each unfinished backfill of the transfer whose range overlaps the request.

    ``closes_on_confirm``: the FAILED backfill a retry of failed days will close first.
    """
    warnings = []
    for backfill in backfills:
        # the API's "incomplete" (FAILED included) is what blocks an overlapping create
        if backfill.transfer_id != transfer_id or not backfill.status.is_incomplete:
            continue
        if backfill.removed_time is not None:
            continue
        if backfill.range_start > req_end or req_start > backfill.range_end:
            continue
        if backfill.backfill_id == closes_on_confirm and backfill.status.is_final:
            warnings.append(
                f"These days failed in backfill #{backfill.backfill_id} "
                f"({format_range(backfill.range_start, backfill.range_end)}), which "
                "Supermetrics keeps open as FAILED and which blocks overlapping backfills. "
                "The failed backfill will be closed (cancelled) when you confirm, so this "
                "retry can run; the days it did load stay loaded."
            )
            continue
        warnings.append(
            f"This range overlaps backfill #{backfill.backfill_id} of this transfer "
            f"({backfill.status.value}, {format_range(backfill.range_start, backfill.range_end)}). "
            + (
                "It finished with errors but still blocks overlapping backfills until it is "
                "cancelled; cancel it or change the dates."
                if backfill.status.is_final
                else "Supermetrics refuses overlapping backfills: wait until it finishes, "
                "cancel it, or change the dates."
            )
        )
    return warnings[:5]
