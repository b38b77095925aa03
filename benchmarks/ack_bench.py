"""Ack latency of signed slash commands: a bare ack-only Bolt app, served several ways,
beside the real app (``--target module:factory``), measured in the same run.

Not a test: it prints figures.  Each server runs in its own process on 127.0.0.1; this
process is the load generator (threads + httpx), firing signed ``/backfill`` commands at
1, 10 and 50 concurrent, each level bounded by a request count and a time budget.

    .venv/bin/python benchmarks/ack_bench.py                       # the bare variants
    .venv/bin/python benchmarks/ack_bench.py --variants waitress-16-pbr \\
        --target ack_bench:real_app                                # bare vs the real app

A variant name is ``<server>[-<threads>][-pbr]``: ``bolt`` is Bolt's built-in
development server (http.server, one request at a time), ``bolt-threaded`` the same
handler on a ThreadingHTTPServer, ``waitress-N`` Bolt's WSGI adapter under waitress with
N threads; ``-pbr`` sets ``process_before_response=True``.  The target factory is called
with no arguments and must return a WSGI app; it is served under waitress with
``--target-threads`` threads, with SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and SLACK_API_URL
set for it (the Web API is a FakeSlack on loopback).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.fake_slack import FakeSlack, FakeUser  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.signing import signed_headers, slash_command_body  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
PATH = "/slack/events"
LEVELS = (1, 10, 50)
DEFAULT_VARIANTS = (
    "bolt",
    "bolt-pbr",
    "waitress-8",
    "waitress-4-pbr",
    "waitress-8-pbr",
    "waitress-16-pbr",
)
USER_ID, TEAM_ID, CHANNEL_ID = "U0BENCH", "T0BENCH", "C0BENCH"


# ------------------------------------------------------------------ server side
def bare_bolt_app(*, process_before_response: bool, api_url: str) -> Any:
    """A Bolt app whose /backfill listener only acks: the floor for any real app."""
    from slack_bolt import App
    from slack_sdk import WebClient

    os.environ.pop("SLACK_BOT_TOKEN", None)  # the client below carries the token
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=api_url),
        token_verification_enabled=False,
        process_before_response=process_before_response,
    )

    @app.command("/backfill")
    def backfill(ack: Callable[..., None]) -> None:
        ack()

    return app


def real_app() -> Any:
    """``--target ack_bench:real_app``: the real bot, wired as ``python -m bot serve`` wires it.

    A temporary SQLite database (migrated to head), a DTS simulator in this process, and a
    workspace whose Supermetrics token is set, so commands run their whole path after the ack.
    """
    import tempfile

    from cryptography.fernet import Fernet

    from bot.clock import SystemClock
    from bot.config import load_settings
    from bot.runtime import build_runtime
    from bot.slack.notifier import build_web_client
    from bot.slack.server import create_wsgi_app
    from bot.store.db import session_scope, upgrade_to_head
    from bot.store.queries import set_workspace_token
    from bot.supermetrics.simulator import start_simulator
    from bot.supermetrics.simulator_state import DtsSimulator

    clock = SystemClock()
    simulator = start_simulator(DtsSimulator(clock=clock, token="bench-dts-token", team_id=1))
    settings = load_settings().with_overrides(
        data_dir=Path(tempfile.mkdtemp(prefix="ack-bench-")),
        database_url="",
        supermetrics_api_url=simulator.base_url,
        encryption_keys=(Fernet.generate_key().decode(),),
    )
    upgrade_to_head(settings.resolved_database_url())
    runtime = build_runtime(settings, clock=clock)
    with session_scope(runtime.session_factory) as session:
        set_workspace_token(
            session,
            slack_team_id=TEAM_ID,
            supermetrics_team_id=1,
            token_ciphertext=runtime.vault.encrypt("bench-dts-token"),
            set_by=USER_ID,
            now=clock.now(),
        )
    return create_wsgi_app(runtime, client=build_web_client(settings))


def serve_waitress(wsgi: Callable[..., Any], port: int, threads: int) -> None:
    from waitress.server import create_server

    # waitress warns on every queued task; under deliberate overload that is all noise
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = create_server(
        wsgi, host="127.0.0.1", port=port, threads=threads, connection_limit=1000, backlog=1024
    )
    server.run()


def serve_bolt_dev(app: Any, port: int, *, threaded: bool) -> None:
    """Bolt's own development server handler, bound to loopback instead of 0.0.0.0."""
    from http.server import HTTPServer, ThreadingHTTPServer

    from slack_bolt.app.app import SlackAppDevelopmentServer

    dev = SlackAppDevelopmentServer(
        port=free_port(), path=PATH, app=app, http_server_logger_enabled=False
    )
    handler = dev._server.RequestHandlerClass
    dev._server.server_close()
    server_class = ThreadingHTTPServer if threaded else HTTPServer
    server = server_class(("127.0.0.1", port), handler)
    server.serve_forever(0.05)


