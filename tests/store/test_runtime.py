"""build_runtime: refuses to start without a key or on an old schema; wires a working bot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.clock import FrozenClock, SystemClock
from bot.config import Settings
from bot.errors import ConfigError, SchemaOutOfDateError
from bot.runtime import Runtime, build_runtime
from bot.simulator.server import DtsSimulator, start_simulator
from bot.store.db import session_scope, upgrade_to_head
from bot.store.queries import set_workspace_token
from bot.supermetrics.client import DtsClient
from bot.vault import key_file_path, workspace_token

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(data_dir=tmp_path / "data").with_overrides(**changes)


def test_production_runtime_needs_an_encryption_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    upgrade_to_head(settings.resolved_database_url())
    with pytest.raises(ConfigError, match="BOT_ENCRYPTION_KEY"):
        build_runtime(settings)
    assert not key_file_path(settings).exists()


def test_runtime_refuses_an_out_of_date_schema(tmp_path: Path) -> None:
    settings = _settings(tmp_path, encryption_keys=(Fernet.generate_key().decode(),))
    with pytest.raises(SchemaOutOfDateError, match="python -m bot migrate"):
        build_runtime(settings)
    runtime = build_runtime(settings, check_schema=False)
    runtime.close()


def test_local_runtime_generates_a_key_and_talks_to_the_dts_api(tmp_path: Path) -> None:
    clock = FrozenClock(START)
    with start_simulator(DtsSimulator(clock=clock, token="sim-token", team_id=42)) as simulator:
        settings = _settings(tmp_path, supermetrics_api_url=simulator.base_url)
        upgrade_to_head(settings.resolved_database_url())
        with build_runtime(settings, clock=clock, allow_generate_key=True) as runtime:
            assert isinstance(runtime, Runtime)
            assert key_file_path(settings).exists()
            assert runtime.clock is clock
            assert isinstance(runtime.dts, DtsClient)
            with session_scope(runtime.session_factory) as session:
                set_workspace_token(
                    session,
                    slack_team_id="T0001",
                    supermetrics_team_id=42,
                    token_ciphertext=runtime.vault.encrypt("sim-token"),
                    set_by="U1",
                    now=runtime.clock.now(),
                )
            with session_scope(runtime.session_factory) as session:
                team_id, token = workspace_token(session, runtime.vault, slack_team_id="T0001")
            transfers = runtime.dts.team(team_id=team_id, token=token).list_transfers()
            assert any(t.transfer_id == 456789 for t in transfers)
        assert ("GET", "/v1/teams/42/transfers") in simulator.sim.calls


def test_default_clock_is_the_system_clock(tmp_path: Path) -> None:
    settings = _settings(tmp_path, encryption_keys=(Fernet.generate_key().decode(),))
    upgrade_to_head(settings.resolved_database_url())
    runtime = build_runtime(settings)
    try:
        assert isinstance(runtime.clock, SystemClock)
    finally:
        runtime.close()


def test_the_dts_client_runs_on_the_runtime_clock(tmp_path: Path) -> None:
    """An uncertain create looks for the backfill in a window on the runtime's clock.

    The simulator and the runtime share a frozen clock two years behind the wall clock:
    a client on its own system clock would look in the wrong window and miss the backfill.
    """
    clock = FrozenClock(START)
    sim = DtsSimulator(clock=clock, token="sim-token", team_id=42)
    with start_simulator(sim) as simulator:
        settings = _settings(
            tmp_path,
            supermetrics_api_url=simulator.base_url,
            supermetrics_max_retries=0,
            supermetrics_timeout_seconds=0.2,  # also bounds the look-up's settling pause
            encryption_keys=(Fernet.generate_key().decode(),),
        )
        upgrade_to_head(settings.resolved_database_url())
        with build_runtime(settings, clock=clock) as runtime:
            team = runtime.dts.team(team_id=42, token="sim-token")
            sim.inject("bad_json")  # the create lands, its answer is unreadable
            backfill = team.create_backfill(
                transfer_id=456789, range_start=date(2024, 2, 1), range_end=date(2024, 2, 3)
            )
            assert backfill.created_time == START
            assert [b.backfill_id for b in sim.backfills()] == [backfill.backfill_id]
            seen = runtime.dts.rate_limit(42)
            assert seen is not None and seen.seen_at == START
