"""The App Home and the New backfill form as built, at their limits: Slack's (the project's
checker and slack_sdk's Block Kit models)."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.views import View

from bot.messages import ids
from bot.messages.backfill_form import (
    new_backfill_view,
    preview_text,
    read_form,
    transfer_option,
    with_preview,
)
from bot.messages.blocks import outside_line
from bot.messages.home import HomeData, HomeRow, home_view, thread_link
from tests.support.block_kit_limits import check_view


def valid(view: dict[str, Any]) -> None:
    assert check_view(view) == [], check_view(view)
    View(**view).validate_json()


def row(n: int, *, state: str = "RUNNING", user: str = "U1") -> HomeRow:
    return HomeRow(
        request_id=n,
        transfer_id=100000 + n,
        transfer_name="A *very* <long> name " * 8,
        range_start=date(2026, 1, 1),
        range_end=date(2026, 1, 31),
        state=state,
        dts_status=state,
        backfill_id=10000 + n,
        runs_total=31,
        runs_completed=n % 31,
        runs_failed=1,
        requester=user,
        channel="C1",
        ts=f"1770735600.{n:06d}",
    )


def test_a_full_home_stays_within_slacks_limits() -> None:
    data = HomeData(
        viewer="U1",
        is_admin=True,
        token_set=True,
        supermetrics_team_id=12345,
        running=[row(n) for n in range(60)],
        recent=[row(n, state="COMPLETED") for n in range(60)],
        others=[row(n, user="U2") for n in range(200)],
        outside=[
            outside_line(
                backfill_id=90000 - n,
                transfer_id=456790,
                range_start=date(2025, 1, 1),
                range_end=date(2025, 12, 31),
                status="RUNNING",
                runs_total=365,
                runs_completed=200,
                runs_failed=3,
                seen_minutes_ago=12,
            )
            for n in range(200)
        ],
    )
    view = home_view(data)
    valid(view)
    assert len(view["blocks"]) <= 100
    text = str(view)
    assert "*Started outside Slack*" in text
    assert "backfill #90000 · transfer #456790 · 2025-01-01 → 2025-12-31 · RUNNING" in text
    assert "200/365 days · 3 failed · started outside Slack (as seen 12 min ago)" in text
    assert "backfill #89985 " not in text  # the 16th is left for `list`
    assert "…and 185 more" in text
    assert "&lt;long&gt;" in text  # names are escaped
    assert thread_link("C1", "1770735600.000001") in text  # type: ignore[operator]


def test_an_empty_home_for_a_member_without_setup() -> None:
    data = HomeData(
        viewer="U1",
        is_admin=False,
        token_set=False,
        supermetrics_team_id=None,
        running=[],
        recent=[],
        others=[],
    )
    view = home_view(data)
    valid(view)
    assert "outside Slack" not in str(view)  # no section for what is not there
    actions = [b for b in view["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [ids.ACTION_NEW_BACKFILL]


def test_the_form_and_its_preview_stay_within_slacks_limits() -> None:
    view = new_backfill_view(dm_channel="D1", token_set=False, today=date(2026, 2, 10))
    valid(view)
    text = preview_text(
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
        days=31,
        notes=("Read *this* note",),
        error=None,
    )
    updated = with_preview({**view, "id": "V1", "hash": "h", "state": {}}, text)
    valid(updated)
    assert "id" not in updated and "hash" not in updated
    assert "2026-01-01 → 2026-01-31" in str(updated)


def test_long_transfer_names_are_cut_to_the_option_limit_keeping_the_id() -> None:
    option = transfer_option(456789, "x" * 200)
    assert len(option["text"]["text"]) == 75 and option["text"]["text"].endswith("(#456789)")
    assert option["value"] == "456789"


def test_reading_the_form() -> None:
    values = {
        ids.BLOCK_FORM_TRANSFER: {ids.ACTION_FORM_TRANSFER: {"selected_option": {"value": "7"}}},
        ids.BLOCK_FORM_RANGE: {ids.ACTION_FORM_RANGE: {"value": "last week"}},
        ids.BLOCK_FORM_START: {ids.ACTION_FORM_START: {"selected_date": "2026-01-05"}},
        ids.BLOCK_FORM_END: {ids.ACTION_FORM_END: {"selected_date": "not a date"}},
        ids.BLOCK_FORM_CHANNEL: {ids.ACTION_FORM_CHANNEL: {"selected_conversation": "C1"}},
    }
    form = read_form(values)
    assert (form.transfer_id, form.range_text, form.channel) == (7, "last week", "C1")
    assert (form.start, form.end) == (date(2026, 1, 5), None)
    assert read_form({}).transfer_id is None
