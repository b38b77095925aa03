"""``python -m bot <command>``: one entry point, each command in its own module.

Commands are imported lazily so that ``python -m bot parse`` does not pay for Slack,
SQLAlchemy or the HTTP server at start-up.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# command -> (module exposing ``main(argv: list[str]) -> int``, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "console": ("bot.cli.console", "run the bot in this terminal against the built-in simulator"),
    "serve": ("bot.cli.serve", "serve the Slack app over HTTP (or Socket Mode) + tracker"),
    "worker": ("bot.cli.worker", "run the backfill tracker alone"),
    "parse": ("bot.cli.parse", "parse commands into transfer + date range (JSON out)"),
    "simulate-api": ("bot.cli.simulate_api", "run the local Supermetrics DTS API simulator"),
    "migrate": ("bot.cli.store_admin", "upgrade the database schema to the latest version"),
    "workspace": ("bot.cli.store_admin", "set or show a workspace's Supermetrics team and token"),
    "rotate-key": ("bot.cli.store_admin", "re-encrypt stored tokens with the newest key"),
}


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: python -m bot <command> [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    # modules serving several commands (bot.cli.store_admin) get the command name first
    if COMMANDS[name][0] == "bot.cli.store_admin":
        rest = [name, *rest]
    code: int = module.main(rest)
    return code


if __name__ == "__main__":
    sys.exit(main())
