"""Block Kit blocks → readable terminal text.

The console shows exactly the blocks the service and the tracker send to Slack, so this
module turns them into plain lines: sections and headers as text, context blocks as
small print, buttons as ``[Confirm] [Edit dates] [Cancel]``, and Slack's mrkdwn reduced
to what reads well in a terminal (user mentions as ``@name``, links as ``text (url)``).
Pure functions only; unknown block types are skipped rather than shown as JSON.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Block = Mapping[str, Any]
UserNamer = Callable[[str], str]

RULE = "─" * 40
# a line's indent and its console margin marks ("│ ", "↳ ", "! "), kept when folding
_MARGIN = re.compile(r"^\s*(?:[│↳✎!] )?\s*")

# <@U123>, <@U123|name>, <#C123|general>, <!here>, <!date^...|fallback>, <url|text>, <url>
_ANGLE = re.compile(r"<([^<>]+)>")
# *bold*, _italic_, ~strike~ only when they wrap a word, like Slack itself
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~])(?=\S)(.+?)(?<=\S)\1(?![\w*_~])")
_CODE_FENCE = re.compile(r"```\n?(.*?)\n?```", re.DOTALL)
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")
# Slack emoji the bot uses, as narrow symbols every terminal font has
EMOJI = {
    "white_check_mark": "✔",
    "heavy_check_mark": "✔",
    "warning": "⚠",
    "x": "✖",
    "no_entry_sign": "⊘",
    "calendar": "▦",
    "arrows_counterclockwise": "↻",
    "double_vertical_bar": "‖",
    "arrow_forward": "▶",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⌛",
    "information_source": "ℹ",
    "tada": "✔",
    "rocket": "➚",
}
_PROGRESS = re.compile(r"^([A-Z_]+) ([▓░]+) \d+/\d+ days?(?: · (\d+) failed)?$")
_BACKFILL_ID = re.compile(r"\bbackfill #(\d+)\b")


def default_namer(user_id: str) -> str:
    return user_id


def _angle(match: re.Match[str], namer: UserNamer) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or namer(target[1:]))
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!subteam^"):
        return "@" + (label or target.removeprefix("!subteam^"))
    if target.startswith("!date"):
        return label or target
    if target.startswith("!"):
        return "@" + target[1:]
    if "://" not in target and not target.startswith("mailto:"):
        return match.group(0)  # not a link: a placeholder such as <id>, shown as typed
    if label:
        return f"{label} ({target})"
    return target


def mrkdwn(text: str, namer: UserNamer = default_namer) -> str:
    """Return Slack mrkdwn as plain terminal text."""
    text = _CODE_FENCE.sub(lambda m: m.group(1), text)
    text = _ANGLE.sub(lambda m: _angle(m, namer), text)
    text = _EMPHASIS.sub(lambda m: m.group(2), text)
    text = _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    # inline code keeps its meaning without the backticks cluttering progress bars
    text = re.sub(r"`([^`\n]+)`", r"\1", text)
    # Slack escapes these three in mrkdwn; unescape last so "&lt;@U1&gt;" stays literal
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_object(obj: object, namer: UserNamer = default_namer) -> str:
    """Return the text of a Block Kit text object (plain_text or mrkdwn)."""
    if not isinstance(obj, Mapping):
        return ""
    value = obj.get("text")
    if not isinstance(value, str):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(value, namer)
    return value


def element(item: object, namer: UserNamer = default_namer) -> str:
    """Return one interactive element as a bracketed label, e.g. ``[Confirm]``."""
    if not isinstance(item, Mapping):
        return ""
    kind = item.get("type")
    if kind in {"plain_text", "mrkdwn"}:
        return text_object(item, namer)
    if kind == "image":
        return f"[image: {item.get('alt_text', '')}]"
    if kind == "button":
        return f"[{text_object(item.get('text'), namer)}]"
    if kind in {"datepicker", "timepicker"}:
        initial = item.get("initial_date") or item.get("initial_time") or "pick"
        return f"[{initial}]"
    if kind in {"static_select", "external_select", "users_select", "conversations_select"}:
        options = item.get("options") or []
        labels = [
            text_object(option.get("text"), namer)
            for option in options
            if isinstance(option, Mapping)
        ]
        placeholder = text_object(item.get("placeholder"), namer) or "choose"
        return f"[{placeholder}: {' | '.join(labels)}]" if labels else f"[{placeholder} ▾]"
    if kind == "overflow":
        return "[…]"
    if kind == "plain_text_input":
        return "[text input]"
    return ""


def _rich_text(obj: object, namer: UserNamer) -> str:
    """Flatten a rich_text block (or one of its parts) to text."""
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        return "".join(_rich_text(part, namer) for part in obj)
    if not isinstance(obj, Mapping):
        return ""
    kind = obj.get("type")
    if kind == "text":
        return str(obj.get("text", ""))
    if kind == "user":
        return "@" + namer(str(obj.get("user_id", "")))
    if kind == "channel":
        return "#" + str(obj.get("channel_id", ""))
    if kind == "link":
        return str(obj.get("text") or obj.get("url", ""))
    if kind == "emoji":
        return f":{obj.get('name', '')}:"
    if kind == "rich_text_list":
        items = obj.get("elements") or []
        return "\n".join("• " + _rich_text(item, namer) for item in items)
    text = _rich_text(obj.get("elements") or [], namer)
    return text + "\n" if kind in {"rich_text_section", "rich_text_preformatted"} else text


def block_lines(block: Block, namer: UserNamer = default_namer) -> list[str]:
    """Return the terminal lines for one block."""
    kind = block.get("type")
    if kind == "header":
        title = text_object(block.get("text"), namer)
        return [title.upper(), "═" * min(len(title), 60)] if title else []
    if kind == "section":
        lines: list[str] = []
        body = text_object(block.get("text"), namer)
        if body:
            lines.extend(body.splitlines())
        for field in block.get("fields") or []:
            lines.extend(text_object(field, namer).splitlines())
        accessory = element(block.get("accessory"), namer)
        if accessory:
            if lines:
                lines[-1] = f"{lines[-1]}  {accessory}"
            else:
                lines.append(accessory)
        return lines
    if kind == "context":
        parts = [element(item, namer) for item in block.get("elements") or []]
        text = " · ".join(part for part in parts if part)
        return ["  " + line for line in text.splitlines()] if text else []
    if kind == "actions":
        labels = [element(item, namer) for item in block.get("elements") or []]
        text = " ".join(label for label in labels if label)
        return [text] if text else []
    if kind == "divider":
        return [RULE]
    if kind == "input":
        label = text_object(block.get("label"), namer)
        return [f"{label}: {element(block.get('element'), namer)}".rstrip()]
    if kind == "rich_text":
        return _rich_text(block.get("elements") or [], namer).rstrip("\n").splitlines()
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    return []


def render_blocks(
    blocks: Sequence[Block], *, fallback: str = "", namer: UserNamer = default_namer
) -> list[str]:
    """Return the lines of a message: its blocks, or its fallback text when it has none."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Mapping):
            lines.extend(block_lines(block, namer))
    if not lines and fallback:
        lines = mrkdwn(fallback, namer).splitlines()
    return lines


