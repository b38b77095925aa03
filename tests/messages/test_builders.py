"""The pure builders in bot.messages.blocks stay within Slack's limits, however long the input."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages import blocks
from tests.support.block_kit_limits import MAX_SECTION_TEXT, check_blocks, check_message


def card(**overrides: object) -> list[blocks.Block]:
    values: dict[str, object] = {
        "request_id": 42,
        "transfer_id": 456789,
        "transfer_name": "Facebook Ads - daily",
        "range_start": date(2026, 1, 1),
        "range_end": date(2026, 1, 31),
        "days": 31,
        "requester": "U0ALICE",
        "confirmed_by": "U0BOSS",
        "backfill_id": 7,
        "status": "RUNNING",
        "runs_total": 31,
        "runs_completed": 19,
        "runs_failed": 1,
        "notes": ("Read 01/05/2024 as January 5, 2024 (MDY).",),
        "can_cancel": True,
    }
    values.update(overrides)
    return blocks.submitted_card(**values)  # type: ignore[arg-type]


def test_submitted_card_is_valid() -> None:
    assert check_blocks(card()) == []
    assert check_blocks(card(can_cancel=False, notes=())) == []


def test_submitted_card_with_huge_inputs_is_valid() -> None:
    built = card(
        transfer_name="N" * 10_000,
        notes=tuple(f"note {i}: " + "x" * 500 for i in range(200)),
        requester="U" * 5000,
        confirmed_by="U" * 5000,
        status="S" * 5000,
        runs_total=10**9,
        runs_completed=10**9 - 1,
        runs_failed=10**6,
        request_id=10**18,
    )
    assert check_blocks(built) == []
    assert all(len(b["text"]["text"]) <= MAX_SECTION_TEXT for b in built if b["type"] == "section")


def test_truncate_marks_the_cut_and_stays_within_limit() -> None:
    cut = blocks.truncate("y" * 5000)
    assert len(cut) <= MAX_SECTION_TEXT
    assert cut.endswith(" …")
    assert blocks.truncate("short") == "short"


def test_section_and_context_builders_clip_long_text() -> None:
    assert check_blocks([blocks.section("a" * 50_000), blocks.context("b" * 50_000)]) == []


@settings(max_examples=150, deadline=None)
@given(
    name=st.one_of(st.none(), st.text(max_size=4000)),
    notes=st.lists(st.text(max_size=800), max_size=30),
    status=st.text(min_size=1, max_size=300),
    total=st.integers(min_value=0, max_value=100_000),
    done=st.integers(min_value=0, max_value=100_000),
    failed=st.integers(min_value=0, max_value=100_000),
    can_cancel=st.booleans(),
)
def test_submitted_card_any_input_is_valid(
    name: str | None,
    notes: list[str],
    status: str,
    total: int,
    done: int,
    failed: int,
    can_cancel: bool,
) -> None:
    built = card(
        transfer_name=name,
        notes=tuple(notes),
        status=status,
        runs_total=total,
        runs_completed=done,
        runs_failed=failed,
        can_cancel=can_cancel,
    )
    assert check_message("Backfill", built) == []


def test_progress_line_fits_any_section() -> None:
    line = blocks.progress_line(
        status="RUNNING", runs_total=10**9, runs_completed=10**9, runs_failed=10**9
    )
    assert len(line) < 200
