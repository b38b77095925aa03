"""Every case of the corpus (tests/fixtures/commands.jsonl) must pass."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.errors import (
    AmbiguousTransferError,
    CommandError,
    FutureRangeError,
    InvalidDateError,
    MissingRangeError,
    MissingTransferError,
    RangeTooLongError,
    ReversedRangeError,
)
from bot.parsing import parse_command

from .conftest import corpus_path, load_corpus

CASES = load_corpus()

# the corpus states why a case must fail in words; map them to the error class
_WHY: list[tuple[str, type[CommandError]]] = [
    ("future", FutureRangeError),
    ("impossible", InvalidDateError),
    ("end before start", ReversedRangeError),
    ("longer than", RangeTooLongError),
    ("no transfer", MissingTransferError),
    ("two", AmbiguousTransferError),
    ("no date range", MissingRangeError),
]


def _error_class(why: str) -> type[CommandError]:
    for words, cls in _WHY:
        if words in why.lower():
            return cls
    return CommandError


def test_corpus_is_present() -> None:
    assert corpus_path().is_file(), f"corpus missing at {corpus_path()}"
    assert len(CASES) >= 60


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{i:02d}-{c['text'][:50]}" for i, c in enumerate(CASES)]
)
def test_corpus_case(case: dict[str, Any]) -> None:
    today = date.fromisoformat(case["today"])
    if case.get("error"):
        expected = _error_class(case.get("why", ""))
        with pytest.raises(expected) as info:
            parse_command(case["text"], today=today)
        message = info.value.user_message
        assert message and len(message) > 20
        return
    command = parse_command(case["text"], today=today)
    assert command.range_start == date.fromisoformat(case["range_start"])
    assert command.range_end == date.fromisoformat(case["range_end"])
    assert command.days == (command.range_end - command.range_start).days + 1
    if "transfer_id" in case:
        assert command.transfer_id == case["transfer_id"]
        assert command.transfer_name is None
    if "transfer_name" in case:
        assert command.transfer_name == case["transfer_name"]
        assert command.transfer_id is None
    if "clamped" in case:
        assert command.clamped is case["clamped"]
        if case["clamped"]:
            assert any("today" in note for note in command.notes)
