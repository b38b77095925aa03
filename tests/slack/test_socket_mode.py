"""``serve`` in Socket Mode: connects out, answers the ops endpoints, and stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from bot.store.db import upgrade_to_head
from tests.slack.test_serve import ROOT, _env
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import FakeSocketMode
from tests.support.waiting import wait_for

APP_TOKEN = "xapp-1-A0FAKE-1-fakeapptoken"


def test_socket_mode_connects_serves_readiness_and_disconnects_on_sigterm(
    tmp_path: Path,
) -> None:
    upgrade_to_head(f"sqlite:///{tmp_path / 'bot.db'}")
    socket_mode = FakeSocketMode()
    with FakeSlack() as fake:
        fake.app_token, fake.socket_url = APP_TOKEN, socket_mode.url
        env = _env(tmp_path, fake, SLACK_APP_TOKEN=APP_TOKEN, TRACKER_TICK_SECONDS="0.2")
        del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs none
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:

            def ready() -> bool:
                assert proc.poll() is None, proc.communicate()[1]
                try:
                    answer = httpx.get(f"http://127.0.0.1:{env['PORT']}/readyz", timeout=1)
                except httpx.TransportError:
                    return False
                return answer.status_code == 200

            wait_for(lambda: socket_mode.opened.is_set(), timeout=60, what="the WebSocket")
            wait_for(ready, timeout=30, interval=0.1, what="/readyz over HTTP in Socket Mode")
            metrics = httpx.get(f"http://127.0.0.1:{env['PORT']}/metrics", timeout=5).text
            assert "backfill_bot_tracker_tick_duration_seconds_count" in metrics
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            assert "disconnected from Slack" in err, err
            assert socket_mode.closed.wait(10), "the WebSocket was closed"
            assert APP_TOKEN not in err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
            socket_mode.stop()
    assert [c.method for c in fake.calls if c.method == "apps.connections.open"]
