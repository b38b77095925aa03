"""Helpers for tests that run ``python -m bot worker`` as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bot.supermetrics.simulator import DtsSimulator

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

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Any:
        if not self._open.is_set():
            with self._lock:
                self.waiting += 1
            self._open.wait(timeout=60)
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
