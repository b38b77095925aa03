"""``backfill-bot worker`` serves /metrics, /healthz and /readyz on METRICS_PORT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from bot.store.db import upgrade_to_head
from tests.support.fake_slack import FakeSlack
from tests.support.ports import free_port
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp: Path, fake: FakeSlack, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOT_", "LOG_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'bot.db'}",
        SLACK_BOT_TOKEN=fake.token,
        SLACK_API_URL=fake.base_url,
        BOT_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        SUPERMETRICS_API_URL="http://127.0.0.1:9/v1",
        TRACKER_TICK_SECONDS="0.2",
        METRICS_PORT=str(port),
    )
    return env


def test_the_worker_answers_ops_endpoints_and_stops_on_sigterm(tmp_path: Path) -> None:
    upgrade_to_head(f"sqlite:///{tmp_path / 'bot.db'}")
    port = free_port()
    with FakeSlack() as fake:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=ROOT,
            env=_env(tmp_path, fake, port),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:

            def get(path: str) -> httpx.Response | None:
                assert proc.poll() is None, proc.communicate()[1]
                try:
                    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
                except httpx.TransportError:
                    return None

            ready = wait_for(lambda: get("/readyz"), timeout=60, interval=0.1, what="/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["tracker"] == {"ok": True}
            health = get("/healthz")
            assert health is not None and health.json() == {"ok": True}

            def ticked() -> bool:
                page = get("/metrics")
                return page is not None and (
                    "backfill_bot_tracker_tick_duration_seconds_count 0.0" not in page.text
                )

            wait_for(ticked, timeout=30, what="a tick in /metrics")
            page = get("/metrics")
            assert page is not None and 'backfill_bot_tracked_backfills{status="RUNNING"} 0.0' in (
                page.text
            )
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            # one JSON object per line when stderr is not a terminal
            assert err.strip() and all(line.startswith("{") for line in err.splitlines()), err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)


def test_a_busy_metrics_port_is_a_one_line_refusal(tmp_path: Path) -> None:
    upgrade_to_head(f"sqlite:///{tmp_path / 'bot.db'}")
    with socket.create_server(("0.0.0.0", 0)) as taken, FakeSlack() as fake:
        port = int(taken.getsockname()[1])
        result = subprocess.run(
            [sys.executable, "-m", "bot", "worker"],
            cwd=ROOT,
            env=_env(tmp_path, fake, port),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"error: METRICS_PORT {port} can't be served" in result.stderr
