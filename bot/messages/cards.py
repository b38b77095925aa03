"""Block Kit for the request card before submission, and for the service's replies.

Pure builders like ``bot.messages.blocks``: the confirmation card (Confirm / Edit dates /
Cancel), the transfer chooser, the closed card (dismissed, expired, rejected), and the
help / list / status replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

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
    truncate,
)

MAX_CHOICES = 10


@dataclass(frozen=True)
class RequestSummary:
    """The values of one request that every card shows."""

    request_id: int
    transfer_id: int | None
    transfer_name: str | None
    range_start: date
    range_end: date
    days: int
    notes: Sequence[str]
    requester: str


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text[:75]},
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def _summary(req: RequestSummary, *, question: bool) -> Block:
    mark = "?" if question else ""
    return section(
        f"*Backfill {transfer_label(req.transfer_id, req.transfer_name)}{mark}*\n"
        f"{format_range(req.range_start, req.range_end)} · {plural(req.days, 'daily run')}"
    )


def _notes(notes: Sequence[str]) -> list[Block]:
    if not notes:
        return []
    return [context(notes_text(notes))]


def confirmation_card(
    req: RequestSummary,
    *,
    warnings: Sequence[str] = (),
    problem: str | None = None,
    retry: bool = False,
    footer: str | None = None,
) -> list[Block]:
    """The card that asks for confirmation: summary, notes, warnings, the three buttons.

    ``problem`` is the reason the last attempt failed; ``retry`` swaps Confirm for Retry.
    """
    blocks = [_summary(req, question=True), *_notes(req.notes)]
    blocks += [section(f":warning: {warning}") for warning in warnings]
    if problem:
        blocks.append(section(f":x: {problem}"))
    value = str(req.request_id)
    first = (
        button("Retry", ids.ACTION_RETRY_SUBMIT, value, style="primary")
        if retry
        else button("Confirm", ids.ACTION_CONFIRM, value, style="primary")
    )
    blocks.append(
        {
            "type": "actions",
            "block_id": f"{ids.BLOCK_CONFIRM}:{req.request_id}",
            "elements": [
                first,
                button("Edit dates", ids.ACTION_EDIT, value),
                button("Cancel", ids.ACTION_DISMISS, value, style="danger"),
            ],
        }
    )
    line = f"Requested by <@{req.requester}> · request #{req.request_id}"
    blocks.append(context(f"{line} · {footer}" if footer else line))
    return blocks


def confirmation_text(req: RequestSummary) -> str:
    """The plain-text fallback (notifications, screen readers) for the confirmation card."""
    return (
        f"Backfill {transfer_label(req.transfer_id, req.transfer_name)} "
        f"{format_range(req.range_start, req.range_end)} ({plural(req.days, 'daily run')})?"
    )


def chooser_card(req: RequestSummary, candidates: Sequence[tuple[int, str]]) -> list[Block]:
    """Ask which transfer a name meant, with a button per candidate."""
    shown = list(candidates)[:MAX_CHOICES]
    blocks = [
        section(
            f'*Which transfer did you mean by "{escape_mrkdwn(req.transfer_name or "")}"?*\n'
            f"{format_range(req.range_start, req.range_end)} · "
            f"{plural(req.days, 'daily run')}"
        ),
        *_notes(req.notes),
        {
            "type": "actions",
            "block_id": f"{ids.BLOCK_CONFIRM}:{req.request_id}:choose",
            "elements": [
                button(
                    truncate(f"{name} (#{transfer_id})", 75),
                    f"{ids.ACTION_CHOOSE_TRANSFER}:{transfer_id}",
                    f"{req.request_id}:{transfer_id}",
                )
                for transfer_id, name in shown
            ]
            + [button("Cancel", ids.ACTION_DISMISS, str(req.request_id), style="danger")],
        },
    ]
    if len(candidates) > len(shown):
        blocks.append(
            context(
                f"{len(candidates) - len(shown)} more transfers match; "
                "use a longer name or the transfer id to pick one of those."
            )
        )
    blocks.append(context(f"Requested by <@{req.requester}> · request #{req.request_id}"))
    return blocks


def submitting_card(req: RequestSummary, *, confirmed_by: str) -> list[Block]:
    """Shown between the Confirm click and the API's answer (buttons gone: no double submit)."""
    return [
        _summary(req, question=False),
        *_notes(req.notes),
        context(
            f"Requested by <@{req.requester}> · Confirmed by <@{confirmed_by}> · "
            "submitting to Supermetrics…"
        ),
    ]


def closed_card(req: RequestSummary, *, headline: str, detail: str | None = None) -> list[Block]:
    """A request that ended before submission: dismissed, expired or rejected."""
    blocks = [_summary(req, question=False), *_notes(req.notes), section(headline)]
    if detail:
        blocks.append(context(detail))
    blocks.append(context(f"Requested by <@{req.requester}> · request #{req.request_id}"))
    return blocks


def rows_section(title: str, lines: Sequence[str], *, limit: int = 40) -> list[Block]:
    """A titled list that stays within Slack's section limits however long it is."""
    if not lines:
        return [section(f"*{title}*\nNone.")]
    blocks: list[Block] = []
    chunk = f"*{title}*"
    for line in lines[:limit]:
        candidate = f"{chunk}\n{line}"
        if len(candidate) > 2900:
            blocks.append(section(chunk))
            chunk = line
        else:
            chunk = candidate
    blocks.append(section(chunk))
    if len(lines) > limit:
        blocks.append(context(f"…and {len(lines) - limit} more."))
    return blocks


def status_blocks(
    req: RequestSummary,
    *,
    state: str,
    backfill_id: int | None,
    runs_total: int,
    runs_completed: int,
    runs_failed: int,
    reason: str | None,
    failed_dates: Sequence[str],
    paused_note: str | None,
) -> list[Block]:
    """The reply to ``status``: summary, state and progress, failed days, last reason."""
    blocks = [_summary(req, question=False)]
    who = f"Requested by <@{req.requester}> · request #{req.request_id}"
    if backfill_id is not None:
        who += f" · backfill #{backfill_id}"
        blocks.append(
            section(
                "`"
                + progress_line(
                    status=state,
                    runs_total=runs_total,
                    runs_completed=runs_completed,
                    runs_failed=runs_failed,
                )
                + "`"
            )
        )
    else:
        blocks.append(section(f"State: *{state}*"))
    if reason:
        blocks.append(context(f"Last note: {reason}"))
    if failed_dates:
        shown = ", ".join(failed_dates[:60])
        more = f" and {len(failed_dates) - 60} more" if len(failed_dates) > 60 else ""
        blocks.append(section(f"Failed days: {shown}{more}"))
    if paused_note:
        blocks.append(context(paused_note))
    blocks.append(context(who))
    return blocks


# Slack's limit on a button's value: a longer corrected command gets no button, only the text
BUTTON_VALUE_LIMIT = 2000


def suggestion_blocks(message: str, suggestion: str) -> list[Block]:
    """A refusal that names a likely correction, with a button that runs the corrected command.

    ``message`` is mrkdwn already (it says what was not understood and quotes the correction);
    the button only runs what the person can read there: nothing is corrected silently.
    """
    blocks: list[Block] = [section(message)]
    if suggestion and len(suggestion) <= BUTTON_VALUE_LIMIT:
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.BLOCK_SUGGESTION,
                "elements": [
                    button("Run the corrected command", ids.ACTION_RUN_SUGGESTION, suggestion)
                ],
            }
        )
    return blocks
