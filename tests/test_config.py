from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import (
    DEFAULT_SUPERMETRICS_API_URL,
    LOG_LEVELS,
    Problem,
    config_problems,
    load_settings,
    require,
)
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
KEY1, KEY2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert settings.supermetrics_api_url == DEFAULT_SUPERMETRICS_API_URL
    assert settings.resolved_database_url().startswith("sqlite:///")
    assert settings.resolved_database_url().endswith("/.data/bot.db")
    assert settings.date_order == "MDY" and not settings.date_order_explicit


def test_environment_overrides_and_validation() -> None:
    settings = load_settings(
        {
            "BOT_DATA_DIR": "/tmp/x",
            "DATE_ORDER": "dmy",
            "MAX_BACKFILL_DAYS": "90",
            "BOT_ENCRYPTION_KEY": f"{KEY1}, {KEY2}",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "RUN_TRACKER_IN_SERVER": "false",
        }
    )
    assert settings.data_dir == Path("/tmp/x")
    assert settings.date_order == "DMY" and settings.date_order_explicit
    assert settings.max_backfill_days == 90
    assert settings.encryption_keys == (KEY1, KEY2)
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.run_tracker_in_server is False


@pytest.mark.parametrize(
    "env",
    [
        {"DATE_ORDER": "YMD"},
        {"MAX_BACKFILL_DAYS": "zero"},
        {"MAX_BACKFILL_DAYS": "0"},
        {"RUN_TRACKER_IN_SERVER": "maybe"},
        {"POLL_MIN_SECONDS": "10", "POLL_MAX_SECONDS": "5"},
        {"LOG_LEVEL": "verbose"},
        {"DEFAULT_TIMEZONE": "Mars/Olympus_Mons"},
        {"SLACK_API_URL": "slack.com/api"},
        {"SUPERMETRICS_API_URL": "ftp://example.com"},
        {"BOT_ENCRYPTION_KEY": "not-a-fernet-key"},
        {"SLACK_BOT_TOKEN": "xapp-1-A0-123-abc"},
        {"SLACK_APP_TOKEN": "xoxb-123-456-abc"},
        {"PORT": "70000"},
    ],
)
def test_bad_values_are_refused_with_a_message(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    message = caught.value.user_message
    assert next(iter(env)) in message
    assert "\n" not in message
    (problem,) = config_problems(env)
    assert problem.variable == next(iter(env)) and problem.message == message


def test_secrets_are_not_in_repr() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-secret",
            "SLACK_SIGNING_SECRET": "shh",
            "SLACK_APP_TOKEN": "xapp-secret",
            "BOT_ENCRYPTION_KEY": f"{KEY1},{KEY2}",
            "DATABASE_URL": "postgresql://bot:db-password@127.0.0.1/bot",
        }
    )
    for secret in ("xoxb-secret", "shh", "xapp-secret", KEY1, KEY2, "db-password"):
        assert secret not in repr(settings)
    assert settings.encryption_keys == (KEY1, KEY2)


def test_log_level_names_the_allowed_values_and_ignores_case() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"LOG_LEVEL": "verbose"})
    assert caught.value.user_message == (
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'verbose'."
    )
    for level in LOG_LEVELS:
        assert load_settings({"LOG_LEVEL": f" {level.lower()} "}).log_level == level


def test_an_unknown_default_timezone_is_refused_not_replaced_by_utc() -> None:
    with pytest.raises(ConfigError, match=r"DEFAULT_TIMEZONE 'Europe/Helsingfors' is not"):
        load_settings({"DEFAULT_TIMEZONE": "Europe/Helsingfors"})
    with pytest.raises(ConfigError, match="IANA name such as UTC, Europe/Helsinki"):
        load_settings({"DEFAULT_TIMEZONE": "../../etc/passwd"})
    assert load_settings({"DEFAULT_TIMEZONE": "Europe/Helsinki"}).default_timezone == (
        "Europe/Helsinki"
    )


def test_a_bad_encryption_key_is_never_echoed() -> None:
    bad = "definitely-not-a-fernet-key"
    (problem,) = config_problems({"BOT_ENCRYPTION_KEY": f"{KEY1},{bad}"})
    assert problem.variable == "BOT_ENCRYPTION_KEY"
    assert "key #2 of 2 is not a Fernet key" in problem.message
    assert bad not in problem.message and KEY1 not in problem.message


