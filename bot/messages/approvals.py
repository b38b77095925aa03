"""Block Kit for two-person approval: the card awaiting approval (Approve / Reject), the
approvers' notices, and the modal asking why a request is rejected. Pure builders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.messages import ids
from bot.messages.blocks import context, format_range, plural, section, transfer_label, truncate
from bot.messages.cards import RequestSummary, button, confirmation_text
from bot.messages.notifier import Block, Message

REASON_ACTION = "reason"
REASON_MAX = 500


def _summary(req: RequestSummary) -> Block:
    return section(
        f"*Backfill {transfer_label(req.transfer_id, req.transfer_name)}*\n"
        f"{format_range(req.range_start, req.range_end)} · {plural(req.days, 'daily run')}"
    )


def awaiting_approval_card(
    req: RequestSummary, *, confirmed_by: str, rule: str, approvers: str
) -> Message:
    """The card once its requester confirmed: it waits for an approver's Approve."""
    value = str(req.request_id)
    blocks: list[Block] = [
        _summary(req),
        section(
            f":lock: *Awaiting approval.* {rule[:1].upper()}{rule[1:]} need a second "
            f"person's approval: {approvers}. Nothing is submitted until one of them approves."
        ),
        {
            "type": "actions",
            "block_id": f"{ids.BLOCK_APPROVAL}:{req.request_id}",
            "elements": [
                button("Approve", ids.ACTION_APPROVE, value, style="primary"),
                button("Reject", ids.ACTION_REJECT, value, style="danger"),
            ],
        },
        context(
            f"Requested by <@{req.requester}> · Confirmed by <@{confirmed_by}> · "
            f"request #{req.request_id}"
        ),
    ]
    text = f"Awaiting approval: {confirmation_text(req).rstrip('?')}"
    return Message(text=text, blocks=blocks)


def approval_notice(req: RequestSummary, *, approvers: str, rule: str, dm: bool) -> Message:
    """The thread mention (``dm=False``) or the direct message to an approver."""
    label = transfer_label(req.transfer_id, req.transfer_name)
    what = (
        f"<@{req.requester}> asks to backfill {label} "
        f"{format_range(req.range_start, req.range_end)} ({plural(req.days, 'day')}); "
        f"{rule} need a second person's approval"
    )
    if dm:
        text = f"{what}. Approve or reject request #{req.request_id} on its card."
    else:
        text = f"{approvers}: {what}. Use *Approve* or *Reject* on the card above."
    return Message(text=text, blocks=[section(truncate(text))])


@dataclass(frozen=True)
class RejectMeta:
    request_id: int
    channel_id: str

    def dumps(self) -> str:
        return json.dumps({"r": self.request_id, "c": self.channel_id})

    @classmethod
    def loads(cls, raw: str) -> RejectMeta:
        data = json.loads(raw)
        return cls(request_id=int(data["r"]), channel_id=str(data["c"]))


def reject_view(*, request_id: int, channel_id: str, summary: str) -> dict[str, Any]:
    """The modal that asks why (the reason is shown on the card and kept in the trail)."""
    return {
        "type": "modal",
        "callback_id": ids.VIEW_REJECT,
        "title": {"type": "plain_text", "text": "Reject backfill"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": RejectMeta(request_id, channel_id).dumps(),
        "blocks": [
            section(truncate(f"Reject request #{request_id}: {summary}")),
            {
                "type": "input",
                "block_id": ids.BLOCK_REJECT_REASON,
                "label": {"type": "plain_text", "text": "Why?"},
                "hint": {"type": "plain_text", "text": "The requester sees this on the card."},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_ACTION,
                    "multiline": True,
                    "max_length": REASON_MAX,
                },
            },
        ],
    }


def read_reason(values: dict[str, Any]) -> str:
    raw = values.get(ids.BLOCK_REJECT_REASON, {}).get(REASON_ACTION, {}).get("value") or ""
    return " ".join(str(raw).split())
