"""The New backfill modal: a transfer picker, a typed range previewed live or two days,
and the channel that gets the confirmation card. Builders and readers only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.messages import ids
from bot.messages.blocks import context, escape_mrkdwn, format_range, plural, section
from bot.messages.notifier import Block

OPTION_TEXT_LIMIT = 75
TYPE_A_RANGE = "Type a range, e.g. _last January_, _Q3 2025_, _from Jan 5 to Jan 12_."


@dataclass(frozen=True)
class FormInput:
    """What the person filled in (None / empty where nothing was)."""

    transfer_id: int | None
    range_text: str
    start: date | None
    end: date | None
    channel: str | None


def transfer_option(transfer_id: int, name: str) -> Block:
    """``Facebook Ads - daily (#456789)``, its value the id."""
    suffix = f" (#{transfer_id})"
    room = OPTION_TEXT_LIMIT - len(suffix)
    shown = name if len(name) <= room else name[: room - 1].rstrip() + "…"
    return {"text": {"type": "plain_text", "text": shown + suffix}, "value": str(transfer_id)}


def preview_text(
    *,
    start: date | None,
    end: date | None,
    days: int,
    notes: tuple[str, ...],
    error: str | None,
) -> str:
    """The line under the typed range: what it reads as, or why it can't be read."""
    if error:
        return f":x: {error}"
    if start is None or end is None:
        return TYPE_A_RANGE
    text = f":calendar: *{format_range(start, end)}* · {plural(days, 'day')}"
    for note in notes:
        text += f"\n{escape_mrkdwn(note)}"
    return text


def new_backfill_view(
    *,
    dm_channel: str | None,
    token_set: bool,
    today: date,
    preview: str = TYPE_A_RANGE,
) -> dict[str, Any]:
    """The modal; ``dm_channel`` (the person's DM with the bot) is the default channel."""
    channel_element: Block = {
        "type": "conversations_select",
        "action_id": ids.ACTION_FORM_CHANNEL,
        "placeholder": {"type": "plain_text", "text": "Your DM with the bot"},
        "filter": {"include": ["public", "private", "im"]},
    }
    if dm_channel:
        channel_element["initial_conversation"] = dm_channel
    blocks: list[Block] = []
    if not token_set:
        blocks.append(
            section(
                ":warning: This workspace has no Supermetrics API token yet, so there are no "
                "transfers to pick. An admin can add it with `/backfill setup`."
            )
        )
    blocks += [
        {
            "type": "input",
            "block_id": ids.BLOCK_FORM_TRANSFER,
            "label": {"type": "plain_text", "text": "Transfer"},
            "element": {
                "type": "external_select",
                "action_id": ids.ACTION_FORM_TRANSFER,
                "placeholder": {"type": "plain_text", "text": "Type a name or an id"},
                "min_query_length": 0,
            },
        },
        {
            "type": "input",
            "block_id": ids.BLOCK_FORM_RANGE,
            "optional": True,
            "dispatch_action": True,
            "label": {"type": "plain_text", "text": "Dates, in words"},
            "hint": {"type": "plain_text", "text": "Or leave this empty and pick two days."},
            "element": {
                "type": "plain_text_input",
                "action_id": ids.ACTION_FORM_RANGE,
                "placeholder": {"type": "plain_text", "text": "last January"},
                "dispatch_action_config": {"trigger_actions_on": ["on_character_entered"]},
            },
        },
        {
            "type": "context",
            "block_id": ids.BLOCK_FORM_PREVIEW,
            "elements": [{"type": "mrkdwn", "text": preview}],
        },
        _day_picker(ids.BLOCK_FORM_START, ids.ACTION_FORM_START, "Or: first day"),
        _day_picker(ids.BLOCK_FORM_END, ids.ACTION_FORM_END, "Last day"),
        {
            "type": "input",
            "block_id": ids.BLOCK_FORM_CHANNEL,
            "optional": True,
            "label": {"type": "plain_text", "text": "Post the confirmation card in"},
            "element": channel_element,
        },
        context(f"Today is {today.isoformat()} in your timezone. Both days are included."),
    ]
    return {
        "type": "modal",
        "callback_id": ids.VIEW_NEW_BACKFILL,
        "title": {"type": "plain_text", "text": "New backfill"},
        "submit": {"type": "plain_text", "text": "Continue"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def _day_picker(block_id: str, action_id: str, label: str) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": {"type": "datepicker", "action_id": action_id},
    }


def with_preview(view: dict[str, Any], preview: str) -> dict[str, Any]:
    """The same modal with another preview line (Slack keeps what was typed)."""
    blocks = []
    for block in view.get("blocks") or []:
        if block.get("block_id") == ids.BLOCK_FORM_PREVIEW:
            block = {**block, "elements": [{"type": "mrkdwn", "text": preview}]}
        blocks.append(block)
    kept = ("type", "callback_id", "title", "submit", "close", "private_metadata")
    return {**{key: view[key] for key in kept if key in view}, "blocks": blocks}


def read_form(values: dict[str, Any]) -> FormInput:
    """The form's answers from ``view.state.values``."""

    def value(block_id: str, action_id: str) -> dict[str, Any]:
        found = values.get(block_id, {}).get(action_id, {})
        return found if isinstance(found, dict) else {}

    option = value(ids.BLOCK_FORM_TRANSFER, ids.ACTION_FORM_TRANSFER).get("selected_option")
    raw_id = str((option or {}).get("value") or "")
    return FormInput(
        transfer_id=int(raw_id) if raw_id.isdigit() else None,
        range_text=str(value(ids.BLOCK_FORM_RANGE, ids.ACTION_FORM_RANGE).get("value") or ""),
        start=_date(value(ids.BLOCK_FORM_START, ids.ACTION_FORM_START).get("selected_date")),
        end=_date(value(ids.BLOCK_FORM_END, ids.ACTION_FORM_END).get("selected_date")),
        channel=value(ids.BLOCK_FORM_CHANNEL, ids.ACTION_FORM_CHANNEL).get("selected_conversation")
        or None,
    )


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None
