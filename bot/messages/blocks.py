"""Pure Block Kit builders: plain values in, lists of blocks out.

Shared by the service (confirmation card), the tracker (progress, thread replies) and
the console (which renders the same blocks as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.errors import BotError

Block = dict[str, Any]

BAR_WIDTH = 10
SECTION_TEXT_LIMIT = 3000


def progress_line(*, status: str, runs_total: int, runs_completed: int, runs_failed: int) -> str:
    """Return e.g. ``RUNNING ▓▓▓▓▓▓░░░░ 19/31 days · 1 failed``."""
    total = max(runs_total, 0)
    done = min(max(runs_completed, 0) + max(runs_failed, 0), total) if total else 0
    filled = round(BAR_WIDTH * done / total) if total else 0
    bar = "▓" * filled + "░" * (BAR_WIDTH - filled)
    line = f"{status} {bar} {runs_completed}/{total} days"
    if runs_failed:
        line += f" · {runs_failed} failed"
    return line


def outside_line(
    *,
    backfill_id: int,
    transfer_id: int,
    range_start: date,
    range_end: date,
    status: str,
    runs_total: int,
    runs_completed: int,
    runs_failed: int,
    seen_minutes_ago: int,
) -> str:
    """A backfill the team's list showed that no request here submitted (the Supermetrics
    Hub or another tool started it).  The tracker reads that list only while the workspace
    follows backfills of its own, so an older view says how old it is."""
    line = (
        f"• backfill #{backfill_id} · transfer #{transfer_id} · "
        f"{format_range(range_start, range_end)} · "
        + progress_line(
            status=status,
            runs_total=runs_total,
            runs_completed=runs_completed,
            runs_failed=runs_failed,
        )
        + " · started outside Slack"
    )
    if seen_minutes_ago >= 1:
        line += f" (as seen {seen_minutes_ago} min ago)"
    return line


def format_range(range_start: date, range_end: date) -> str:
    """Return ``2026-01-01 → 2026-01-31`` (or one date for a single day)."""
    if range_start == range_end:
        return range_start.isoformat()
    return f"{range_start.isoformat()} → {range_end.isoformat()}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def escape_mrkdwn(text: str) -> str:
    """Make text literal in Slack mrkdwn: ``<``, ``>`` and ``&`` as Slack's own entities.

    For anything a person or an API wrote (command text, transfer names, API error
    descriptions) and for literal placeholders such as ``<id>``: unescaped, Slack reads
    ``<!channel>``, ``<@U123>`` or ``<https://…|label>`` as mentions and links.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_text(exc: BotError) -> str:
    """An error's message as Slack mrkdwn: literal where it quotes outside text."""
    return escape_mrkdwn(exc.user_message) if exc.quotes_outside_text else exc.user_message


def unescape_mrkdwn(text: str) -> str:
    """Undo Slack's escaping of ``&``, ``<`` and ``>`` in text it sends us."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def transfer_label(transfer_id: int | None, transfer_name: str | None) -> str:
    """``Name (#id)`` for mrkdwn; the name (from the API or the user) is escaped."""
    name = escape_mrkdwn(transfer_name) if transfer_name else None
    if transfer_id is not None and name:
        return f"{name} (#{transfer_id})"
    if transfer_id is not None:
        return f"#{transfer_id}"
    return name or "unknown transfer"


def notes_text(notes: Sequence[str]) -> str:
    """Bulleted notes; escaped, as they may quote what the user typed."""
    return "\n".join(f"• {escape_mrkdwn(note)}" for note in notes)


def truncate(text: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """Cut text to Slack's limit, saying that it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 2].rstrip() + " …"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text)}]}


def submitted_card(
    *,
    request_id: int,
    transfer_id: int | None,
    transfer_name: str | None,
    range_start: date,
    range_end: date,
    days: int,
    requester: str,
    confirmed_by: str,
    backfill_id: int | None,
    status: str,
    runs_total: int,
    runs_completed: int,
    runs_failed: int,
    notes: Sequence[str],
    can_cancel: bool,
    approved_by: str | None = None,
) -> list[Block]:
    """The confirmation message once submitted: summary, progress line, Cancel backfill."""
    from bot.messages import ids  # local: ids imports nothing from here, keeps builders pure

    summary = (
        f"*Backfill of {transfer_label(transfer_id, transfer_name)}*\n"
        f"{format_range(range_start, range_end)} · {plural(days, 'daily run')}"
    )
    blocks: list[Block] = [section(summary)]
    if notes:
        blocks.append(context(notes_text(notes)))
    backfill = f"backfill #{backfill_id}" if backfill_id is not None else "backfill pending"
    approved = f" · Approved by <@{approved_by}>" if approved_by else ""
    blocks.append(
        context(
            f"Requested by <@{requester}> · Submitted by <@{confirmed_by}>{approved} · "
            f"{backfill} · {status}"
        )
    )
    blocks.append(
        section(
            "`"
            + progress_line(
                status=status,
                runs_total=runs_total,
                runs_completed=runs_completed,
                runs_failed=runs_failed,
            )
            + "`"
        )
    )
    if can_cancel:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{ids.BLOCK_SUBMITTED}:{request_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.ACTION_CANCEL_BACKFILL,
                        "text": {"type": "plain_text", "text": "Cancel backfill"},
                        "style": "danger",
                        "value": str(request_id),
                        "confirm": {
                            "title": {"type": "plain_text", "text": "Cancel this backfill?"},
                            "text": {
                                "type": "mrkdwn",
                                "text": "Queued days stop; days already running finish.",
                            },
                            "confirm": {"type": "plain_text", "text": "Cancel backfill"},
                            "deny": {"type": "plain_text", "text": "Keep it"},
                        },
                    }
                ],
            }
        )
    return blocks
