"""The App Home tab: the viewer's running and recent backfills, the workspace's other
running ones, the setup state, and the New backfill button. Pure: data in, view out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.messages import ids
from bot.messages.blocks import context, format_range, progress_line, section, transfer_label
from bot.messages.cards import button
from bot.messages.notifier import Block

RECENT_LIMIT = 10
RUNNING_LIMIT = 15  # per list: a Home holds at most 100 blocks
OTHERS_LIMIT = 20
OUTSIDE_LIMIT = 15


@dataclass(frozen=True)
class HomeRow:
    """One request as the Home shows it."""

    request_id: int
    transfer_id: int | None
    transfer_name: str | None
    range_start: date
    range_end: date
    state: str
    dts_status: str | None
    backfill_id: int | None
    runs_total: int
    runs_completed: int
    runs_failed: int
    requester: str
    channel: str | None
    ts: str | None
    tracking_paused: bool = False


@dataclass(frozen=True)
class HomeData:
    viewer: str
    is_admin: bool
    token_set: bool
    supermetrics_team_id: int | None
    running: Sequence[HomeRow]  # the viewer's
    recent: Sequence[HomeRow]  # the viewer's, newest first, any state
    others: Sequence[HomeRow]  # the workspace's other running backfills
    # lines of the backfills its team's list showed that no request here started
    # (``outside_line``), newest first
    outside: Sequence[str] = ()


def thread_link(channel: str | None, ts: str | None) -> str | None:
    """A link Slack opens at the message (its thread): ``…/archives/C…/p1770735600000100``."""
    if not channel or not ts:
        return None
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def _title(row: HomeRow) -> str:
    label = transfer_label(row.transfer_id, row.transfer_name)
    backfill = f" · backfill #{row.backfill_id}" if row.backfill_id is not None else ""
    return f"*#{row.request_id}* {label} · {format_range(row.range_start, row.range_end)}{backfill}"


def _progress(row: HomeRow) -> str:
    line = progress_line(
        status=row.dts_status or row.state,
        runs_total=row.runs_total,
        runs_completed=row.runs_completed,
        runs_failed=row.runs_failed,
    )
    return line + (" · tracking paused" if row.tracking_paused else "")


def _cancel_button(request_id: int) -> Block:
    action_id = f"{ids.ACTION_HOME_CANCEL}:{request_id}"
    element = button("Cancel", action_id, str(request_id), style="danger")
    element["confirm"] = {
        "title": {"type": "plain_text", "text": "Cancel this backfill?"},
        "text": {"type": "mrkdwn", "text": "Queued days stop; days already running finish."},
        "confirm": {"type": "plain_text", "text": "Cancel backfill"},
        "deny": {"type": "plain_text", "text": "Keep it"},
    }
    return element


def _running_block(row: HomeRow) -> Block:
    block = section(f"{_title(row)}\n{_progress(row)}")
    if row.backfill_id is not None:
        block["accessory"] = _cancel_button(row.request_id)
    return block


def _recent_line(row: HomeRow) -> str:
    link = thread_link(row.channel, row.ts)
    where = f" · <{link}|thread>" if link else ""
    return f"• {_title(row)} · {row.dts_status or row.state}{where}"


def _setup_blocks(data: HomeData) -> list[Block]:
    if data.token_set:
        team = f" (team {data.supermetrics_team_id})" if data.supermetrics_team_id else ""
        state = f":white_check_mark: Connected to Supermetrics{team}."
    else:
        state = (
            ":warning: No Supermetrics API token is set up for this workspace yet, so "
            "backfills can't be submitted."
        )
        if not data.is_admin:
            state += " Ask a workspace admin to run `/backfill setup`."
    elements = [button("New backfill", ids.ACTION_NEW_BACKFILL, "new", style="primary")]
    if data.is_admin:
        elements.append(button("Setup", ids.ACTION_OPEN_SETUP, "setup"))
    return [context(state), {"type": "actions", "elements": elements}]


def home_view(data: HomeData) -> dict[str, Any]:
    """The Home tab of ``data.viewer``."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Backfills"}},
        *_setup_blocks(data),
        {"type": "divider"},
        section("*Your running backfills*"),
    ]
    running = list(data.running)[:RUNNING_LIMIT]
    if running:
        blocks += [_running_block(row) for row in running]
    else:
        blocks.append(context("None running. *New backfill* starts one."))
    blocks.append(section("*Your recent backfills*"))
    recent = list(data.recent)[:RECENT_LIMIT]
    if recent:
        blocks.append(section("\n".join(_recent_line(row) for row in recent)))
    else:
        blocks.append(context("Nothing yet."))
    others = list(data.others)[:OTHERS_LIMIT]
    blocks.append(section("*Other running backfills in this workspace*"))
    if others:
        lines = [f"• {_title(row)} · {_progress(row)} · <@{row.requester}>" for row in others]
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(context("None."))
    outside = list(data.outside)[:OUTSIDE_LIMIT]
    if outside:
        blocks.append(section("*Started outside Slack* (the Supermetrics Hub or another tool)"))
        blocks.append(section("\n".join(outside)))
        if len(data.outside) > OUTSIDE_LIMIT:
            more = len(data.outside) - OUTSIDE_LIMIT
            blocks.append(context(f"…and {more} more: `/backfill list` shows them."))
    return {"type": "home", "blocks": blocks}
