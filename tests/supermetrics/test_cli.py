"""`python -m bot simulate-api` started as a real process, as a person would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_simulate_api_serves_the_documented_curl_example() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "simulate-api", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()  # printed once it listens
        assert base_url == f"http://127.0.0.1:{port}/v1"

        response = httpx.post(
            f"{base_url}/teams/1/transfers/456789/backfills",
            headers={"Authorization": "Bearer demo-token"},
            content=b'{"range_start":"2024-01-01","range_end":"2024-01-31"}',
            timeout=10,
        )

        assert response.status_code == 200
        data = response.json()["data"]
        assert data["status"] == "CREATED"
        assert data["transfer_runs_total"] == 31
        assert data["transfer_id"] == 456789
        wrong = httpx.get(f"{base_url}/teams/1/transfers", timeout=10)
        assert wrong.status_code == 401
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            if process.stdout:
                process.stdout.close()
            if process.stderr:
                process.stderr.close()
    assert process.returncode == 0  # SIGTERM is a clean stop
