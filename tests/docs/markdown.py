"""Reading the README: its sections, code blocks and the Quick start's commands."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def section(markdown: str, title: str) -> str:
    """Return the body of the ``## title`` section."""
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def code_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```[^\n]*\n(.*?)^```", markdown, re.M | re.S)


def quick_start_commands() -> list[str]:
    """Return the commands of the Quick start's first code block."""
    block = code_blocks(section(README.read_text(encoding="utf-8"), "Quick start"))[0]
    return [
        line.strip() for line in block.splitlines() if line.strip() and not line.startswith("#")
    ]