def run_server(variant: str, port: int, api_url: str, target: str | None, threads: int) -> None:
    """Child process entry: serve one variant until killed."""
    if variant == "target":
        assert target is not None
        module_name, _, factory_name = target.partition(":")
        factory = getattr(importlib.import_module(module_name), factory_name)
        serve_waitress(factory(), port, threads)
        return
    parts = variant.split("-")
    pbr = parts[-1] == "pbr"
    if pbr:
        parts = parts[:-1]
    app = bare_bolt_app(process_before_response=pbr, api_url=api_url)
    if parts == ["bolt"]:
        serve_bolt_dev(app, port, threaded=False)
    elif parts == ["bolt", "threaded"]:
        serve_bolt_dev(app, port, threaded=True)
    elif parts[0] == "waitress" and len(parts) == 2 and parts[1].isdigit():
        from slack_bolt.adapter.wsgi import SlackRequestHandler

        serve_waitress(SlackRequestHandler(app, path=PATH), port, int(parts[1]))
    else:
        raise SystemExit(f"unknown variant {variant!r}")


# ------------------------------------------------------------------- load side
@dataclass(frozen=True)
class LevelResult:
    variant: str
    concurrency: int
    sent: int
    ok: int
    latencies: tuple[float, ...]
    elapsed: float

    @property
    def errors(self) -> int:
        return self.sent - self.ok

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
        return ordered[index]

    def row(self) -> str:
        if not self.latencies:
            return f"{self.variant:<22} {self.concurrency:>4}   no successful requests"
        return (
            f"{self.variant:<22} {self.concurrency:>4} {self.sent:>6} {self.errors:>5} "
            f"{statistics.median(self.latencies) * 1000:>9.1f} "
            f"{self.percentile(0.99) * 1000:>9.1f} {max(self.latencies) * 1000:>9.1f} "
            f"{self.ok / self.elapsed:>9.1f}"
        )


HEADER = (
    f"{'variant':<22} {'conc':>4} {'sent':>6} {'errs':>5} "
    f"{'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'req/s':>9}"
)

_ids = itertools.count(1)
KEEP_ALIVE = True


def one_request(
    client: httpx.Client, url: str, text: str, response_url: Callable[[], str]
) -> tuple[bool, float]:
    n = next(_ids)
    body = slash_command_body(
        text=text,
        user_id=USER_ID,
        team_id=TEAM_ID,
        channel_id=CHANNEL_ID,
        response_url=response_url(),
        trigger_id=f"{n}.1.bench",
    )
    headers = signed_headers(SECRET, body)
    if not KEEP_ALIVE:
        headers["Connection"] = "close"
    started = time.perf_counter()
    try:
        resp = client.post(url, content=body.encode(), headers=headers)
        ok = resp.status_code == 200
    except httpx.HTTPError:
        ok = False
    return ok, time.perf_counter() - started


def run_level(
    variant: str,
    url: str,
    concurrency: int,
    *,
    total: int,
    budget: float,
    text: str,
    response_url: Callable[[], str],
) -> LevelResult:
    """Fire up to ``total`` requests from ``concurrency`` threads, stopping at ``budget`` s."""
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"sent": 0, "ok": 0}
    deadline = time.monotonic() + budget

    def worker() -> None:
        with httpx.Client(timeout=10.0) as client:
            while time.monotonic() < deadline:
                with lock:
                    if counts["sent"] >= total:
                        return
                    counts["sent"] += 1
                ok, seconds = one_request(client, url, text, response_url)
                with lock:
                    if ok:
                        counts["ok"] += 1
                        latencies.append(seconds)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=budget + 15)
    elapsed = time.perf_counter() - started
    return LevelResult(
        variant, concurrency, counts["sent"], counts["ok"], tuple(latencies), elapsed
    )


