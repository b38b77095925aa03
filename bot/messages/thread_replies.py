"""Pure builders for the tracker's thread replies and card states.

Plain values in, a ``Message`` (fallback text + Block Kit blocks) out.  The announcer
turns stored events into these; nothing here touches Slack, the store or the clock.

Text that came from the API or a person (run errors, statuses, the command, notes) is
escaped for mrkdwn here, so ``<!channel>`` or ``<http://…|…>`` in it stays literal
instead of pinging a channel or making a link.  A ``reason`` is a
``BotError.user_message``, which is mrkdwn already (its producer escapes what it quotes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.clock import day_spans
from bot.messages import ids
from bot.messages.blocks import (
    Block,
    context,
    escape_mrkdwn,
    format_range,
    notes_text,
    plural,
    progress_line,
    section,
    transfer_label,
)
from bot.messages.notifier import Message

# A section's text may hold 3000 characters; leave room for the heading line.
FAILURES_TEXT_LIMIT = 2800
MAX_FAILURE_GROUPS = 12
MAX_SPANS_PER_GROUP = 8
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class FailureGroup:
    """Failed days that share one error message."""

    error: str
    dates: tuple[date, ...]


# ----------------------------------------------------------------------- failures
def parse_error_report(report: Iterable[Mapping[str, Any]]) -> list[tuple[date, str]]:
    """Read stored ``{"date", "error"}`` items, skipping any that are malformed."""
    items: list[tuple[date, str]] = []
    for item in report:
        raw_date, error = item.get("date"), item.get("error")
        try:
            day = raw_date if isinstance(raw_date, date) else date.fromisoformat(str(raw_date))
        except ValueError:
            continue
        items.append((day, str(error).strip() if error else "Unknown error"))
    return items


def group_failures(report: Iterable[Mapping[str, Any]]) -> list[FailureGroup]:
    """Group failed days by error message: most days first, then earliest date."""
    # one error per day: the API reports a day once, but a repeated day must not count twice
    first_error: dict[date, str] = {}
    for day, error in parse_error_report(report):
        first_error.setdefault(day, error)
    by_error: dict[str, set[date]] = {}
    for day, error in first_error.items():
        by_error.setdefault(error, set()).add(day)
    groups = [FailureGroup(error, tuple(sorted(days))) for error, days in by_error.items()]
    groups.sort(key=lambda group: (-len(group.dates), group.dates[0], group.error))
    return groups


def format_spans(dates: Sequence[date], *, max_spans: int = MAX_SPANS_PER_GROUP) -> str:
    """Return e.g. ``2026-01-03 → 2026-01-05, 2026-01-09`` (+ how many spans were left out)."""
    spans = day_spans(dates)
    shown = ", ".join(format_range(start, end) for start, end in spans[:max_spans])
    if len(spans) > max_spans:
        shown += f" and {plural(len(spans) - max_spans, 'more span')}"
    return shown


def _one_line(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 2].rstrip() + " …"


def failures_text(
    report: Iterable[Mapping[str, Any]],
    *,
    runs_failed: int,
    limit: int = FAILURES_TEXT_LIMIT,
    max_groups: int = MAX_FAILURE_GROUPS,
) -> str:
    """The failed days and their errors, grouped and cut to fit one Slack section.

    ``runs_failed`` may exceed what the error report lists (the API can report a failure
    before its message); the difference is counted among the days not shown.
    """
    groups = group_failures(report)
    listed = sum(len(group.dates) for group in groups)
    total = max(runs_failed, listed)
    header = f"*{plural(total, 'day')} failed:*"
    lines: list[str] = [header]
    used = len(header)
    shown = 0
    for index, group in enumerate(groups):
        count = plural(len(group.dates), "day")
        # cut first, then escape: an entity is never cut in half
        error = escape_mrkdwn(_one_line(group.error))
        line = f"• {format_spans(group.dates)} ({count}): {error}"
        # keep room for the "and N more" line
        if index >= max_groups or used + len(line) + 1 > limit - 80:
            break
        lines.append(line)
        used += len(line) + 1
        shown += len(group.dates)
    rest = total - shown
    if rest > 0:
        lines.append(
            f"…and {plural(rest, 'more failed day')}"
            + (" (no error details yet)" if shown == listed else "")
            + "."
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------ helpers
def format_duration(duration: timedelta | None) -> str:
    """Return e.g. ``2 h 5 min``, ``12 min``, ``40 s``; empty when unknown."""
    if duration is None:
        return ""
    seconds = max(int(duration.total_seconds()), 0)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


def _backfill_name(backfill_id: int | None) -> str:
    return f"Backfill #{backfill_id}" if backfill_id is not None else "The backfill"


def _counts(*, runs_total: int, runs_completed: int, runs_failed: int) -> str:
    text = f"{runs_completed}/{runs_total} days transferred"
    if runs_failed:
        text += f", {runs_failed} failed"
    return text


def _progress_block(
    *, status: str, runs_total: int, runs_completed: int, runs_failed: int
) -> Block:
    line = progress_line(
        status=escape_mrkdwn(status),
        runs_total=runs_total,
        runs_completed=runs_completed,
        runs_failed=runs_failed,
    )
    return context(f"`{line}`")


def retry_failed_days_button(request_id: int) -> Block:
    return {
        "type": "actions",
        "block_id": f"backfill_retry_failed:{request_id}",
        "elements": [
            {
                "type": "button",
                "action_id": ids.ACTION_RETRY_FAILED_DAYS,
                "text": {"type": "plain_text", "text": "Retry failed days"},
                "style": "primary",
                "value": str(request_id),
            }
        ],
    }


# ------------------------------------------------------------------ thread replies
def submitted_reply(
    *,
    backfill_id: int | None,
    submitted_by: str,
    transfer_id: int | None,
    transfer_name: str | None,
    range_start: date,
    range_end: date,
    days: int,
) -> Message:
    """The first reply under the card, right after the API accepted the backfill."""
    text = (
        f"{_backfill_name(backfill_id)} submitted by <@{submitted_by}>: "
        f"{transfer_label(transfer_id, transfer_name)}, {format_range(range_start, range_end)} "
        f"({plural(days, 'daily run')}). I'll post updates in this thread."
    )
    return Message(text=text, blocks=[section(text)])


def status_reply(
    *,
    status: str,
    backfill_id: int | None,
    runs_total: int,
    runs_completed: int,
    runs_failed: int,
) -> Message:
    """A reply for a non-final status change (SCHEDULED, RUNNING)."""
    name = _backfill_name(backfill_id)
    if status == "SCHEDULED":
        text = f":calendar: {name} is scheduled: {plural(runs_total, 'daily run')} queued."
    elif status == "RUNNING":
        text = f":arrows_counterclockwise: {name} is running."
    else:
        text = f"{name} is now {escape_mrkdwn(status)}."
    blocks = [
        section(text),
        _progress_block(
            status=status,
            runs_total=runs_total,
            runs_completed=runs_completed,
            runs_failed=runs_failed,
        ),
    ]
    return Message(text=text, blocks=blocks)


def progress_reply(
    *,
    status: str,
    backfill_id: int | None,
    runs_total: int,
    runs_completed: int,
    runs_failed: int,
) -> Message:
    """A throttled progress update in the thread."""
    line = progress_line(
        status=escape_mrkdwn(status),
        runs_total=runs_total,
        runs_completed=runs_completed,
        runs_failed=runs_failed,
    )
    text = f"{_backfill_name(backfill_id)}: {line}"
    return Message(text=text, blocks=[section(f"`{line}`")])


def finished_reply(
    *,
    status: str,
    request_id: int,
    backfill_id: int | None,
    requester: str,
    duration: timedelta | None,
    runs_total: int,
    runs_completed: int,
    runs_failed: int,
    error_report: Sequence[Mapping[str, Any]] = (),
    cancelled_by: str | None = None,
) -> Message:
    """The end of a backfill: requester mentioned, duration, run counts, failures.

    ``cancelled_by`` is a Slack user id, or None when the backfill was cancelled
    outside Slack (e.g. in the Supermetrics Hub).
    """
    name = _backfill_name(backfill_id)
    took = format_duration(duration)
    counts = _counts(runs_total=runs_total, runs_completed=runs_completed, runs_failed=runs_failed)
    if status == "COMPLETED" and not runs_failed:
        headline = f":white_check_mark: <@{requester}> {name} completed"
    elif status == "COMPLETED":
        headline = f":warning: <@{requester}> {name} completed with failures"
    elif status == "FAILED":
        headline = f":x: <@{requester}> {name} failed"
    elif status == "CANCELLED":
        who = f"by <@{cancelled_by}>" if cancelled_by else "outside Slack (e.g. in Supermetrics)"
        headline = f":no_entry_sign: <@{requester}> {name} was cancelled {who}"
    else:
        headline = f"<@{requester}> {name} ended: {escape_mrkdwn(status)}"
    text = f"{headline}: {counts}" + (f" in {took}." if took else ".")
    blocks: list[Block] = [
        section(text),
        _progress_block(
            status=status,
            runs_total=runs_total,
            runs_completed=runs_completed,
            runs_failed=runs_failed,
        ),
    ]
    if runs_failed or error_report:
        blocks.append(section(failures_text(error_report, runs_failed=runs_failed)))
        if status in {"COMPLETED", "FAILED"}:
            blocks.append(retry_failed_days_button(request_id))
    return Message(text=text, blocks=blocks)


def tracking_paused_reply(
    *,
    backfill_id: int | None,
    request_id: int,
    reason: str,
    failures: int | None = None,
    next_look_at: datetime | None = None,
    every_seconds: float | None = None,
) -> Message:
    """Told once the tracker slows down on a backfill whose API calls keep failing."""
    attempts = f" after {plural(failures, 'failed attempt')}" if failures else ""
    if next_look_at is not None:
        every = f", then every {_minutes(every_seconds)}" if every_seconds else ""
        again = (
            f"I'll look again by myself at {next_look_at.strftime('%H:%M')} UTC{every} until "
            "it answers, and post here when tracking resumes. "
            f"`/backfill status {request_id}` looks at once."
        )
    else:
        again = f"Fix the cause, then type `/backfill status {request_id}` to resume tracking."
    text = (
        f":double_vertical_bar: Tracking of {_backfill_name(backfill_id).lower()} is paused"
        f"{attempts}: {_one_line(reason)} {again}"
    )
    return Message(text=text, blocks=[section(text)])


def _minutes(seconds: float | None) -> str:
    minutes = max(1, round((seconds or 60) / 60))
    return plural(minutes, "minute")


def failed_backfill_closed_reply(
    *, backfill_id: int | None, closed_by: str | None, retry_request_id: int | None
) -> Message:
    """A FAILED backfill was cancelled at Supermetrics: for a retry of its days, or on request.

    ``closed_by`` is a Slack user id, or None when the close was not asked for in Slack.
    """
    name = _backfill_name(backfill_id)
    if retry_request_id is not None:
        whose = f"<@{closed_by}>'s retry" if closed_by else "the retry"
        text = (
            f":broom: {name} had finished with errors and still held these dates at "
            "Supermetrics, which refuses overlapping backfills, so I closed it (cancelled) "
            f"to let {whose} of its failed days run (request #{retry_request_id}). "
            "The failed days listed above stay as they were."
        )
    else:
        who = f"<@{closed_by}> closed it" if closed_by else "it was closed"
        text = (
            f":broom: {name} had finished with errors; {who} (cancelled) at Supermetrics so "
            "its dates are free for new backfills. Its failed days stay recorded above."
        )
    return Message(text=text, blocks=[section(text)])


def tracking_resumed_reply(*, backfill_id: int | None, actor: str | None) -> Message:
    by = f" (asked by <@{actor}>)" if actor else ""
    text = f":arrow_forward: Tracking of {_backfill_name(backfill_id).lower()} resumed{by}."
    return Message(text=text, blocks=[section(text)])


# ---------------------------------------------------------------------- card states
def card_text(*, transfer_label_text: str, status: str, progress: str) -> str:
    """The card's fallback text (notifications, screen readers)."""
    return f"Backfill of {transfer_label_text}: {progress}" if progress else status


