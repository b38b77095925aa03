"""``python -m bot serve`` as a process: refuses to start without what it needs, and runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.store.db import upgrade_to_head
from tests.support.fake_slack import FakeSlack
from tests.support.ports import free_port
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


def _env(tmp: Path, fake: FakeSlack, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "BOT_", "DATABASE_", "SUPERMETRICS_"))
    }
    env.update(
        BOT_DATA_DIR=str(tmp),
        DATABASE_URL=f"sqlite:///{tmp / 'bot.db'}",
        SLACK_SIGNING_SECRET="secret",
        SLACK_BOT_TOKEN=fake.token,
        SLACK_API_URL=fake.base_url,
        BOT_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        SUPERMETRICS_API_URL="http://127.0.0.1:9/v1",
        PORT=str(free_port()),
    )
    env.update(extra)
    return env


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("drop", "needle"),
    [
        ("SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET"),
        ("BOT_ENCRYPTION_KEY", "BOT_ENCRYPTION_KEY"),
    ],
)
def test_refuses_to_start_without_secrets(
    tmp_path: Path, fake: FakeSlack, drop: str, needle: str
) -> None:
    upgrade_to_head(f"sqlite:///{tmp_path / 'bot.db'}")
    env = _env(tmp_path, fake)
    env.pop(drop)
    result = _serve(env)
    assert result.returncode == 2
    assert needle in result.stderr


def test_refuses_an_out_of_date_schema(tmp_path: Path, fake: FakeSlack) -> None:
    result = _serve(_env(tmp_path, fake))
    assert result.returncode == 2
    assert "python -m bot migrate" in result.stderr


def test_serves_health_and_stops_on_sigterm(tmp_path: Path, fake: FakeSlack) -> None:
    upgrade_to_head(f"sqlite:///{tmp_path / 'bot.db'}")
    env = _env(tmp_path, fake, TRACKER_TICK_SECONDS="0.2")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def healthy() -> bool:
            try:
                response = httpx.get(f"http://127.0.0.1:{env['PORT']}/healthz", timeout=1)
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                return False
            return response.status_code == 200

        wait_for(healthy, timeout=30, interval=0.1, what="the server to answer /healthz")
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "tracker" in err and "started" in err  # the tracker ran in-process
        # the parser paid its first-call cost before the server took requests
        assert "parser warmed up" in err, err
        assert err.index("parser warmed up") < err.index("serving /slack/events"), err
        # SLACK_BOT_TOKEN is set and the app gets a client carrying it: no Bolt notice
        assert "will be unused" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
