"""``python -m bot worker``: run the backfill tracker alone until SIGTERM / SIGINT.

Several workers may run against one PostgreSQL database; each claims requests with a
lease, so nothing is polled or announced twice and a killed worker's requests are
taken over once its leases expire.
"""

from __future__ import annotations

import argparse
import gc
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
    from bot.observability.logs import configure_for
    from bot.observability.ops import OpsApp, serve_ops
    from bot.runtime import build_runtime
    from bot.service.background import database_check, polling_tracker, watch_backlog
    from bot.slack.home import watch_homes
    from bot.slack.oauth import build_workspaces
    from bot.slack.slack_notifier import SlackNotifier, build_web_client

    try:
        settings = load_settings()
        require(settings, "worker")
    except BotError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    configure_for(settings)
    try:
        runtime = build_runtime(settings, allow_generate_key=False, check_schema=True)
    except BotError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    # each workspace's own bot token in multi-workspace mode ("Add to Slack")
    clients = build_workspaces(runtime, build_web_client(settings)).clients
    tracker = polling_tracker(runtime, notifier=SlackNotifier(clients), owner=args.owner)
    homes = watch_homes(tracker, clients)
    try:
        if args.once:
            done = tracker.run_once()
            print(f"tracker tick done: {done} poll(s) and announcement(s)")
            return 0
        stop = threading.Event()
        ops = None
        if settings.metrics_port:
            watch_backlog(runtime)
            try:
                ops = serve_ops(
                    OpsApp(database=database_check(runtime)), port=settings.metrics_port
                )
            except OSError as exc:
                print(
                    f"error: METRICS_PORT {settings.metrics_port} can't be served "
                    f"({exc.strerror}): pick a free port, or 0 to serve none.",
                    file=sys.stderr,
                )
                return 2
            log.info("serving /metrics, /healthz and /readyz on port %s", ops.port)

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("signal %s received; stopping after this tick", signum)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        log.info("worker %s running (tick %.2fs)", tracker.owner, settings.tracker_tick_seconds)
        # The start-up heap (~100k objects: SQLAlchemy, the Slack SDK, dateparser) lives as
        # long as the process: frozen, the collector's full passes over it (25-50 ms) stop
        # landing in ticks (benchmarks/README.md)
        gc.collect()
        gc.freeze()
        try:
            tracker.run_forever(stop)
        finally:
            if ops is not None:
                ops.stop()
        return 0
    finally:
        homes.flush()  # the App Home refreshes still waiting
        homes.close()
        tracker.dts.close()
        runtime.close()