def wait_until_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s")


def verdict(results: dict[str, list[LevelResult]], baseline: str) -> list[str]:
    """Issue 5's goals for the real app, beside the bare baseline measured in this run."""
    target = {r.concurrency: r for r in results.get("target", [])}
    bare = {r.concurrency: r for r in results.get(baseline, [])}
    lines = []
    if 10 in target:
        p99 = target[10].percentile(0.99) * 1000
        lines.append(f"p99 at 10 concurrent: {p99:.1f} ms (goal <= 100 ms): {_met(p99 <= 100)}")
    if 50 in target:
        p99, worst = target[50].percentile(0.99) * 1000, max(target[50].latencies, default=0)
        if 50 in bare:
            bare_p99 = bare[50].percentile(0.99) * 1000
            lines.append(
                f"p99 at 50 concurrent: {p99:.1f} ms vs bare {baseline} {bare_p99:.1f} ms "
                f"(goal: no worse): {_met(p99 <= bare_p99)}"
            )
        lines.append(
            f"max at 50 concurrent: {worst * 1000:.0f} ms, {target[50].errors} errors "
            f"(goal: none over 3 s): {_met(worst < 3 and target[50].errors == 0)}"
        )
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def measure_variant(
    variant: str, args: argparse.Namespace, fake: FakeSlack, levels: Sequence[int]
) -> list[LevelResult]:
    port = free_port()
    env = {
        **os.environ,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_API_URL": fake.base_url,
        "PORT": str(port),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [sys.executable, __file__, "--serve", variant, "--port", str(port)]
    cmd += ["--api-url", fake.base_url, "--target-threads", str(args.target_threads)]
    if args.target:
        cmd += ["--target", args.target]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_until_listening(port, proc)
        url = f"http://127.0.0.1:{port}{PATH}"

        def level_run(concurrency: int, total: int, budget: float) -> LevelResult:
            return run_level(
                variant,
                url,
                concurrency,
                total=total,
                budget=budget,
                text=args.text,
                response_url=fake.response_url,
            )

        level_run(4, args.warmup, 10.0)  # warm up: imports, first-request costs
        results = []
        for level in levels:
            total = args.requests_at_1 if level == 1 else args.requests_per_level
            result = level_run(level, total, args.budget)
            print(result.row(), flush=True)
            results.append(result)
        return results
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--variants", default=",".join(DEFAULT_VARIANTS))
    parser.add_argument("--target", help="module:factory returning the real WSGI app")
    parser.add_argument("--target-threads", type=int, default=16)
    parser.add_argument(
        "--baseline", default="waitress-16-pbr", help="bare variant the target is judged against"
    )
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--requests-at-1", type=int, default=100)
    parser.add_argument("--requests-per-level", type=int, default=1500)
    parser.add_argument("--budget", type=float, default=6.0, help="seconds per level, at most")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--text", default="transfer 456789 for last January")
    parser.add_argument(
        "--new-connections",
        action="store_true",
        help="one TCP connection per request (Connection: close) instead of keep-alive",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        run_server(args.serve, args.port, args.api_url, args.target, args.target_threads)
        return 0

    global KEEP_ALIVE
    KEEP_ALIVE = not args.new_connections
    variants = [v for v in args.variants.split(",") if v]
    if args.target:
        variants.append("target")
    levels = [int(level) for level in args.levels.split(",")]
    users = [FakeUser(USER_ID, tz="Europe/Helsinki", is_admin=True)]
    with FakeSlack(token=TOKEN, team_id=TEAM_ID, users=users) as fake:
        connections = "keep-alive" if KEEP_ALIVE else "a new connection per request"
        print(f"{os.cpu_count()} CPUs; load generator: threads + httpx, {connections}; loopback")
        print(HEADER)
        started = time.monotonic()
        results = {variant: measure_variant(variant, args, fake, levels) for variant in variants}
        print(
            f"total {time.monotonic() - started:.0f}s; Slack Web API calls seen: "
            f"{len(fake.calls)}, Block Kit violations: {len(fake.violations)}"
        )
    for line in verdict(results, args.baseline):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
