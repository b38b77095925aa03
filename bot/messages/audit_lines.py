"""The audit trail in words: one request event as "who did what", for ``/backfill history``
(mrkdwn) and ``audit`` exports (plain). Pure functions over stored values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.messages.blocks import context, escape_mrkdwn, format_range, transfer_label
from bot.messages.cards import rows_section
from bot.messages.notifier import Block
from bot.messages.status_updates import is_slack_user

# states whose events come from the API's own statuses (the tracker records them)
_API_STATES = frozenset({"CREATED", "SCHEDULED", "RUNNING", "COMPLETED", "FAILED"})


def who(actor: str, *, mrkdwn: bool) -> str:
    if is_slack_user(actor):
        return f"<@{actor}>" if mrkdwn else actor
    return {"tracker": "the tracker", "expiry": "the bot", "recovery": "the bot"}.get(actor, actor)


def _runs(payload: Mapping[str, Any]) -> str:
    total = payload.get("runs_total")
    if not total:
        return ""
    done, failed = payload.get("runs_completed") or 0, payload.get("runs_failed") or 0
    return f" ({done}/{total} days" + (f", {failed} failed" if failed else "") + ")"


def describe_event(
    *,
    kind: str,
    from_state: str | None,
    to_state: str | None,
    actor: str,
    payload: Mapping[str, Any],
    mrkdwn: bool = True,
) -> str | None:
    """ "<@U1> approved it", "Supermetrics: RUNNING (3/31 days)"; None for routine noise."""
    person = who(actor, mrkdwn=mrkdwn)

    def quote(text: Any) -> str:
        return escape_mrkdwn(str(text)) if mrkdwn else str(text)

    reason = payload.get("reason")
    if kind == "created":
        return f"{person} asked for it"
    if kind == "edited":
        new = payload.get("to") or ["?", "?"]
        return f"{person} changed the dates to {new[0]} → {new[1]}"
    if kind == "failed_backfill_closed":
        return f"{person} closed the failed backfill it retries"
    if kind in {"tracking_paused", "tracking_resumed"}:
        return f"tracking {kind.removeprefix('tracking_')}" + (f": {reason}" if reason else "")
    if kind != "state":
        return None if kind == "progress" else f"{person}: {kind}"
    if to_state == "AWAITING_APPROVAL":
        return f"{person} confirmed it; it needs approval ({payload.get('approval_needed', '')})"
    if to_state == "SUBMITTING":
        return (
            f"{person} approved it"
            if from_state == "AWAITING_APPROVAL"
            else f"{person} confirmed it"
        )
    if to_state == "SUBMITTED":
        status = payload.get("status") or "accepted"
        return f"Supermetrics accepted it: backfill #{payload.get('backfill_id')} ({status})"
    if to_state == "PENDING" and from_state == "SUBMITTING":
        return f"submitting failed, back to pending: {quote(reason or '')}"
    if to_state == "REJECTED":
        if "rejection" in payload:
            return f"{person} rejected it: {quote(payload['rejection'])}"
        code = payload.get("status_code")
        return f"Supermetrics refused it{f' ({code})' if code else ''}: {quote(reason or '')}"
    if to_state == "DISMISSED":
        return f"{person} cancelled it before it was submitted"
    if to_state == "CANCELLED":
        return f"{person} cancelled the backfill" + _runs(payload)
    if to_state == "EXPIRED":
        return f"expired: {quote(reason or 'not confirmed in time')}"
    if to_state in _API_STATES:
        return f"Supermetrics: {payload.get('status') or to_state}{_runs(payload)}"
    return f"{person}: {from_state} → {to_state}"


def history_blocks(title: str, lines: Sequence[str], *, more: int = 0) -> list[Block]:
    """The ephemeral answer to ``/backfill history``."""
    blocks = rows_section(title, list(lines))
    if more:
        blocks.append(context(f"…and {more} earlier events; narrow it with `since YYYY-MM-DD`."))
    return blocks


def history_line(
    *,
    at: datetime,
    request_id: int,
    transfer_id: int | None,
    transfer_name: str | None,
    range_start: date,
    range_end: date,
    what: str,
) -> str:
    label = transfer_label(transfer_id, transfer_name)
    return (
        f"• `{at.strftime('%Y-%m-%d %H:%M')}` *#{request_id}* {label} "
        f"{format_range(range_start, range_end)}: {what}"
    )
