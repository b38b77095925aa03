"""Ack latency of signed slash commands: the real app beside a bare ack-only Bolt app,
served the same way, measured in the same run, in interleaved rounds.

Not a test: it prints figures.  Each app runs in its own process on 127.0.0.1, both alive
for the whole run; the Slack Web API (FakeSlack) and the Supermetrics API (DTS simulator)
run in a third process, so neither the apps nor the load generator host them.  This
process is the load generator (threads + httpx, keep-alive), firing signed ``/backfill``
commands.

    .venv/bin/python benchmarks/ack_bench.py           # bare vs real (--target ack_bench:real_app)
    .venv/bin/python benchmarks/ack_bench.py --target '' --variants bolt-pbr,waitress-8-pbr

How a run goes, so the figures can be trusted:

- Warm-up: every app first gets ``--warmup`` requests that are not counted (imports,
  first-request costs, connection set-up in its server).
- Rounds: at each concurrency level (1, 10, 50) every app gets ``--rounds`` rounds of
  exactly ``--requests`` requests each (the same count for every app, round and level;
  a round is never cut short: a request that fails or times out counts as an error).
  The apps take turns round by round, in ABBA order (bare, real, real, bare, ...), so a
  drift in the machine's load falls on both alike.
- Bursts from idle: before every round the real app must have finished the work its
  earlier commands left behind (parse, database, Slack calls): the run waits until the
  fake Slack has received one confirmation card per command acked so far, and prints how
  long that took ("drain").  So a bare round never competes with the real app's backlog,
  and every command is shown to have got its card.
- Figures: each round's p50/p99/max ack latency and throughput are printed as they come;
  the summary is the median over rounds of each figure, with the ratio real/bare.  The
  targets (issue 5) are judged on those medians, except "no request over 3 s", which is
  judged on the worst request of any round.

A variant name is ``<server>[-<threads>][-pbr]``: ``bolt`` is Bolt's built-in
development server (http.server, one request at a time), ``bolt-threaded`` the same
handler on a ThreadingHTTPServer, ``waitress-N`` Bolt's WSGI adapter under waitress with
N threads; ``-pbr`` sets ``process_before_response=True``.  The target factory
(``module:factory``) is called with no arguments and must return a WSGI app; it is served
under waitress with ``--target-threads`` threads, with SLACK_SIGNING_SECRET,
SLACK_BOT_TOKEN, SLACK_API_URL and ACK_BENCH_DTS_URL set for it.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.fake_slack import FakeSlack, FakeUser  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.signing import signed_headers, slash_command_body  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
DTS_TOKEN = "bench-dts-token"
PATH = "/slack/events"
LEVELS = (1, 10, 50)
BASELINE = "waitress-16-pbr"
TARGET = "target"
USER_ID, TEAM_ID, CHANNEL_ID = "U0BENCH", "T0BENCH", "C0BENCH"
CONFIRM_ACTION = "backfill_confirm"  # bot.messages.ids.ACTION_CONFIRM, without importing bot
SLACK_LIMIT = 3.0


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

    A temporary SQLite database (migrated to head) and a workspace whose Supermetrics token
    is set, so commands run their whole path after the ack, against the DTS simulator at
    ``ACK_BENCH_DTS_URL`` (started here when unset).
    """
    import tempfile

    from cryptography.fernet import Fernet

    from bot.clock import SystemClock
    from bot.config import load_settings
    from bot.runtime import build_runtime
    from bot.slack.server import create_wsgi_app
    from bot.slack.slack_notifier import build_web_client
    from bot.store.db import session_scope, upgrade_to_head
    from bot.store.queries import set_workspace_token

    clock = SystemClock()
    dts_url = os.environ.get("ACK_BENCH_DTS_URL") or _start_dts_simulator().base_url
    settings = load_settings().with_overrides(
        data_dir=Path(tempfile.mkdtemp(prefix="ack-bench-")),
        database_url="",
        supermetrics_api_url=dts_url,
        encryption_keys=(Fernet.generate_key().decode(),),
    )
    upgrade_to_head(settings.resolved_database_url())
    runtime = build_runtime(settings, clock=clock)
    with session_scope(runtime.session_factory) as session:
        set_workspace_token(
            session,
            slack_team_id=TEAM_ID,
            supermetrics_team_id=1,
            token_ciphertext=runtime.vault.encrypt(DTS_TOKEN),
            set_by=USER_ID,
            now=clock.now(),
        )
    return create_wsgi_app(runtime, client=build_web_client(settings))