def test_every_problem_is_listed_once_and_the_error_names_the_others() -> None:
    env = {
        "LOG_LEVEL": "loud",
        "PORT": "http",
        "DEFAULT_TIMEZONE": "Nowhere/Town",
        "RUN_TRACKER_IN_SERVER": "sometimes",
    }
    problems = config_problems(env)
    assert [p.variable for p in problems] == [
        "LOG_LEVEL",
        "DEFAULT_TIMEZONE",
        "PORT",
        "RUN_TRACKER_IN_SERVER",
    ]
    assert all(p.variable in p.message and "\n" not in p.message for p in problems)
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.user_message == (
        f"{problems[0].message} (also wrong: DEFAULT_TIMEZONE, PORT, RUN_TRACKER_IN_SERVER)"
    )


def test_a_valid_environment_has_no_problems() -> None:
    assert config_problems({}) == []
    full = {
        "LOG_LEVEL": "warning",
        "DEFAULT_TIMEZONE": "America/New_York",
        "BOT_ENCRYPTION_KEY": KEY1,
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
    }
    assert config_problems(full, role="serve") == []
    assert config_problems(full, role="worker") == []


def test_the_worker_needs_the_slack_bot_token_and_a_key() -> None:
    problems = config_problems({}, role="worker")
    assert [p.variable for p in problems] == ["SLACK_BOT_TOKEN", "BOT_ENCRYPTION_KEY"]
    assert "python -m bot console" in problems[0].message
    with pytest.raises(ConfigError, match=r"^SLACK_BOT_TOKEN is not set\. The worker posts"):
        require(load_settings({"BOT_ENCRYPTION_KEY": KEY1}), "worker")
    require(load_settings({"BOT_ENCRYPTION_KEY": KEY1, "SLACK_BOT_TOKEN": "xoxb-1"}), "worker")


def test_serve_needs_the_signing_secret_over_http_but_not_in_socket_mode() -> None:
    http = config_problems({"BOT_ENCRYPTION_KEY": KEY1, "SLACK_BOT_TOKEN": "xoxb-1"}, role="serve")
    assert http == [Problem("SLACK_SIGNING_SECRET", http[0].message)]
    assert "Basic Information → Signing Secret" in http[0].message
    socket = {"BOT_ENCRYPTION_KEY": KEY1, "SLACK_APP_TOKEN": "xapp-1"}
    (problem,) = config_problems(socket, role="serve")
    assert problem.variable == "SLACK_BOT_TOKEN" and "Socket Mode" in problem.message
    assert config_problems({**socket, "SLACK_BOT_TOKEN": "xoxb-1"}, role="serve") == []


def test_values_are_checked_before_what_a_role_needs() -> None:
    # a role's requirements are judged on the settings as read: a bad value is one problem
    problems = config_problems({"LOG_LEVEL": "chatty"}, role="worker")
    assert [p.variable for p in problems] == ["LOG_LEVEL", "SLACK_BOT_TOKEN", "BOT_ENCRYPTION_KEY"]


# --- serve and worker refuse bad configuration with the same one line ------------------


def _run(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "BOT_", "DATABASE_", "SUPERMETRICS_", "LOG_"))
        and key not in {"DEFAULT_TIMEZONE", "PORT"}
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", command],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


GOOD = {"BOT_ENCRYPTION_KEY": KEY1, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize("command", ["serve", "worker"])
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({**GOOD, "LOG_LEVEL": "verbose"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING"),
        ({**GOOD, "DEFAULT_TIMEZONE": "Mars/Base"}, "DEFAULT_TIMEZONE 'Mars/Base' is not"),
        ({"BOT_ENCRYPTION_KEY": KEY1, "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is not set"),
    ],
)
def test_serve_and_worker_refuse_bad_configuration_in_one_line(
    tmp_path: Path, command: str, env: dict[str, str], expected: str
) -> None:
    result = _run(command, BOT_DATA_DIR=str(tmp_path), **env)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    # refused before touching anything: no database file was created
    assert not (tmp_path / "bot.db").exists()


def test_a_slack_token_of_the_wrong_kind_is_named_by_its_kind_only() -> None:
    (problem,) = config_problems({"SLACK_BOT_TOKEN": "xoxp-123-456-secretpart"})
    assert problem.message.startswith(
        "SLACK_BOT_TOKEN must be the bot token starting with xoxb-, not a token starting with "
        "xoxp-:"
    )
    assert "secretpart" not in problem.message
    (problem,) = config_problems({"SLACK_APP_TOKEN": "hunter2"})
    assert "not something else" in problem.message and "hunter2" not in problem.message
