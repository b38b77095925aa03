"""One validated Settings object; the only module that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

DEFAULT_SUPERMETRICS_API_URL = "https://dts-api.supermetrics.com/v1"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the bot.  Build with ``load_settings()``; tests use ``replace``."""

    data_dir: Path = Path(".data")
    # out of repr (a Runtime's repr holds these Settings): the URL may carry a password
    database_url: str = field(default="", repr=False)  # empty: a SQLite file in data_dir
    # BOT_ENCRYPTION_KEY, comma separated, newest first
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    log_level: str = "INFO"

    supermetrics_api_url: str = DEFAULT_SUPERMETRICS_API_URL
    supermetrics_timeout_seconds: float = 10.0
    supermetrics_max_retries: int = 3
    supermetrics_retry_budget_seconds: float = 30.0
    supermetrics_retry_after_cap_seconds: float = 30.0
    # how long a team's transfer list is reused before it is fetched again (0: never)
    transfer_cache_seconds: float = 300.0

    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_timeout_seconds: int = 10
    # thread replies and card updates that Slack refuses are retried with a growing pause
    # (from the base, doubling, up to the max); 0 attempts: until posted, while the
    # request's row exists
    announce_retry_base_seconds: float = 2.0
    announce_retry_max_seconds: float = 300.0
    announce_max_attempts: int = 0
    port: int = 3000
    web_threads: int = 16
    # larger requests to /slack/events are refused (413) before their body is read
    slack_max_body_bytes: int = 1024 * 1024

    date_order: str = "MDY"
    date_order_explicit: bool = False
    max_backfill_days: int = 366
    default_timezone: str = "UTC"
    confirmation_ttl_seconds: int = 24 * 3600
    # a request SUBMITTING for longer was left by a process that died in the create call
    submit_recovery_seconds: float = 120.0

    run_tracker_in_server: bool = True
    poll_min_seconds: float = 15.0
    poll_max_seconds: float = 300.0
    progress_reply_interval_seconds: float = 300.0
    tracker_tick_seconds: float = 1.0
    tracker_lease_seconds: float = 60.0
    tracker_batch_size: int = 100
    tracker_max_failures: int = 8

    def resolved_database_url(self) -> str:
        """Return DATABASE_URL, or the default SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bot.db').resolve()}"

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (tests, console defaults)."""
        return replace(self, **changes)


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}.")


def _number(name: str, raw: str, kind: type[int] | type[float], minimum: float) -> Any:
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}.") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {raw!r}.")
    return value


_NUMBERS: dict[str, tuple[str, type[int] | type[float], float]] = {
    "SUPERMETRICS_TIMEOUT_SECONDS": ("supermetrics_timeout_seconds", float, 0.01),
    "SUPERMETRICS_MAX_RETRIES": ("supermetrics_max_retries", int, 0),
    "SUPERMETRICS_RETRY_BUDGET_SECONDS": ("supermetrics_retry_budget_seconds", float, 0),
    "SUPERMETRICS_RETRY_AFTER_CAP_SECONDS": ("supermetrics_retry_after_cap_seconds", float, 0),
    "TRANSFER_CACHE_SECONDS": ("transfer_cache_seconds", float, 0),
    "PORT": ("port", int, 0),
    "WEB_THREADS": ("web_threads", int, 1),
    "SLACK_MAX_BODY_BYTES": ("slack_max_body_bytes", int, 1024),
    "SLACK_TIMEOUT_SECONDS": ("slack_timeout_seconds", int, 1),
    "ANNOUNCE_RETRY_BASE_SECONDS": ("announce_retry_base_seconds", float, 0.01),
    "ANNOUNCE_RETRY_MAX_SECONDS": ("announce_retry_max_seconds", float, 0.01),
    "ANNOUNCE_MAX_ATTEMPTS": ("announce_max_attempts", int, 0),
    "MAX_BACKFILL_DAYS": ("max_backfill_days", int, 1),
    "CONFIRMATION_TTL_SECONDS": ("confirmation_ttl_seconds", int, 1),
    "POLL_MIN_SECONDS": ("poll_min_seconds", float, 0.01),
    "POLL_MAX_SECONDS": ("poll_max_seconds", float, 0.01),
    "PROGRESS_REPLY_INTERVAL_SECONDS": ("progress_reply_interval_seconds", float, 0),
    "TRACKER_TICK_SECONDS": ("tracker_tick_seconds", float, 0.01),
    "TRACKER_LEASE_SECONDS": ("tracker_lease_seconds", float, 1),
    "TRACKER_BATCH_SIZE": ("tracker_batch_size", int, 1),
    "TRACKER_MAX_FAILURES": ("tracker_max_failures", int, 1),
    "SUBMIT_RECOVERY_SECONDS": ("submit_recovery_seconds", float, 1),
}

_STRINGS: dict[str, str] = {
    "DATABASE_URL": "database_url",
    "LOG_LEVEL": "log_level",
    "SUPERMETRICS_API_URL": "supermetrics_api_url",
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_APP_TOKEN": "slack_app_token",
    "SLACK_API_URL": "slack_api_url",
    "DEFAULT_TIMEZONE": "default_timezone",
}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from ``env`` (default: the process environment)."""
    source = os.environ if env is None else env
    values: dict[str, Any] = {}
    if source.get("BOT_DATA_DIR"):
        values["data_dir"] = Path(source["BOT_DATA_DIR"])
    for name, attr in _STRINGS.items():
        if source.get(name):
            values[attr] = source[name].strip()
    for name, (attr, kind, minimum) in _NUMBERS.items():
        if source.get(name):
            values[attr] = _number(name, source[name], kind, minimum)
    if source.get("BOT_ENCRYPTION_KEY"):
        values["encryption_keys"] = tuple(
            key.strip() for key in source["BOT_ENCRYPTION_KEY"].split(",") if key.strip()
        )
    if source.get("DATE_ORDER"):
        order = source["DATE_ORDER"].strip().upper()
        if order not in {"MDY", "DMY"}:
            raise ConfigError(f"DATE_ORDER must be MDY or DMY, not {source['DATE_ORDER']!r}.")
        values["date_order"] = order
        values["date_order_explicit"] = True
    if "RUN_TRACKER_IN_SERVER" in source:
        values["run_tracker_in_server"] = _bool(
            "RUN_TRACKER_IN_SERVER", source["RUN_TRACKER_IN_SERVER"]
        )
    settings = Settings(**values)
    if settings.poll_min_seconds > settings.poll_max_seconds:
        raise ConfigError("POLL_MIN_SECONDS must not be larger than POLL_MAX_SECONDS.")
    if not settings.slack_api_url.endswith("/"):
        settings = replace(settings, slack_api_url=settings.slack_api_url + "/")
    return settings
