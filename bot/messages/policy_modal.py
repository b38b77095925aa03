"""The Policies modal (``/backfill policy``, admins) and the policy as text. Pure.

Slack has user pickers (``multi_users_select``) and channel pickers but no user-group
picker, so groups are typed: their ids (``S0123ABCD``) or mentions, comma separated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.messages import ids
from bot.messages.blocks import context, section
from bot.messages.notifier import Block

_GROUP = re.compile(r"^(?:<!subteam\^)?(S[A-Z0-9]{2,31})(?:\|[^>]*)?>?$")


def action_id(block_id: str) -> str:
    """Each input's action id (unique in the view, as Slack asks)."""
    return f"{block_id}_value"


@dataclass(frozen=True)
class PolicyForm:
    """A workspace's policy as the modal and ``policy show`` present it."""

    requesters: tuple[str, ...]
    requester_groups: tuple[str, ...]
    approvers: tuple[str, ...]
    approver_groups: tuple[str, ...]
    approval_over_days: int | None
    approval_transfers: tuple[int, ...]
    max_days: int | None
    channels: tuple[str, ...]
    default_max_days: int


def policy_lines(form: PolicyForm) -> list[str]:
    def users(items: Sequence[str], empty: str) -> str:
        return ", ".join(f"<@{u}>" for u in items) if items else empty

    def groups(items: Sequence[str]) -> str:
        return ", ".join(f"<!subteam^{g}>" for g in items) if items else "none"

    rules = []
    if form.approval_over_days is not None:
        rules.append(f"over {form.approval_over_days} days")
    if form.approval_transfers:
        rules.append("of transfer " + ", ".join(f"#{t}" for t in form.approval_transfers))
    return [
        f"• *Who may request:* {users(form.requesters, 'everyone')}"
        + (f"; groups {groups(form.requester_groups)}" if form.requester_groups else ""),
        "• *In channels:* "
        + (", ".join(f"<#{c}>" for c in form.channels) if form.channels else "any"),
        f"• *Longest range:* {form.max_days or form.default_max_days} days"
        + ("" if form.max_days else " (default)"),
        "• *Needs a second person's approval:* "
        + ("backfills " + " or ".join(rules) if rules else "nothing"),
        f"• *Approvers:* {users(form.approvers, 'workspace admins')}"
        + (f"; groups {groups(form.approver_groups)}" if form.approver_groups else ""),
    ]


def _input(block_id: str, label: str, element: Block, hint: str) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "hint": {"type": "plain_text", "text": hint},
        "element": {**element, "action_id": action_id(block_id)},
    }


def _text(initial: str, placeholder: str) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "placeholder": {"type": "plain_text", "text": placeholder},
    }
    if initial:
        element["initial_value"] = initial
    return element


def _users(initial: Sequence[str]) -> Block:
    element: Block = {"type": "multi_users_select"}
    if initial:
        element["initial_users"] = list(initial)
    return element


