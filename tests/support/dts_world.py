"""The DTS side of the test world: a simulator on a free loopback port, driven by a FrozenClock,
and a client pointed at it whose waits are recorded instead of slept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.clock import FrozenClock
from bot.simulator.server import DtsSimulator, RunningSimulator, start_simulator
from bot.supermetrics.client import DtsClient, DtsTeamClient
from tests.support.dts_recording import RecordingTransport

TOKEN = "demo-token"
TEAM_ID = 1
FB = 456789  # "Facebook Ads - daily"
START = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def sim(clock: FrozenClock) -> DtsSimulator:
    return DtsSimulator(clock=clock)


@pytest.fixture
def running(sim: DtsSimulator) -> Iterator[RunningSimulator]:
    with start_simulator(sim) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def client(
    running: RunningSimulator,
    clock: FrozenClock,
    sleeps: list[float],
    transport: RecordingTransport,
) -> Iterator[DtsClient]:
    with DtsClient(
        base_url=running.base_url,
        timeout=5.0,
        transport=transport,
        clock=clock,
        sleep=sleeps.append,
    ) as dts:
        yield dts


@pytest.fixture
def team(client: DtsClient) -> DtsTeamClient:
    return client.team(team_id=TEAM_ID, token=TOKEN)
