"""Slack's Block Kit limits, checked before Slack does it for us with ``invalid_blocks``.

Pure functions: blocks in, a list of human-readable violations out (empty when valid).
Only the limits that matter to this bot's messages and modals are checked; each
violation names the path of the offending field, e.g. ``blocks[3].text.text``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_SECTION_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_HEADER_TEXT = 150
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ID = 255
MAX_INPUT_LABEL = 2000
MAX_INPUT_HINT = 2000
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30
MAX_IMAGE_ALT_TEXT = 2000
MAX_VIEW_TITLE = 24
MAX_VIEW_BUTTON = 24
MAX_PRIVATE_METADATA = 3000

_TEXT_TYPES = {"plain_text", "mrkdwn"}


class _Checker:
    """Collects violations and the ids seen, across one message or view."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()

    def add(self, path: str, problem: str) -> None:
        self.violations.append(f"{path}: {problem}")

    def length(self, path: str, value: object, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, f"{len(value)} characters (max {limit})")

    def text(
        self,
        path: str,
        obj: object,
        limit: int,
        *,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        """Check a text object: its type, that it is not empty, and its length."""
        if obj is None:
            if required:
                self.add(path, "missing text object")
            return
        if not isinstance(obj, Mapping):
            self.add(path, "text object must be an object")
            return
        kind = obj.get("type")
        allowed = {"plain_text"} if plain_only else _TEXT_TYPES
        if kind not in allowed:
            self.add(f"{path}.type", f"must be one of {sorted(allowed)}, not {kind!r}")
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.add(f"{path}.text", "must be a non-empty string")
            return
        self.length(f"{path}.text", value, limit)

    def block_id(self, path: str, block: Mapping[str, Any]) -> None:
        self._unique_id(path, "block_id", block, self.block_ids)

    def action_id(self, path: str, element: Mapping[str, Any]) -> None:
        self._unique_id(path, "action_id", element, self.action_ids)

    def _unique_id(self, path: str, key: str, obj: Mapping[str, Any], seen: set[str]) -> None:
        """Check an optional id: a non-empty string within MAX_ID, unique in its message."""
        value = obj.get(key)
        if value is None:
            return
        if not isinstance(value, str) or not value:
            self.add(f"{path}.{key}", "must be a non-empty string")
            return
        self.length(f"{path}.{key}", value, MAX_ID)
        if value in seen:
            self.add(f"{path}.{key}", f"duplicate {key} {value!r}")
        seen.add(value)

    def confirm(self, path: str, obj: object) -> None:
        if not isinstance(obj, Mapping):
            self.add(path, "confirm must be an object")
            return
        self.text(f"{path}.title", obj.get("title"), MAX_CONFIRM_TITLE, plain_only=True)
        self.text(f"{path}.text", obj.get("text"), MAX_CONFIRM_TEXT)
        self.text(f"{path}.confirm", obj.get("confirm"), MAX_CONFIRM_BUTTON, plain_only=True)
        self.text(f"{path}.deny", obj.get("deny"), MAX_CONFIRM_BUTTON, plain_only=True)

    def options(self, path: str, options: object) -> None:
        if not isinstance(options, Sequence) or isinstance(options, str):
            self.add(path, "options must be a list")
            return
        if len(options) > MAX_OPTIONS:
            self.add(path, f"{len(options)} options (max {MAX_OPTIONS})")
        for index, option in enumerate(options):
            here = f"{path}[{index}]"
            if not isinstance(option, Mapping):
                self.add(here, "option must be an object")
                continue
            self.text(f"{here}.text", option.get("text"), MAX_OPTION_TEXT)
            self.length(f"{here}.value", option.get("value"), MAX_OPTION_VALUE)

    def element(self, path: str, element: object) -> None:
        """Check an interactive element (button, select, input, picker, image)."""
        if not isinstance(element, Mapping):
            self.add(path, "element must be an object")
            return
        kind = element.get("type")
        if kind == "image":
            self.length(f"{path}.alt_text", element.get("alt_text"), MAX_IMAGE_ALT_TEXT)
            self.length(f"{path}.image_url", element.get("image_url"), MAX_URL)
            return
        self.action_id(path, element)
        if kind == "button":
            self.text(f"{path}.text", element.get("text"), MAX_BUTTON_TEXT, plain_only=True)
            self.length(f"{path}.value", element.get("value"), MAX_BUTTON_VALUE)
            self.length(f"{path}.url", element.get("url"), MAX_URL)
        if "placeholder" in element:
            self.text(
                f"{path}.placeholder",
                element.get("placeholder"),
                MAX_PLACEHOLDER,
                plain_only=True,
            )
        if "options" in element:
            self.options(f"{path}.options", element.get("options"))
        if "confirm" in element:
            self.confirm(f"{path}.confirm", element.get("confirm"))

    def block(self, path: str, block: object) -> None:
        if not isinstance(block, Mapping):
            self.add(path, "block must be an object")
            return
        self.block_id(path, block)
        kind = block.get("type")
        if kind == "section":
            self._section(path, block)
        elif kind == "context":
            elements = _as_list(block.get("elements"))
            if not elements:
                self.add(f"{path}.elements", "context needs 1 to 10 elements")
            elif len(elements) > MAX_CONTEXT_ELEMENTS:
                self.add(
                    f"{path}.elements",
                    f"{len(elements)} elements (max {MAX_CONTEXT_ELEMENTS})",
                )
            for index, element in enumerate(elements):
                here = f"{path}.elements[{index}]"
                if isinstance(element, Mapping) and element.get("type") in _TEXT_TYPES:
                    self.text(here, element, MAX_SECTION_TEXT)
                else:
                    self.element(here, element)
        elif kind == "header":
            self.text(f"{path}.text", block.get("text"), MAX_HEADER_TEXT, plain_only=True)
        elif kind == "actions":
            elements = _as_list(block.get("elements"))
            if not elements:
                self.add(f"{path}.elements", "actions needs 1 to 25 elements")
            elif len(elements) > MAX_ACTIONS_ELEMENTS:
                self.add(
                    f"{path}.elements",
                    f"{len(elements)} elements (max {MAX_ACTIONS_ELEMENTS})",
                )
            for index, element in enumerate(elements):
                self.element(f"{path}.elements[{index}]", element)
        elif kind == "input":
            self.text(f"{path}.label", block.get("label"), MAX_INPUT_LABEL, plain_only=True)
            if "hint" in block:
                self.text(f"{path}.hint", block.get("hint"), MAX_INPUT_HINT, plain_only=True)
            self.element(f"{path}.element", block.get("element"))
        elif kind == "image":
            self.length(f"{path}.alt_text", block.get("alt_text"), MAX_IMAGE_ALT_TEXT)
            self.length(f"{path}.image_url", block.get("image_url"), MAX_URL)
        elif kind in {"divider", "rich_text", "file", "video"}:
            pass
        else:
            self.add(f"{path}.type", f"unknown block type {kind!r}")

    def _section(self, path: str, block: Mapping[str, Any]) -> None:
        fields = block.get("fields")
        if "text" in block or fields is None:
            self.text(f"{path}.text", block.get("text"), MAX_SECTION_TEXT)
        if fields is not None:
            items = _as_list(fields)
            if not items:
                self.add(f"{path}.fields", "fields must be a non-empty list")
            if len(items) > MAX_SECTION_FIELDS:
                self.add(f"{path}.fields", f"{len(items)} fields (max {MAX_SECTION_FIELDS})")
            for index, field in enumerate(items):
                self.text(f"{path}.fields[{index}]", field, MAX_SECTION_FIELD_TEXT)
        if "accessory" in block:
            self.element(f"{path}.accessory", block.get("accessory"))

    def blocks(self, blocks: object, limit: int) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, Sequence) or isinstance(blocks, str):
            self.add("blocks", "must be a list")
            return
        if len(blocks) > limit:
            self.add("blocks", f"{len(blocks)} blocks (max {limit})")
        for index, block in enumerate(blocks):
            self.block(f"blocks[{index}]", block)


