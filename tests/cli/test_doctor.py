"""``backfill-bot doctor`` run as an operator runs it: a subprocess, the environment, ✓/✗ lines."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

from bot.cli.doctor import REQUIRED_SCOPES
from bot.clock import FrozenClock
from bot.simulator.server import DEFAULT_TRANSFERS
from tests.support.fake_slack import BOT_SCOPES
from tests.support.world import DTS_TOKEN, World, build_world

ROOT = Path(__file__).resolve().parents[2]
TEAM = "T0000FAKE"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = build_world(tmp_path, clock=FrozenClock(datetime(2026, 2, 10, tzinfo=UTC)), slack_users=[])
    w.store_token(TEAM)
    try:
        yield w
    finally:
        w.close()


def _env(world: World, **changes: str | None) -> dict[str, str]:
    assert world.slack is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOT_", "LOG_"))}
    env.update(
        {
            "DATABASE_URL": world.settings.resolved_database_url(),
            "BOT_ENCRYPTION_KEY": world.settings.encryption_keys[0],
            "SLACK_BOT_TOKEN": world.slack.token,
            "SLACK_SIGNING_SECRET": "a-signing-secret",
            "SLACK_API_URL": world.slack.base_url,
            "SUPERMETRICS_API_URL": world.running.base_url,
            "SUPERMETRICS_MAX_RETRIES": "0",
        }
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def doctor(env: dict[str, str], *args: str) -> tuple[int, list[str], str]:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "doctor", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout.splitlines(), result.stderr


def _marks(lines: list[str]) -> dict[str, str]:
    """check name → ✓ or ✗ (the text before the first colon)."""
    return {line[2:].split(":", 1)[0]: line[0] for line in lines}


def test_a_good_setup_is_all_ticks(world: World) -> None:
    code, lines, err = doctor(_env(world))
    assert code == 0, (lines, err)
    assert all(line.startswith("✓ ") for line in lines), lines
    assert _marks(lines) == {
        "configuration": "✓",
        "Slack auth.test": "✓",
        "Slack scopes": "✓",
        "database": "✓",
        "encryption key": "✓",
        f"Supermetrics {TEAM} (team 1)": "✓",
    }
    assert f"the token reads the team's transfers ({len(DEFAULT_TRANSFERS)})" in lines[-1]


def test_a_wrong_key_is_named_and_no_token_is_tried(world: World) -> None:
    code, lines, _ = doctor(_env(world, BOT_ENCRYPTION_KEY=Fernet.generate_key().decode()))
    assert code == 1
    [bad] = [line for line in lines if line.startswith("✗")]
    assert bad.startswith(f"✗ encryption key: the token of workspace {TEAM} can't be decrypted")
    assert "BOT_ENCRYPTION_KEY" in bad
    assert not any(line.startswith("✓ Supermetrics") for line in lines)
    assert world.sim.calls == []


def test_a_missing_slack_token_is_one_line_naming_the_variable(world: World) -> None:
    code, lines, _ = doctor(_env(world, SLACK_BOT_TOKEN=None))
    assert code == 1
    marks = _marks(lines)
    assert marks["configuration SLACK_BOT_TOKEN"] == "✗"
    assert marks["Slack"] == "✗"
    # what does not need the Slack token is still checked, and fine
    assert marks["database"] == marks["encryption key"] == "✓"
    [config] = [line for line in lines if line.startswith("✗ configuration")]
    assert "SLACK_BOT_TOKEN is not set" in config and "OAuth & Permissions" in config


def test_every_invalid_variable_is_its_own_line(world: World) -> None:
    code, lines, _ = doctor(
        _env(world, LOG_LEVEL="verbose", DEFAULT_TIMEZONE="Mars/Olympus", LOG_FORMAT="xml")
    )
    assert code == 1
    bad = [line for line in lines if line.startswith("✗ configuration")]
    assert [line.split(":", 1)[0] for line in bad] == [
        "✗ configuration LOG_LEVEL",
        "✗ configuration LOG_FORMAT",
        "✗ configuration DEFAULT_TIMEZONE",
    ]
    assert lines[-1].startswith("✗ checks: the database, Slack and Supermetrics need")


def test_an_unmigrated_database(world: World, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    code, lines, _ = doctor(_env(world, DATABASE_URL=f"sqlite:///{empty}"))
    assert code == 1
    [database] = [line for line in lines if line.startswith(("✓ database", "✗ database"))]
    assert database.startswith("✗ database: The database schema is out of date")
    assert "python -m bot migrate" in database
    assert _marks(lines)["Slack auth.test"] == "✓"


def test_a_revoked_supermetrics_token(world: World) -> None:
    world.sim.revoke_token(DTS_TOKEN)
    code, lines, _ = doctor(_env(world))
    assert code == 1
    [bad] = [line for line in lines if line.startswith("✗")]
    assert bad.startswith(f"✗ Supermetrics {TEAM} (team 1): ")
    assert "token" in bad.lower()
    assert _marks(lines)["encryption key"] == "✓"


def test_missing_slack_scopes_are_named(world: World) -> None:
    assert world.slack is not None
    world.slack.scopes = ["commands", "chat:write"]
    code, lines, _ = doctor(_env(world))
    assert code == 1
    [bad] = [line for line in lines if line.startswith("✗")]
    assert bad.startswith(
        "✗ Slack scopes: the token lacks users:read, app_mentions:read, im:history"
    )


def test_revoked_slack_token(world: World) -> None:
    assert world.slack is not None
    code, lines, _ = doctor(_env(world, SLACK_BOT_TOKEN="xoxb-not-the-installed-token"))
    assert code == 1
    assert "✗ Slack auth.test: Slack rejected the bot token. Check SLACK_BOT_TOKEN." in lines
    assert "xoxb-not-the-installed-token" not in "\n".join(lines)


def test_the_scopes_doctor_wants_are_the_manifests() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert set(REQUIRED_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(BOT_SCOPES) == set(REQUIRED_SCOPES)
