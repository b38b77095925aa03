"""The simulator's first backfill id: a restarted simulator need not reuse old ids."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.simulator.server import FIRST_BACKFILL_ID, DtsSimulator, start_simulator
from bot.supermetrics.client import DtsClient, DtsTeamClient
from tests.support.dts_world import FB, TEAM_ID, TOKEN
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
GOOGLE = 456790


def test_by_default_ids_start_at_10001(team: DtsTeamClient) -> None:
    assert FIRST_BACKFILL_ID == 10001
    created = team.create_backfill(
        transfer_id=FB, range_start=date(2024, 1, 1), range_end=date(2024, 1, 2)
    )
    assert created.backfill_id == 10001


def test_a_chosen_first_id_numbers_every_backfill_from_there(clock: FrozenClock) -> None:
    sim = DtsSimulator(clock=clock, first_backfill_id=20_500)
    with start_simulator(sim) as running, DtsClient(base_url=running.base_url) as dts:
        team = dts.team(team_id=TEAM_ID, token=TOKEN)
        first = team.create_backfill(
            transfer_id=FB, range_start=date(2024, 1, 1), range_end=date(2024, 1, 31)
        )
        second = team.create_backfill(
            transfer_id=GOOGLE, range_start=date(2024, 1, 1), range_end=date(2024, 1, 31)
        )
        assert (first.backfill_id, second.backfill_id) == (20_500, 20_501)
        assert team.get_backfill(backfill_id=20_500).transfer_id == FB
        assert team.latest_backfill(transfer_id=GOOGLE) == team.get_backfill(backfill_id=20_501)
    assert [b.backfill_id for b in sim.backfills()] == [20_500, 20_501]


@pytest.mark.parametrize("bad", [0, -5])
def test_a_first_id_below_one_is_refused(clock: FrozenClock, bad: int) -> None:
    with pytest.raises(ValueError, match="first_backfill_id"):
        DtsSimulator(clock=clock, first_backfill_id=bad)


def _simulate_api(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "simulate-api", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_simulate_api_first_id_option() -> None:
    port = free_port()
    process = _simulate_api("--port", str(port), "--first-id", "31337")
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()  # printed once it listens
        assert base_url == f"http://127.0.0.1:{port}/v1"
        with DtsClient(base_url=base_url) as dts:
            created = dts.team(team_id=1, token="demo-token").create_backfill(
                transfer_id=FB, range_start=date(2024, 1, 1), range_end=date(2024, 1, 31)
            )
        assert created.backfill_id == 31337
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            for stream in (process.stdout, process.stderr):
                if stream:
                    stream.close()
    assert process.returncode == 0


def test_simulate_api_refuses_a_first_id_that_is_not_a_positive_number() -> None:
    for bad, said in (("0", "'0' must be 1 or more"), ("ten", "'ten' is not a whole number")):
        process = _simulate_api("--port", "0", "--first-id", bad)
        _out, err = process.communicate(timeout=30)
        assert process.returncode == 2
        assert said in err
