"""``backfill-bot console``: the bot in this terminal, against the built-in DTS simulator."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from bot.console.repl import main as run

    return run(argv)
