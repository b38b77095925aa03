"""Helpers for tests that run ``python -m bot worker`` as real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.service.background import attach_recovery
from bot.service.core import BackfillService
from bot.simulator.server import DtsSimulator, RunningSimulator, start_simulator
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from bot.store.db import make_engine, make_session_factory, upgrade_to_head
from bot.tracking.polling_client import build_polling_client
from bot.tracking.tracker import Tracker
from bot.vault import TokenVault
from tests.support.fake_slack import FakeSlack, FakeUser
from tests.tracking.conftest import SM_TEAM, SM_TOKEN, TEAM, USER, TrackerEnv, make_settings

REPO = Path(__file__).resolve().parents[2]


class Gate:
    """Stands in front of a DtsSimulator; when closed, requests wait *before* taking effect.

    Each worker gets its own server over one shared simulator, so closing a worker's gate
    blocks that worker inside a DTS call (not in the middle of a Slack post) and a kill
    then lands at a known point.
    """

    def __init__(self, sim: DtsSimulator) -> None:
        self.sim = sim
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self.waiting = 0
        self.served = 0

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Any:
        if not self._open.is_set():
            with self._lock:
                self.waiting += 1
            self._open.wait(timeout=60)
        with self._lock:
            self.served += 1
        return self.sim.handle(method, path, headers, body)


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_worker(
    env: Mapping[str, str], log: Path, *, owner: str | None = None
) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "bot", "worker"]
    if owner:
        args += ["--owner", owner]
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("SLACK_")}
    full_env.update(env)
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT)


def wait_started(log: Path, *, timeout: float = 90) -> None:
    """Wait until the worker writing ``log`` has imported everything and begun ticking.

    Tests that race real time (the simulator at 20x) start their backfills only then: a
    worker slow to start on a loaded machine would otherwise find them finished already.
    """
    started = re.compile(r"tracker \S+ started")
    wait_for(
        lambda: log.exists() and started.search(log.read_text(errors="replace")) is not None,
        timeout=timeout,
        what=f"the worker logging to {log.name} to start",
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no clean shutdown, leases and pending work left as they are."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen[bytes], *, timeout: float = 15) -> int:
    """SIGTERM and wait for a clean exit; return the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
        raise


def service_side(
    tmp_path: Path,
    *,
    sim: DtsSimulator,
    api_url: str,
    slack: FakeSlack,
    database_url: str | None = None,
    **overrides: Any,
) -> tuple[TrackerEnv, dict[str, str]]:
    """The test's own side (it plays the service: submits and flushes the first reply),
    and the environment for worker processes sharing its database, API and Slack."""
    clock = SystemClock()
    settings = make_settings(
        tmp_path, api_url=api_url, slack_url=slack.base_url, token=slack.token, **overrides
    )
    if database_url:
        settings = settings.with_overrides(database_url=database_url)
    url = settings.resolved_database_url()
    upgrade_to_head(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    vault = TokenVault(settings.encryption_keys)
    dts = build_polling_client(settings)
    notifier = SlackNotifier(build_web_client(settings))
    tracker = attach_recovery(
        Tracker(
            settings=settings,
            session_factory=factory,
            dts=dts,
            vault=vault,
            notifier=notifier,
            clock=clock,
            owner="service",
        )
    )
    env = TrackerEnv(
        clock=clock,  # type: ignore[arg-type]
        sim=sim,
        running=None,  # type: ignore[arg-type]
        slack=slack,
        settings=settings,
        session_factory=factory,
        vault=vault,
        dts=dts,
        notifier=notifier,
        tracker=tracker,
    )
    env.cleanups += [dts.close, engine.dispose]
    env.add_workspace(TEAM, SM_TEAM, SM_TOKEN)
    worker_env = {
        "DATABASE_URL": url,
        "BOT_ENCRYPTION_KEY": settings.encryption_keys[0],
        "SUPERMETRICS_API_URL": api_url,
        "SUPERMETRICS_TIMEOUT_SECONDS": "30",
        "SLACK_API_URL": slack.base_url,
        "SLACK_BOT_TOKEN": slack.token,
        "POLL_MIN_SECONDS": str(settings.poll_min_seconds),
        "POLL_MAX_SECONDS": str(settings.poll_max_seconds),
        "PROGRESS_REPLY_INTERVAL_SECONDS": str(settings.progress_reply_interval_seconds),
        "TRACKER_TICK_SECONDS": str(settings.tracker_tick_seconds),
        "TRACKER_LEASE_SECONDS": str(settings.tracker_lease_seconds),
        "TRACKER_BATCH_SIZE": str(settings.tracker_batch_size),
    }
    return env, worker_env


@dataclass
class Workers:
    """Worker processes over one shared DTS simulator, each behind its own gated API front
    (so one can be held alone), with the fake Slack and the test's own service side."""

    tmp_path: Path
    sim: DtsSimulator
    gates: list[Gate]
    fronts: list[RunningSimulator]
    slack: FakeSlack
    env: TrackerEnv
    worker_env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, log_name: str, *, front: int = 0) -> subprocess.Popen[bytes]:
        """Start a worker talking to API front ``front``, logging to ``log_name``."""
        env = {**self.worker_env, "SUPERMETRICS_API_URL": self.fronts[front].base_url}
        process = start_worker(env, self.log_path(log_name))
        self.processes.append(process)
        return process

    def wait_started(self, *log_names: str) -> None:
        for name in log_names:
            wait_started(self.log_path(name))

    def log_path(self, log_name: str) -> Path:
        return self.tmp_path / log_name

    def log(self, log_name: str) -> str:
        return self.log_path(log_name).read_text()

    def service(self) -> BackfillService:
        """The service as the Slack side would run it, on the test's side of the database."""
        return BackfillService(
            settings=self.env.settings,
            session_factory=self.env.session_factory,
            dts=self.env.dts,
            vault=self.env.vault,
            notifier=self.env.notifier,
            clock=SystemClock(),
        )


@contextmanager
def running_workers(
    tmp_path: Path,
    *,
    speed: float,
    fronts: int = 1,
    database_url: str | None = None,
    **overrides: Any,
) -> Iterator[Workers]:
    """A simulator in real time at ``speed``, ``fronts`` gated API fronts, the fake Slack and
    the service side; on exit every worker still alive is killed and everything stopped."""
    sim = DtsSimulator(clock=SystemClock(), token=SM_TOKEN, team_id=SM_TEAM, speed=speed)
    gates = [Gate(sim) for _ in range(fronts)]
    running = [start_simulator(gate) for gate in gates]  # type: ignore[arg-type]
    slack = FakeSlack(users=[FakeUser(USER)]).start()
    processes: list[subprocess.Popen[bytes]] = []
    cleanups: list[Callable[[], None]] = []
    try:
        env, worker_env = service_side(
            tmp_path,
            sim=sim,
            api_url=running[0].base_url,
            slack=slack,
            database_url=database_url,
            **overrides,
        )
        cleanups += env.cleanups
        yield Workers(
            tmp_path=tmp_path,
            sim=sim,
            gates=gates,
            fronts=running,
            slack=slack,
            env=env,
            worker_env=worker_env,
            processes=processes,
        )
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)
        for gate in gates:
            gate.open()
        for cleanup in cleanups:
            cleanup()
        slack.stop()
        for front in running:
            front.stop()