def _start_dts_simulator() -> Any:
    from bot.clock import SystemClock
    from bot.simulator.server import start_simulator
    from bot.simulator.state import DtsSimulator

    return start_simulator(DtsSimulator(clock=SystemClock(), token=DTS_TOKEN, team_id=1))


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
    if variant == TARGET:
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


# ------------------------------------------------------------------- peers side
def run_peers() -> None:
    """Child process entry: FakeSlack + the DTS simulator, driven by lines on stdin.

    Prints ``{"slack": url, "dts": url}`` once, then answers ``urls N`` with N fresh
    response URLs and ``count`` with what FakeSlack received; ends on ``quit`` or EOF.
    """
    sim = _start_dts_simulator()
    users = [FakeUser(USER_ID, tz="Europe/Helsinki", is_admin=True)]
    with FakeSlack(token=TOKEN, team_id=TEAM_ID, users=users) as fake:
        tally = Tally(fake)
        _reply({"slack": fake.base_url, "dts": sim.base_url})
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "urls":
                _reply([fake.response_url() for _ in range(int(arg))])
            elif command == "count":
                _reply(tally.count())
            elif command == "quit":
                break
    sim.stop()


ANSWERING_METHODS = {"chat.postMessage", "chat.postEphemeral"}


class Tally:
    """What the people who typed the commands were shown (messages, ephemerals, responses),
    counted incrementally so polling it stays cheap while the app drains its work."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.seen_posts = self.seen_calls = self.answers = self.cards = 0

    def count(self) -> dict[str, int]:
        posts, calls = self.fake.responses, self.fake.calls
        shown = [post.body for post in posts[self.seen_posts :]]
        shown += [
            call.args
            for call in calls[self.seen_calls :]
            if call.method in ANSWERING_METHODS and call.ok
        ]
        self.seen_posts, self.seen_calls = len(posts), len(calls)
        self.answers += len(shown)
        self.cards += sum(1 for body in shown if CONFIRM_ACTION in json.dumps(body))
        return {
            "answers": self.answers,
            "cards": self.cards,
            "calls": len(calls),
            "violations": len(self.fake.violations),
        }


def _reply(value: object) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


class Peers:
    """The load generator's handle on the peers process."""

    def __init__(self) -> None:
        cmd = [sys.executable, __file__, "--peers"]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        urls = self._ask(None)
        self.slack_url: str = urls["slack"]
        self.dts_url: str = urls["dts"]

    def _ask(self, line: str | None) -> Any:
        stdin: IO[str] | None = self.proc.stdin
        stdout: IO[str] | None = self.proc.stdout
        assert stdin is not None and stdout is not None
        if line is not None:
            stdin.write(line + "\n")
            stdin.flush()
        answer = stdout.readline()
        if not answer:
            raise RuntimeError(f"peers process ended ({self.proc.poll()})")
        return json.loads(answer)

    def response_urls(self, n: int) -> list[str]:
        urls: list[str] = self._ask(f"urls {n}")
        return urls

    def count(self) -> dict[str, int]:
        counts: dict[str, int] = self._ask("count")
        return counts

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, ValueError):
            self._ask("quit")
        _stop(self.proc)


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


