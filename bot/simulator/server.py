"""A loopback HTTP server that answers like the Supermetrics DTS API.

In tests: ``with start_simulator(DtsSimulator(clock=frozen)) as running: running.base_url``.
By hand: ``python -m bot simulate-api [--port 8765] [--speed 60]`` prints its base URL and
serves until Ctrl-C / SIGTERM.  The rules and lifecycle live in ``state``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any

from bot.clock import SystemClock
from bot.simulator.state import (
    DEFAULT_TRANSFERS,
    FIRST_BACKFILL_ID,
    DtsSimulator,
    FaultKind,
)
from bot.simulator.wire import SimResponse

__all__ = [
    "DEFAULT_TRANSFERS",
    "FIRST_BACKFILL_ID",
    "DtsSimulator",
    "FaultKind",
    "RunningSimulator",
    "main",
    "start_simulator",
]

log = logging.getLogger(__name__)

_MAX_BODY = 1 << 20


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: DtsSimulator) -> None:
        self.sim = sim
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that gave up (timeout fault) closes its socket under us: not news
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        log.exception("DTS simulator failed to answer %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are closed after this
    # buffered, so head and body leave in one segment (no Nagle / delayed-ACK stall);
    # BaseHTTPRequestHandler flushes after every request
    wbufsize = -1
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(min(length, _MAX_BODY)) if length > 0 else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        response = self.server.sim.handle(self.command, self.path, headers, body)
        if response.delay > 0 and self.server.stopping.wait(response.delay):
            self.close_connection = True
            return
        self._write(response)

    def _write(self, response: SimResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("DTS simulator: " + format, *args)


class RunningSimulator:
    """A simulator serving on a loopback port; ``stop()`` (or ``with``) shuts it down."""

    def __init__(self, sim: DtsSimulator, server: _Server, thread: threading.Thread) -> None:
        self.sim = sim
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.base_url = f"http://{self.host}:{self.port}/v1"

    def stop(self) -> None:
        if self._server.stopping.is_set():
            return
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_simulator(
    sim: DtsSimulator, *, host: str = "127.0.0.1", port: int = 0
) -> RunningSimulator:
    """Serve ``sim`` over HTTP on a background daemon thread (port 0: any free port)."""
    server = _Server((host, port), sim)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.02},  # how fast stop() returns
        name=f"dts-simulator-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return RunningSimulator(sim, server, thread)


# --- python -m bot simulate-api -------------------------------------------------------


def _fail_spec(raw: str) -> tuple[int, list[date]]:
    transfer, _, days = raw.partition(":")
    try:
        return int(transfer), [date.fromisoformat(day) for day in days.split(",") if day]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected TRANSFER_ID:YYYY-MM-DD[,YYYY-MM-DD...], not {raw!r}"
        ) from None


def _first_id(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} must be 1 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot simulate-api",
        description="Run a local Supermetrics DTS API simulator on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="demo-token", help="bearer token it accepts")
    parser.add_argument("--team-id", type=int, default=1)
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second"
    )
    parser.add_argument("--schedule-delay", type=float, default=5.0)
    parser.add_argument("--start-delay", type=float, default=5.0)
    parser.add_argument("--seconds-per-run", type=float, default=10.0)
    parser.add_argument("--rate-limit", type=int, default=10000, help="requests per hour")
    parser.add_argument(
        "--first-id",
        type=_first_id,
        default=FIRST_BACKFILL_ID,
        help=f"the id of the first backfill it creates (default {FIRST_BACKFILL_ID}); start "
        "above the ids a database already holds so restarts do not reuse them",
    )
    parser.add_argument(
        "--fail",
        type=_fail_spec,
        action="append",
        default=[],
        metavar="TRANSFER:DATES",
        help="make runs fail, e.g. 456789:2024-01-15,2024-01-16 (repeatable)",
    )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.speed <= 0:
        print("--speed must be positive", file=sys.stderr)
        return 2
    sim = DtsSimulator(
        clock=SystemClock(),
        token=args.token,
        team_id=args.team_id,
        speed=args.speed,
        schedule_delay=args.schedule_delay,
        start_delay=args.start_delay,
        seconds_per_run=args.seconds_per_run,
        rate_limit=args.rate_limit,
        first_backfill_id=args.first_id,
    )
    sim.max_calls = 10_000
    for transfer_id, days in args.fail:
        sim.fail_dates(transfer_id, days)
    try:
        running = start_simulator(sim, host=args.host, port=args.port)
    except (OSError, socket.gaierror) as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(running.base_url, flush=True)
        names = ", ".join(f"{t.transfer_id} {t.display_name!r}" for t in DEFAULT_TRANSFERS)
        print(
            f"Supermetrics DTS simulator: team {args.team_id}, speed x{args.speed:g}, "
            f"transfers {names}. Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        running.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
