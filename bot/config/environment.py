"""Reading the environment: which variable sets which setting, checked by which parser;
``config_problems`` lists what is wrong and ``load_settings`` builds the Settings."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from . import values as parse
from .problems import Invalid, Problem, raise_first
from .requirements import Role, required_problems
from .settings import Settings

_NUMBERS: dict[str, tuple[str, type[int] | type[float], float]] = {
    "SUPERMETRICS_TIMEOUT_SECONDS": ("supermetrics_timeout_seconds", float, 0.01),
    "SUPERMETRICS_MAX_RETRIES": ("supermetrics_max_retries", int, 0),
    "SUPERMETRICS_RETRY_BUDGET_SECONDS": ("supermetrics_retry_budget_seconds", float, 0),
    "SUPERMETRICS_RETRY_AFTER_CAP_SECONDS": ("supermetrics_retry_after_cap_seconds", float, 0),
    "TRANSFER_CACHE_SECONDS": ("transfer_cache_seconds", float, 0),
    "SLACK_TOKEN_REFRESH_MINUTES": ("slack_token_refresh_minutes", int, 1),
    "HOME_REFRESH_SECONDS": ("home_refresh_seconds", float, 0),
    "PORT": ("port", int, 0),
    "WEB_THREADS": ("web_threads", int, 1),
    "METRICS_PORT": ("metrics_port", int, 0),
    "SLACK_MAX_BODY_BYTES": ("slack_max_body_bytes", int, 1024),
    "SLACK_TIMEOUT_SECONDS": ("slack_timeout_seconds", int, 1),
    "ANNOUNCE_RETRY_BASE_SECONDS": ("announce_retry_base_seconds", float, 0.01),
    "ANNOUNCE_RETRY_MAX_SECONDS": ("announce_retry_max_seconds", float, 0.01),
    "ANNOUNCE_MAX_ATTEMPTS": ("announce_max_attempts", int, 0),
    "MAX_BACKFILL_DAYS": ("max_backfill_days", int, 1),
    "MAX_PLAN_DAYS": ("max_plan_days", int, 1),
    "CONFIRMATION_TTL_SECONDS": ("confirmation_ttl_seconds", int, 1),
    "APPROVAL_TTL_SECONDS": ("approval_ttl_seconds", int, 1),
    "POLL_MIN_SECONDS": ("poll_min_seconds", float, 0.01),
    "POLL_MAX_SECONDS": ("poll_max_seconds", float, 0.01),
    "PROGRESS_REPLY_INTERVAL_SECONDS": ("progress_reply_interval_seconds", float, 0),
    "TRACKER_TICK_SECONDS": ("tracker_tick_seconds", float, 0.01),
    "TRACKER_LEASE_SECONDS": ("tracker_lease_seconds", float, 1),
    "TRACKER_BATCH_SIZE": ("tracker_batch_size", int, 1),
    "TRACKER_MAX_FAILURES": ("tracker_max_failures", int, 1),
    "SUBMIT_RECOVERY_SECONDS": ("submit_recovery_seconds", float, 1),
}

# variables whose values need more than a strip; the rest of _STRINGS are taken as given
_CHECKS: dict[str, Callable[[str], Any]] = {
    "TRACKER_POLLING": parse.tracker_polling,
    "LOG_LEVEL": parse.log_level,
    "LOG_FORMAT": parse.log_format,
    "DEFAULT_TIMEZONE": parse.timezone,
    "SUPERMETRICS_API_URL": parse.http_url("SUPERMETRICS_API_URL"),
    "SLACK_API_URL": parse.http_url("SLACK_API_URL"),
    "SLACK_REDIRECT_URI": parse.http_url("SLACK_REDIRECT_URI"),
    "SLACK_BOT_TOKEN": parse.slack_token("SLACK_BOT_TOKEN", "xoxb-", "the bot token"),
    "SLACK_APP_TOKEN": parse.slack_token("SLACK_APP_TOKEN", "xapp-", "the app-level token"),
}

_STRINGS: dict[str, str] = {
    "TRACKER_POLLING": "tracker_polling",
    "DATABASE_URL": "database_url",
    "LOG_LEVEL": "log_level",
    "LOG_FORMAT": "log_format",
    "SUPERMETRICS_API_URL": "supermetrics_api_url",
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_APP_TOKEN": "slack_app_token",
    "SLACK_API_URL": "slack_api_url",
    "SLACK_CLIENT_ID": "slack_client_id",
    "SLACK_CLIENT_SECRET": "slack_client_secret",
    "SLACK_REDIRECT_URI": "slack_redirect_uri",
    "DEFAULT_TIMEZONE": "default_timezone",
}


def _read(source: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """Parse every variable that is set; a bad one becomes a Problem, not an exception."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []

    def take(name: str, attr: str, parse: Callable[[str], Any]) -> None:
        try:
            values[attr] = parse(source[name])
        except Invalid as exc:
            problems.append(Problem(name, str(exc)))

    if source.get("BOT_DATA_DIR"):
        values["data_dir"] = Path(source["BOT_DATA_DIR"])
    for name, attr in _STRINGS.items():
        if source.get(name):
            take(name, attr, _CHECKS.get(name, str.strip))
    for name, (attr, kind, minimum) in _NUMBERS.items():
        if source.get(name):
            take(name, attr, partial(parse.number, name, kind=kind, minimum=minimum))
    if source.get("BOT_ENCRYPTION_KEY"):
        take("BOT_ENCRYPTION_KEY", "encryption_keys", parse.encryption_keys)
    if source.get("DATE_ORDER"):
        take("DATE_ORDER", "date_order", parse.date_order)
        values["date_order_explicit"] = True
    if "RUN_TRACKER_IN_SERVER" in source:
        take(
            "RUN_TRACKER_IN_SERVER",
            "run_tracker_in_server",
            partial(parse.boolean, "RUN_TRACKER_IN_SERVER"),
        )
    for name, attr in (("PORT", "port"), ("METRICS_PORT", "metrics_port")):
        if values.get(attr, 0) > 65535:
            problems.append(Problem(name, f"{name} must be at most 65535, not {source[name]!r}."))
    poll_min = values.get("poll_min_seconds", Settings.poll_min_seconds)
    poll_max = values.get("poll_max_seconds", Settings.poll_max_seconds)
    if poll_min > poll_max:
        problems.append(
            Problem(
                "POLL_MIN_SECONDS",
                f"POLL_MIN_SECONDS ({poll_min:g}) must not be larger than POLL_MAX_SECONDS "
                f"({poll_max:g}): lower the one or raise the other.",
            )
        )
    return values, problems


def config_problems(
    env: Mapping[str, str] | None = None, *, role: Role | None = None
) -> list[Problem]:
    """Every configuration problem in ``env`` (default: the process environment).

    Each invalid variable is one Problem; with ``role``, so is each variable that role needs
    and does not have.  Empty means ``load_settings`` succeeds (and the role can start).
    """
    source = os.environ if env is None else env
    values, problems = _read(source)
    if role is not None:
        problems += required_problems(Settings(**values), role)
    return problems


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from ``env`` (default: the process environment).

    Raises ConfigError with one line: the first problem, naming the variable and the fix.
    """
    source = os.environ if env is None else env
    values, problems = _read(source)
    raise_first(problems)
    settings = Settings(**values)
    if not settings.slack_api_url.endswith("/"):
        settings = replace(settings, slack_api_url=settings.slack_api_url + "/")
    return settings
