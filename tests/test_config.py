from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_SUPERMETRICS_API_URL, load_settings
from bot.errors import ConfigError


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
            "BOT_ENCRYPTION_KEY": "k1, k2",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "RUN_TRACKER_IN_SERVER": "false",
        }
    )
    assert settings.data_dir == Path("/tmp/x")
    assert settings.date_order == "DMY" and settings.date_order_explicit
    assert settings.max_backfill_days == 90
    assert settings.encryption_keys == ("k1", "k2")
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
    ],
)
def test_bad_values_are_refused_with_a_message(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert next(iter(env)) in caught.value.user_message


def test_secrets_are_not_in_repr() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-secret",
            "SLACK_SIGNING_SECRET": "shh",
            "SLACK_APP_TOKEN": "xapp-secret",
            "BOT_ENCRYPTION_KEY": "fernet-new,fernet-old",
            "DATABASE_URL": "postgresql://bot:db-password@127.0.0.1/bot",
        }
    )
    for secret in ("xoxb-secret", "shh", "xapp-secret", "fernet-new", "fernet-old", "db-password"):
        assert secret not in repr(settings)
    assert settings.encryption_keys == ("fernet-new", "fernet-old")
