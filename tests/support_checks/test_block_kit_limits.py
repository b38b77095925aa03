"""Block Kit limits (tests/support/block_kit_limits.py): each is caught at the boundary only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import block_kit_limits as limits
from tests.support.block_kit_limits import assert_valid, check_blocks, check_message, check_view

Block = dict[str, Any]


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str = "Go", *, action_id: str = "go", value: str = "1") -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def modal(blocks: list[Block], **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Edit dates"},
        "blocks": blocks,
        **extra,
    }


def test_valid_message_has_no_violations() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Backfill"}},
        section("*Transfer* 456789", accessory=button(action_id="more")),
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "note"}]},
        actions(button("Confirm", action_id="c"), button("Cancel", action_id="x"), block_id="a"),
    ]
    assert check_blocks(blocks) == []
    assert check_message("fallback", blocks) == []
    assert_valid(blocks)


def test_no_blocks_is_valid() -> None:
    assert check_blocks(None) == []
    assert check_blocks([]) == []


@pytest.mark.parametrize(
    ("count", "bad"), [(limits.MAX_MESSAGE_BLOCKS, False), (limits.MAX_MESSAGE_BLOCKS + 1, True)]
)
def test_message_block_count(count: int, bad: bool) -> None:
    violations = check_blocks([{"type": "divider"}] * count)
    assert bool(violations) is bad
    if bad:
        assert violations == ["blocks: 51 blocks (max 50)"]


@pytest.mark.parametrize(("length", "bad"), [(3000, False), (3001, True)])
def test_section_text_length(length: int, bad: bool) -> None:
    violations = check_blocks([section("x" * length)])
    assert bool(violations) is bad
    if bad:
        assert violations == ["blocks[0].text.text: 3001 characters (max 3000)"]


def test_section_text_must_not_be_empty() -> None:
    assert check_blocks([section("")]) == ["blocks[0].text.text: must be a non-empty string"]


def test_section_fields() -> None:
    field = {"type": "mrkdwn", "text": "f"}
    assert check_blocks([{"type": "section", "fields": [field] * 10}]) == []
    assert check_blocks([{"type": "section", "fields": [field] * 11}]) == [
        "blocks[0].fields: 11 fields (max 10)"
    ]
    long_field = {"type": "mrkdwn", "text": "f" * 2001}
    assert check_blocks([{"type": "section", "fields": [long_field]}]) == [
        "blocks[0].fields[0].text: 2001 characters (max 2000)"
    ]
    assert check_blocks([{"type": "section", "fields": [{**long_field, "text": "f" * 2000}]}]) == []


def test_context_elements() -> None:
    element = {"type": "mrkdwn", "text": "c"}
    assert check_blocks([{"type": "context", "elements": [element] * 10}]) == []
    assert check_blocks([{"type": "context", "elements": [element] * 11}]) == [
        "blocks[0].elements: 11 elements (max 10)"
    ]
    assert check_blocks([{"type": "context", "elements": []}]) != []


def test_header_text() -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}
    assert check_blocks([header]) == []
    header["text"] = {"type": "plain_text", "text": "h" * 151}
    assert check_blocks([header]) == ["blocks[0].text.text: 151 characters (max 150)"]
    header["text"] = {"type": "mrkdwn", "text": "h"}
    assert check_blocks([header]) == [
        "blocks[0].text.type: must be one of ['plain_text'], not 'mrkdwn'"
    ]


def test_button_text_and_value() -> None:
    assert check_blocks([actions(button("b" * 75, value="v" * 2000))]) == []
    assert check_blocks([actions(button("b" * 76))]) == [
        "blocks[0].elements[0].text.text: 76 characters (max 75)"
    ]
    assert check_blocks([actions(button(value="v" * 2001))]) == [
        "blocks[0].elements[0].value: 2001 characters (max 2000)"
    ]


def test_button_confirm_dialog() -> None:
    element = button()
    element["confirm"] = {
        "title": {"type": "plain_text", "text": "t" * 101},
        "text": {"type": "mrkdwn", "text": "sure?"},
        "confirm": {"type": "plain_text", "text": "Yes"},
        "deny": {"type": "plain_text", "text": "No"},
    }
    assert check_blocks([actions(element)]) == [
        "blocks[0].elements[0].confirm.title.text: 101 characters (max 100)"
    ]


def test_ids_length_and_uniqueness() -> None:
    assert check_blocks([actions(button(action_id="a" * 255), block_id="b" * 255)]) == []
    assert check_blocks([actions(button(action_id="a" * 256))]) == [
        "blocks[0].elements[0].action_id: 256 characters (max 255)"
    ]
    assert check_blocks([section("s", block_id="b" * 256)]) == [
        "blocks[0].block_id: 256 characters (max 255)"
    ]
    twice = check_blocks([actions(button(action_id="same"), button(action_id="same"))])
    assert twice == ["blocks[0].elements[1].action_id: duplicate action_id 'same'"]
    dup_blocks = check_blocks([section("a", block_id="b"), section("c", block_id="b")])
    assert dup_blocks == ["blocks[1].block_id: duplicate block_id 'b'"]


def test_actions_elements() -> None:
    many = [button(action_id=f"a{i}") for i in range(25)]
    assert check_blocks([actions(*many)]) == []
    too_many = [button(action_id=f"a{i}") for i in range(26)]
    assert check_blocks([actions(*too_many)]) == ["blocks[0].elements: 26 elements (max 25)"]


def test_input_label_and_placeholder() -> None:
    block: Block = {
        "type": "input",
        "block_id": "edit_start",
        "label": {"type": "plain_text", "text": "l" * 2000},
        "element": {
            "type": "datepicker",
            "action_id": "start",
            "placeholder": {"type": "plain_text", "text": "p" * 150},
        },
    }
    assert check_view(modal([block])) == []
    block["label"] = {"type": "plain_text", "text": "l" * 2001}
    block["element"]["placeholder"] = {"type": "plain_text", "text": "p" * 151}
    assert check_view(modal([block])) == [
        "blocks[0].label.text: 2001 characters (max 2000)",
        "blocks[0].element.placeholder.text: 151 characters (max 150)",
    ]


def test_select_options() -> None:
    def option(i: int, text: str = "o") -> Block:
        return {"text": {"type": "plain_text", "text": text}, "value": str(i)}

    select = {"type": "static_select", "action_id": "pick", "options": [option(1, "o" * 76)]}
    assert check_blocks([actions(select)]) == [
        "blocks[0].elements[0].options[0].text.text: 76 characters (max 75)"
    ]
    select["options"] = [option(i) for i in range(101)]
    assert check_blocks([actions(select)]) == [
        "blocks[0].elements[0].options: 101 options (max 100)"
    ]


def test_unknown_block_type_and_non_objects() -> None:
    assert check_blocks([{"type": "sectoin"}]) == ["blocks[0].type: unknown block type 'sectoin'"]
    assert check_blocks(["text"]) == ["blocks[0]: block must be an object"]  # type: ignore[list-item]


def test_message_text_fallback() -> None:
    assert check_message("t" * 40_000, None) == []
    assert check_message("t" * 40_001, None) == ["text: 40001 characters (max 40000)"]
    assert check_message("", None) == ["text: a message needs text or blocks"]
    assert check_message(None, [section("only blocks")]) == []


def test_message_collects_all_violations() -> None:
    found = check_message("t" * 40_001, [section("x" * 3001)] * 51)
    assert found[0] == "text: 40001 characters (max 40000)"
    assert "blocks: 51 blocks (max 50)" in found
    assert len(found) == 1 + 1 + 51


def test_view_limits() -> None:
    assert check_view(modal([section("s")] * 100)) == []
    assert check_view(modal([section("s")] * 101)) == ["blocks: 101 blocks (max 100)"]
    assert check_view(modal([section("s")], private_metadata="m" * 3001)) == [
        "private_metadata: 3001 characters (max 3000)"
    ]
    titled = modal([section("s")])
    titled["title"] = {"type": "plain_text", "text": "t" * 25}
    titled["submit"] = {"type": "plain_text", "text": "s" * 25}
    assert check_view(titled) == [
        "title.text: 25 characters (max 24)",
        "submit.text: 25 characters (max 24)",
    ]
    assert check_view({"type": "modal", "blocks": []}) == ["title: missing text object"]
    assert check_view({"type": "home", "blocks": [section("s")]}) == []


def test_assert_valid_lists_every_violation() -> None:
    with pytest.raises(ValueError, match=r"blocks\[0\].text.text: 3001.*blocks\[1\].text.text"):
        assert_valid([section("x" * 3001), section("")])