def policy_view(form: PolicyForm, *, channel_id: str) -> dict[str, Any]:
    channels: Block = {"type": "multi_conversations_select"}
    if form.channels:
        channels["initial_conversations"] = list(form.channels)
    blocks = [
        section(
            "*Policies* for this workspace. Empty means everyone may request, and no "
            "backfill needs approval."
        ),
        _input(
            ids.BLOCK_POLICY_REQUESTERS,
            "Who may request",
            _users(form.requesters),
            "Empty: everyone in the workspace.",
        ),
        _input(
            ids.BLOCK_POLICY_REQUESTER_GROUPS,
            "Requester user groups",
            _text(", ".join(form.requester_groups), "S0123ABCD, S0456EFGH"),
            "User group ids or mentions, comma separated.",
        ),
        _input(ids.BLOCK_POLICY_CHANNELS, "Only in channels", channels, "Empty: any channel."),
        _input(
            ids.BLOCK_POLICY_MAX_DAYS,
            "Longest range (days)",
            _text(str(form.max_days or ""), str(form.default_max_days)),
            f"Empty: {form.default_max_days} days.",
        ),
        _input(
            ids.BLOCK_POLICY_OVER_DAYS,
            "Approval for ranges over (days)",
            _text(str(form.approval_over_days or ""), "e.g. 31"),
            "Empty: no approval for long ranges.",
        ),
        _input(
            ids.BLOCK_POLICY_TRANSFERS,
            "Approval for transfers",
            _text(", ".join(str(t) for t in form.approval_transfers), "e.g. 456789, 456790"),
            "Transfer ids, comma separated. Empty: none.",
        ),
        _input(
            ids.BLOCK_POLICY_APPROVERS,
            "Approvers",
            _users(form.approvers),
            "Empty: workspace admins approve.",
        ),
        _input(
            ids.BLOCK_POLICY_APPROVER_GROUPS,
            "Approver user groups",
            _text(", ".join(form.approver_groups), "S0123ABCD"),
            "User group ids or mentions, comma separated.",
        ),
        context("The requester of a backfill can never approve it, even as an approver."),
    ]
    return {
        "type": "modal",
        "callback_id": ids.VIEW_POLICY,
        "title": {"type": "plain_text", "text": "Backfill policies"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": channel_id,
        "blocks": blocks,
    }


PolicyChanges = dict[str, list[str] | list[int] | int | None]


def read_policy(values: dict[str, Any]) -> tuple[PolicyChanges, dict[str, str]]:
    """(changes by policy name, inline errors by block id) from ``view.state.values``."""

    def raw(block_id: str) -> dict[str, Any]:
        return dict(values.get(block_id, {}).get(action_id(block_id), {}) or {})

    changes: PolicyChanges = {}
    errors: dict[str, str] = {}
    changes["requesters"] = [
        str(u) for u in raw(ids.BLOCK_POLICY_REQUESTERS).get("selected_users") or []
    ]
    changes["approvers"] = [
        str(u) for u in raw(ids.BLOCK_POLICY_APPROVERS).get("selected_users") or []
    ]
    changes["channels"] = [
        str(c) for c in raw(ids.BLOCK_POLICY_CHANNELS).get("selected_conversations") or []
    ]
    for name, block in (
        ("requester-groups", ids.BLOCK_POLICY_REQUESTER_GROUPS),
        ("approver-groups", ids.BLOCK_POLICY_APPROVER_GROUPS),
    ):
        found, bad = parse_groups(str(raw(block).get("value") or ""))
        changes[name] = found
        if bad:
            errors[block] = f"{bad!r} is not a user group id (like S0123ABCD)."
    for name, block in (
        ("max-days", ids.BLOCK_POLICY_MAX_DAYS),
        ("approval-over-days", ids.BLOCK_POLICY_OVER_DAYS),
    ):
        text = str(raw(block).get("value") or "").strip()
        if not text:
            changes[name] = None
        elif text.isdigit() and int(text) >= 1:
            changes[name] = int(text)
        else:
            errors[block] = "A whole number of days, at least 1 (or empty)."
    transfers: list[int] = []
    for item in re.split(r"[\s,]+", str(raw(ids.BLOCK_POLICY_TRANSFERS).get("value") or "")):
        if not item:
            continue
        if item.lstrip("#").isdigit():
            transfers.append(int(item.lstrip("#")))
        else:
            errors[ids.BLOCK_POLICY_TRANSFERS] = f"{item!r} is not a transfer id (a number)."
    changes["approval-transfers"] = transfers
    return changes, errors


def parse_groups(text: str) -> tuple[list[str], str | None]:
    """User group ids from "S0123, <!subteam^S0456|@leads>"; the first bad item, if any."""
    found: list[str] = []
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        match = _GROUP.match(item)
        if match is None:
            return found, item
        found.append(match.group(1))
    return found, None
