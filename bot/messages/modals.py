"""The modals: edit dates (two date pickers) and setup (Supermetrics team id + token).

Builders and readers only; the listeners that open them and handle their submissions
live in ``bot.slack.view_submissions``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.messages import ids
from bot.messages.blocks import context, section
from bot.messages.notifier import Block

START_ACTION = "start_date"
END_ACTION = "end_date"
TEAM_ACTION = "team_id"
TOKEN_ACTION = "token"


@dataclass(frozen=True)
class DatesForm:
    """What the edit-dates form needs: the current range and the limits to check against."""

    request_id: int
    range_start: date
    range_end: date
    today: date
    max_days: int
    tz: str | None


@dataclass(frozen=True)
class EditMeta:
    """What the edit-dates modal carries (Slack returns it untouched, under the signature)."""

    request_id: int
    channel_id: str
    tz: str | None
    max_days: int

    def dumps(self) -> str:
        return json.dumps(
            {"r": self.request_id, "c": self.channel_id, "tz": self.tz, "m": self.max_days}
        )

    @classmethod
    def loads(cls, raw: str) -> EditMeta:
        data = json.loads(raw)
        return cls(
            request_id=int(data["r"]),
            channel_id=str(data["c"]),
            tz=data.get("tz"),
            max_days=int(data["m"]),
        )


def _modal(
    callback_id: str, title: str, blocks: list[Block], *, submit: str | None, meta: str = ""
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Close" if submit is None else "Cancel"},
        "blocks": blocks,
        "private_metadata": meta,
    }
    if submit is not None:
        view["submit"] = {"type": "plain_text", "text": submit}
    return view


def _datepicker(block_id: str, action_id: str, label: str, initial: date) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "datepicker",
            "action_id": action_id,
            "initial_date": initial.isoformat(),
        },
    }


def edit_dates_view(form: DatesForm, *, channel_id: str) -> dict[str, Any]:
    meta = EditMeta(
        request_id=form.request_id, channel_id=channel_id, tz=form.tz, max_days=form.max_days
    )
    blocks = [
        section(f"Change the days of request #{form.request_id}. Both days are included."),
        _datepicker(ids.BLOCK_EDIT_START, START_ACTION, "First day", form.range_start),
        _datepicker(ids.BLOCK_EDIT_END, END_ACTION, "Last day", form.range_end),
        context(
            f"Today is {form.today.isoformat()} in your timezone; at most {form.max_days} days."
        ),
    ]
    return _modal(ids.VIEW_EDIT_DATES, "Edit dates", blocks, submit="Save", meta=meta.dumps())


def read_dates(values: dict[str, Any]) -> tuple[date | None, date | None]:
    """The two picked dates from ``view.state.values`` (None where nothing was picked)."""

    def one(block_id: str, action_id: str) -> date | None:
        raw = values.get(block_id, {}).get(action_id, {}).get("selected_date")
        if not raw:
            return None
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            return None

    return one(ids.BLOCK_EDIT_START, START_ACTION), one(ids.BLOCK_EDIT_END, END_ACTION)


def setup_view(*, channel_id: str, current_team_id: int | None = None) -> dict[str, Any]:
    team_element: Block = {
        "type": "plain_text_input",
        "action_id": TEAM_ACTION,
        "placeholder": {"type": "plain_text", "text": "e.g. 12345"},
    }
    if current_team_id is not None:
        team_element["initial_value"] = str(current_team_id)
    blocks = [
        section(
            "Connect this workspace to Supermetrics. I check the token against the API before "
            "saving it, store it encrypted, and never show it again."
        ),
        {
            "type": "input",
            "block_id": ids.BLOCK_SETUP_TEAM,
            "label": {"type": "plain_text", "text": "Supermetrics team id"},
            "hint": {"type": "plain_text", "text": "Supermetrics Hub → Team settings."},
            "element": team_element,
        },
        {
            "type": "input",
            "block_id": ids.BLOCK_SETUP_TOKEN,
            "label": {"type": "plain_text", "text": "API token"},
            "hint": {
                "type": "plain_text",
                "text": "Needs the scope dwh_transfers_write; its user needs dwh.transfer.edit.",
            },
            "element": {"type": "plain_text_input", "action_id": TOKEN_ACTION},
        },
    ]
    return _modal(
        ids.VIEW_SETUP, "Supermetrics setup", blocks, submit="Check & save", meta=channel_id
    )


def read_setup(values: dict[str, Any]) -> tuple[str, str]:
    """(team id text, token text) from ``view.state.values``, stripped."""
    team = values.get(ids.BLOCK_SETUP_TEAM, {}).get(TEAM_ACTION, {}).get("value") or ""
    token = values.get(ids.BLOCK_SETUP_TOKEN, {}).get(TOKEN_ACTION, {}).get("value") or ""
    return str(team).strip(), str(token).strip()


def message_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (setup result, "still checking…")."""
    return _modal(ids.VIEW_SETUP + "_result", title, [section(text)], submit=None)