# ------------------------------------------------------------------- load side
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (p99 of 300 values is the 297th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


@dataclass(frozen=True)
class Round:
    app: str
    concurrency: int
    index: int
    sent: int
    errors: int
    latencies: tuple[float, ...]  # every request sent, failed ones included
    elapsed: float
    drain: float | None = None  # seconds until every acked command had its answer

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)

    @property
    def max(self) -> float:
        return max(self.latencies, default=float("nan"))

    @property
    def throughput(self) -> float:
        return (self.sent - self.errors) / self.elapsed if self.elapsed else float("nan")

    def row(self) -> str:
        drain = "" if self.drain is None else f"{self.drain:>8.2f}"
        return (
            f"{self.app:<16} {self.concurrency:>4} {self.index:>5} {self.sent:>5} "
            f"{self.errors:>4} {self.p50 * 1000:>8.1f} {self.p99 * 1000:>8.1f} "
            f"{self.max * 1000:>8.1f} {self.throughput:>8.1f} {drain}"
        )


ROUND_HEADER = (
    f"{'app':<16} {'conc':>4} {'round':>5} {'sent':>5} {'errs':>4} "
    f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8} {'drain s':>8}"
)


def fire(
    url: str, concurrency: int, bodies: Sequence[str], *, request_timeout: float
) -> tuple[list[float], int, float]:
    """Send every body from ``concurrency`` threads released together.

    Bodies are signed before the clock starts, so the generator's own CPU is spent on
    sending, not on HMACs.  Returns the latency of every request, the error count (non-200
    or no answer within ``request_timeout``) and the wall time of the whole burst.
    """
    signed = [(body.encode(), signed_headers(SECRET, body)) for body in bodies]
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    position = [0]
    ready = threading.Barrier(concurrency + 1)

    def worker() -> None:
        with httpx.Client(timeout=request_timeout) as client:
            ready.wait()
            while True:
                with lock:
                    if position[0] >= len(signed):
                        return
                    content, headers = signed[position[0]]
                    position[0] += 1
                started = time.perf_counter()
                try:
                    ok = client.post(url, content=content, headers=headers).status_code == 200
                except httpx.HTTPError:
                    ok = False
                seconds = time.perf_counter() - started
                with lock:
                    latencies.append(seconds)
                    errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    # every request ends within request_timeout, so this bound is never the one that ends it
    bound = time.monotonic() + request_timeout * (len(bodies) / concurrency + 2)
    for thread in threads:
        thread.join(timeout=max(0.0, bound - time.monotonic()))
    elapsed = time.perf_counter() - started
    with lock:
        unsent = len(signed) - len(latencies)
        return list(latencies), errors[0] + unsent, elapsed


@dataclass
class App:
    """One app under test: its server process, and what it was sent."""

    name: str
    url: str
    proc: subprocess.Popen[bytes]
    answers: bool  # does each acked command end in a confirmation card?
    acked: int = 0
    rounds: list[Round] = field(default_factory=list)