def _as_list(value: object) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


def check_blocks(blocks: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """Return every violation of Slack's limits for the blocks of one message."""
    checker = _Checker()
    checker.blocks(blocks, MAX_MESSAGE_BLOCKS)
    return checker.violations


def check_message(text: str | None, blocks: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """Return every violation for a message: its fallback text and its blocks."""
    checker = _Checker()
    if text is None or text == "":
        if not blocks:
            checker.add("text", "a message needs text or blocks")
    else:
        checker.length("text", text, MAX_MESSAGE_TEXT)
    checker.blocks(blocks, MAX_MESSAGE_BLOCKS)
    return checker.violations


def check_view(view: Mapping[str, Any]) -> list[str]:
    """Return every violation for a modal or App Home view."""
    checker = _Checker()
    kind = view.get("type")
    if kind not in {"modal", "home"}:
        checker.add("type", f"must be 'modal' or 'home', not {kind!r}")
    if kind == "modal":
        checker.text("title", view.get("title"), MAX_VIEW_TITLE, plain_only=True)
    for button in ("submit", "close"):
        if button in view:
            checker.text(button, view.get(button), MAX_VIEW_BUTTON, plain_only=True)
    checker.length("private_metadata", view.get("private_metadata"), MAX_PRIVATE_METADATA)
    checker.length("callback_id", view.get("callback_id"), MAX_ID)
    checker.length("external_id", view.get("external_id"), MAX_ID)
    if view.get("blocks") is None:
        checker.add("blocks", "a view needs a blocks list")
    checker.blocks(view.get("blocks"), MAX_VIEW_BLOCKS)
    return checker.violations


def assert_valid(blocks: Sequence[Mapping[str, Any]] | None) -> None:
    """Raise ValueError listing every violation when the blocks break Slack's limits."""
    violations = check_blocks(blocks)
    if violations:
        raise ValueError("Block Kit limits exceeded: " + "; ".join(violations))
