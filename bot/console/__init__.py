"""Console mode: the service and tracker driven from a terminal (`python -m bot console`)."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    """Run the console (imported lazily so ``python -m bot`` stays quick to start)."""
    from bot.console.repl import main as run

    return run(argv)
