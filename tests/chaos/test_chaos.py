"""Seeded chaos over loopback HTTP: SQLite with the tracker in-process, PostgreSQL with the
tracker in a worker process that may be killed -9 (see ``scenarios`` for what happens)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.conftest import seeds
from tests.chaos.scenarios import Scenario, run, violations
from tests.chaos.world import ChaosWorld
from tests.support.postgres import postgres_schema

pytestmark = pytest.mark.chaos


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[ChaosWorld]:
    world = ChaosWorld(tmp_path, f"sqlite:///{tmp_path / 'bot.db'}", worker_process=False)
    try:
        yield world
    finally:
        world.close()


@pytest.fixture
def postgres_world(tmp_path: Path) -> Iterator[ChaosWorld]:
    with postgres_schema("chaos") as url:
        world = ChaosWorld(tmp_path, url, worker_process=True)
        try:
            yield world
        finally:
            world.close()


def _play(world: ChaosWorld, seed: int) -> None:
    scenario = Scenario.draw(seed)
    try:
        run(world, scenario)
    except AssertionError as exc:
        raise AssertionError(
            f"chaos {scenario.describe()} failed: {exc}. Replay: CHAOS_SEED={seed}"
        ) from exc
    found = violations(world, scenario)
    assert not found, (
        f"chaos {scenario.describe()}: invariants broken: {found}. Replay: CHAOS_SEED={seed}"
    )


@pytest.mark.parametrize("seed", seeds("CHAOS_SQLITE", 3))
def test_sqlite_scenario(sqlite_world: ChaosWorld, seed: int) -> None:
    _play(sqlite_world, seed)


@pytest.mark.postgres
@pytest.mark.parametrize("seed", seeds("CHAOS_POSTGRES", 1))
def test_postgres_two_processes_scenario(postgres_world: ChaosWorld, seed: int) -> None:
    _play(postgres_world, seed + 100_000)