def expired_card(
    *,
    transfer_id: int | None,
    transfer_name: str | None,
    range_start: date,
    range_end: date,
    days: int,
    requester: str,
    command_text: str,
    notes: Sequence[str] = (),
    awaited_approval: bool = False,
) -> Message:
    """The confirmation card once nobody confirmed (or approved) it in time: a note."""
    summary = (
        f"*Backfill of {transfer_label(transfer_id, transfer_name)}*\n"
        f"{format_range(range_start, range_end)} · {plural(days, 'daily run')}"
    )
    blocks: list[Block] = [section(summary)]
    if notes:
        blocks.append(context(notes_text(notes)))
    again = " Ask again"
    if command_text:
        command = escape_mrkdwn(_one_line(command_text, 200))
        again = f" Run `{ids.SLASH_COMMAND} {command}` again"
    blocks.append(
        context(
            f":hourglass: Requested by <@{requester}> · This request expired before anyone "
            f"{'approved' if awaited_approval else 'confirmed'} it, so nothing was submitted."
            f"{again} to start over."
        )
    )
    text = (
        f"Expired: backfill of {transfer_label(transfer_id, transfer_name)} was not "
        f"{'approved' if awaited_approval else 'confirmed'}."
    )
    return Message(text=text, blocks=blocks)
