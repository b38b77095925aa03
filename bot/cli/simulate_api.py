"""``backfill-bot simulate-api``: the local Supermetrics DTS API simulator on a loopback port."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from bot.simulator.server import main as simulate

    return simulate(argv)
