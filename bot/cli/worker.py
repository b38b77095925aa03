"""``python -m bot worker``: run the backfill tracker alone until SIGTERM / SIGINT.

Several workers may run against one PostgreSQL database; each claims requests with a
lease, so nothing is polled or announced twice and a killed worker's requests are
taken over once its leases expire.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from bot.errors import BotError

log = logging.getLogger("bot.worker")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot worker",
        description="Follow submitted backfills and post their progress in Slack threads.",
    )
    parser.add_argument(
        "--owner",
        help="lease owner name (default: host:pid:random); reuse it to take back a "
        "restarted worker's leases at once",
    )
    parser.add_argument(
        "--once", action="store_true", help="run a single tick and exit (for cron and tests)"
    )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    # imports here keep `python -m bot --help` fast
    from bot.config import load_settings, require
    from bot.runtime import build_runtime
    from bot.service.background import polling_tracker
    from bot.slack.slack_notifier import SlackNotifier, build_web_client

    try:
        settings = load_settings()
        require(settings, "worker")
    except BotError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # one line per HTTP request drowns what matters; the client logs failures itself
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        runtime = build_runtime(settings, allow_generate_key=False, check_schema=True)
    except BotError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    tracker = polling_tracker(
        runtime, notifier=SlackNotifier(build_web_client(settings)), owner=args.owner
    )
    try:
        if args.once:
            done = tracker.run_once()
            print(f"tracker tick done: {done} poll(s) and announcement(s)")
            return 0
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("signal %s received; stopping after this tick", signum)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        log.info("worker %s running (tick %.2fs)", tracker.owner, settings.tracker_tick_seconds)
        tracker.run_forever(stop)
        return 0
    finally:
        tracker.dts.close()
        runtime.close()
