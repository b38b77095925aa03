"""``backfill-bot serve``: the Slack app over HTTP (or Socket Mode), with the tracker in-process."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    # imported here: `backfill-bot parse` must not pay for Bolt, SQLAlchemy and waitress
    from bot.slack.server import main as serve

    return serve(argv)