def progress_of(blocks: Sequence[Block], namer: UserNamer = default_namer) -> str | None:
    """Return the card's progress line (``RUNNING ▓▓▓░░ 19/31 days``) if it shows one."""
    for line in render_blocks(blocks, namer=namer):
        candidate = line.strip()
        if _PROGRESS.match(candidate):
            return candidate
    return None


def progress_step(line: str) -> tuple[str, str, str] | None:
    """Return what a reader notices in a progress line: status, bar cells, failed count.

    ``RUNNING ▓▓▓░░ 9/31 days`` and ``RUNNING ▓▓▓░░ 10/31 days`` are the same step.
    """
    match = _PROGRESS.match(line.strip())
    if match is None:
        return None
    status, bar, failed = match.groups()
    return status, bar, failed or "0"


def backfill_label(blocks: Sequence[Block], namer: UserNamer = default_namer) -> str | None:
    """Return ``backfill #10001`` when the card names its backfill, else None."""
    for line in render_blocks(blocks, namer=namer):
        match = _BACKFILL_ID.search(line)
        if match is not None:
            return f"backfill #{match.group(1)}"
    return None


def wrap(lines: Sequence[str], width: int) -> list[str]:
    """Fold lines longer than ``width`` at spaces, continuing under their own indent.

    A thread reply's ``    │ `` margin is repeated on its continuation lines, so a long
    reply stays visibly inside its thread at a narrow terminal.
    """
    folded: list[str] = []
    for line in lines:
        if len(line) <= width:
            folded.append(line)
            continue
        margin = _MARGIN.match(line)
        lead = margin.group(0) if margin else ""
        rest = " " * len(lead) if "│" not in lead else lead
        if line[len(lead) :].startswith("• "):
            rest += "  "  # a bullet's text continues under its text, not under the bullet
        if len(rest) >= width // 2:
            folded.append(line)  # too narrow to fold usefully: the terminal wraps it
            continue
        folded.extend(
            textwrap.wrap(
                line[len(lead) :],
                width=width,
                initial_indent=lead,
                subsequent_indent=rest,
                break_on_hyphens=False,
            )
            or [line]
        )
    return folded


def button_labels(blocks: Sequence[Block]) -> list[str]:
    """Return the labels of every button in the blocks, in order."""
    labels: list[str] = []
    for block in blocks:
        items: list[Any] = []
        if block.get("type") == "actions":
            items = list(block.get("elements") or [])
        elif block.get("type") == "section" and block.get("accessory"):
            items = [block.get("accessory")]
        for item in items:
            if isinstance(item, Mapping) and item.get("type") == "button":
                labels.append(text_object(item.get("text")))
    return labels


def message_lines(text: str, namer: UserNamer = default_namer) -> list[str]:
    """Return a message written for Slack (mrkdwn, ``&amp;``-escaped) as terminal lines.

    Every text the bot wrote for Slack goes through here or ``render_blocks``: error
    messages are escaped for mrkdwn, and would show ``&lt;`` and ``&amp;`` if printed as is.
    """
    return mrkdwn(text, namer).splitlines()


def indent(lines: Sequence[str], prefix: str, *, first_only: bool = False) -> list[str]:
    """Prefix the lines (``first_only``: the first, the rest aligned under it)."""
    if first_only:
        pad = " " * len(prefix)
        return [
            ((prefix if index == 0 else pad) + line).rstrip() for index, line in enumerate(lines)
        ]
    return [prefix + line if line else prefix.rstrip() for line in lines]