class Bench:
    def __init__(self, args: argparse.Namespace, peers: Peers) -> None:
        self.args = args
        self.peers = peers
        self.apps: list[App] = []
        self._trigger = 0

    def start(self, name: str) -> None:
        port = free_port()
        env = {
            **os.environ,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": self.peers.slack_url,
            "ACK_BENCH_DTS_URL": self.peers.dts_url,
            "PORT": str(port),
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        cmd = [sys.executable, __file__, "--serve", name, "--port", str(port)]
        cmd += [
            "--api-url",
            self.peers.slack_url,
            "--target-threads",
            str(self.args.target_threads),
        ]
        if self.args.target:
            cmd += ["--target", self.args.target]
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        app = App(name, f"http://127.0.0.1:{port}{PATH}", proc, answers=name == TARGET)
        self.apps.append(app)
        wait_until_listening(port, proc)

    def stop(self) -> None:
        for app in self.apps:
            _stop(app.proc)

    def bodies(self, n: int) -> list[str]:
        urls = self.peers.response_urls(n)
        bodies = []
        for response_url in urls:
            self._trigger += 1
            bodies.append(
                slash_command_body(
                    text=self.args.text,
                    user_id=USER_ID,
                    team_id=TEAM_ID,
                    channel_id=CHANNEL_ID,
                    response_url=response_url,
                    trigger_id=f"{self._trigger}.1.bench",
                )
            )
        return bodies

    def burst(
        self, app: App, concurrency: int, n: int
    ) -> tuple[list[float], int, float, float | None]:
        bodies = self.bodies(n)
        latencies, errors, elapsed = fire(
            app.url, concurrency, bodies, request_timeout=self.args.request_timeout
        )
        app.acked += n - errors
        drain = self.drain() if app.answers else None
        return latencies, errors, elapsed, drain

    def drain(self) -> float:
        """Wait until every command any app acked has had its answer; seconds waited."""
        expected = sum(app.acked for app in self.apps if app.answers)
        started = time.monotonic()
        deadline = started + self.args.drain_timeout
        while True:
            if self.peers.count()["cards"] >= expected:
                return time.monotonic() - started
            if time.monotonic() > deadline:
                return float("inf")
            time.sleep(0.05)

    def warm_up(self) -> None:
        for app in self.apps:
            self.burst(app, min(4, self.args.warmup) or 1, self.args.warmup)

    def run_level(self, concurrency: int) -> None:
        for index in range(self.args.rounds):
            order = self.apps if index % 2 == 0 else list(reversed(self.apps))
            for app in order:
                latencies, errors, elapsed, drain = self.burst(app, concurrency, self.args.requests)
                result = Round(
                    app.name,
                    concurrency,
                    index + 1,
                    self.args.requests,
                    errors,
                    tuple(latencies),
                    elapsed,
                    drain,
                )
                app.rounds.append(result)
                print(result.row(), flush=True)
                time.sleep(self.args.pause)


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


# ------------------------------------------------------------------- reporting
@dataclass(frozen=True)
class Summary:
    app: str
    concurrency: int
    p50: float
    p99: float
    max: float
    throughput: float
    worst: float  # the slowest request of any round
    errors: int  # over all rounds
    drain: float | None  # the longest drain of any round


def summarise(app: App, concurrency: int) -> Summary | None:
    rounds = [r for r in app.rounds if r.concurrency == concurrency]
    if not rounds:
        return None
    drains = [r.drain for r in rounds if r.drain is not None]
    return Summary(
        app.name,
        concurrency,
        statistics.median(r.p50 for r in rounds),
        statistics.median(r.p99 for r in rounds),
        statistics.median(r.max for r in rounds),
        statistics.median(r.throughput for r in rounds),
        max(r.max for r in rounds),
        sum(r.errors for r in rounds),
        max(drains) if drains else None,
    )


SUMMARY_HEADER = (
    f"{'app':<16} {'conc':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8} "
    f"{'worst ms':>9} {'errs':>5}"
)


def summary_row(s: Summary) -> str:
    return (
        f"{s.app:<16} {s.concurrency:>4} {s.p50 * 1000:>8.1f} {s.p99 * 1000:>8.1f} "
        f"{s.max * 1000:>8.1f} {s.throughput:>8.1f} {s.worst * 1000:>9.1f} {s.errors:>5}"
    )


def ratio_row(real: Summary, bare: Summary) -> str:
    def r(a: float, b: float) -> str:
        return f"{a / b:>8.2f}" if b else f"{'-':>8}"

    return (
        f"{'  real/bare':<16} {real.concurrency:>4} {r(real.p50, bare.p50)} "
        f"{r(real.p99, bare.p99)} {r(real.max, bare.max)} "
        f"{r(real.throughput, bare.throughput)}"
    )


def verdict(target: App, bare: App, levels: Sequence[int]) -> list[tuple[str, bool]]:
    """Issue 5's targets for the real app, judged against the bare app of the same run."""
    lines: list[tuple[str, bool]] = []
    at10 = summarise(target, 10) if 10 in levels else None
    if at10 is not None:
        ms = at10.p99 * 1000
        lines.append((f"p99 at 10 concurrent {ms:.1f} ms <= 100 ms", ms <= 100 and not at10.errors))
    real50 = summarise(target, 50) if 50 in levels else None
    bare50 = summarise(bare, 50) if 50 in levels else None
    if real50 is not None and bare50 is not None:
        lines.append(
            (
                f"p99 at 50 concurrent {real50.p99 * 1000:.1f} ms no worse than bare "
                f"{bare50.p99 * 1000:.1f} ms (ratio {real50.p99 / bare50.p99:.2f})",
                real50.p99 <= bare50.p99,
            )
        )
        lines.append(
            (
                f"at 50 concurrent no request over 3 s: worst {real50.worst * 1000:.0f} ms "
                f"in any round, {real50.errors} errors",
                real50.worst < SLACK_LIMIT and real50.errors == 0,
            )
        )
    drains = [r.drain for r in target.rounds if r.drain is not None]
    if drains:
        worst = max(drains)
        lines.append(
            (
                f"every acked command got its answer after each round (longest wait {worst:.2f} s)",
                math.isfinite(worst),
            )
        )
    return lines


def report(bench: Bench, levels: Sequence[int], baseline: str) -> bool:
    print("\nsummary: median over rounds of each round's figure; worst = slowest of any round")
    print(SUMMARY_HEADER)
    by_name = {app.name: app for app in bench.apps}
    for level in levels:
        summaries = {app.name: summarise(app, level) for app in bench.apps}
        for s in summaries.values():
            if s is not None:
                print(summary_row(s))
        real, bare = summaries.get(TARGET), summaries.get(baseline)
        if real is not None and bare is not None:
            print(ratio_row(real, bare))
    if TARGET not in by_name or baseline not in by_name:
        return True
    print("\ntargets (issue 5):")
    met = True
    for text, ok in verdict(by_name[TARGET], by_name[baseline], levels):
        print(f"  [{'met' if ok else 'NOT MET'}] {text}")
        met = met and ok
    return met


def dump(path: Path, bench: Bench) -> None:
    rows = [
        {
            "app": r.app,
            "concurrency": r.concurrency,
            "round": r.index,
            "sent": r.sent,
            "errors": r.errors,
            "elapsed": r.elapsed,
            "drain": r.drain,
            "latencies": list(r.latencies),
        }
        for app in bench.apps
        for r in app.rounds
    ]
    path.write_text(json.dumps({"cpus": os.cpu_count(), "rounds": rows}))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--target",
        default="ack_bench:real_app",
        help="module:factory returning the real WSGI app ('' to measure bare variants only)",
    )
    parser.add_argument(
        "--variants", default=BASELINE, help="bare variants to measure (comma-separated)"
    )
    parser.add_argument("--baseline", default=BASELINE, help="the bare variant judged against")
    parser.add_argument("--target-threads", type=int, default=16)
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--rounds", type=int, default=5, help="rounds per app and level")
    parser.add_argument("--requests", type=int, default=1000, help="requests in every round")
    parser.add_argument("--warmup", type=int, default=40, help="uncounted requests per app")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between rounds")
    parser.add_argument("--request-timeout", type=float, default=10.0)
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    parser.add_argument("--text", default="transfer 456789 for last January")
    parser.add_argument("--json", type=Path, help="also write every latency of every round here")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--peers", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        run_server(args.serve, args.port, args.api_url, args.target, args.target_threads)
        return 0
    if args.peers:
        run_peers()
        return 0

    names = [v for v in args.variants.split(",") if v]
    if args.target:
        names.append(TARGET)
    levels = [int(level) for level in args.levels.split(",")]
    started = time.monotonic()
    peers = Peers()
    bench = Bench(args, peers)
    try:
        for name in names:
            bench.start(name)
        print(
            f"{os.cpu_count()} CPUs; apps: {', '.join(names)}; {args.rounds} rounds x "
            f"{args.requests} requests per app and level, after {args.warmup} warm-up "
            "requests; load generator: threads + httpx, keep-alive, loopback"
        )
        bench.warm_up()
        print(ROUND_HEADER)
        for level in levels:
            bench.run_level(level)
        counts = peers.count()
    finally:
        bench.stop()
        peers.close()
    print(
        f"\ntotal {time.monotonic() - started:.0f} s; answers seen by the fake Slack: "
        f"{counts['answers']} ({counts['cards']} confirmation cards), Web API calls: "
        f"{counts['calls']}, Block Kit violations: {counts['violations']}"
    )
    met = report(bench, levels, args.baseline)
    if args.json:
        dump(args.json, bench)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
