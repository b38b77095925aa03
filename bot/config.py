"""One validated Settings object; the only module that reads the environment."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    log_format: str = ""  # json or text; empty: text at a terminal, json otherwise

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
    # "Add to Slack" (OAuth v2): many workspaces, each with its own installation; active
    # when SLACK_CLIENT_ID is set and SLACK_BOT_TOKEN is not (``multi_workspace``)
    slack_client_id: str = ""
    slack_client_secret: str = field(default="", repr=False)
    slack_redirect_uri: str = ""  # empty: built from the host of the install request
    # a rotating bot token is refreshed when it expires within this many minutes
    slack_token_refresh_minutes: int = 120
    # the App Home is published again at most this often per person
    home_refresh_seconds: float = 10.0
    port: int = 3000
    web_threads: int = 16
    # the worker's /metrics, /healthz and /readyz (0: not served)
    metrics_port: int = 0
    slack_timeout_seconds: int = 10
    # thread replies and card updates that Slack refuses are retried with a growing pause
    # (from the base, doubling, up to the max); 0 attempts: until posted, while the
    # request's row exists
    announce_retry_base_seconds: float = 2.0
    announce_retry_max_seconds: float = 300.0
    announce_max_attempts: int = 0
    # larger requests to /slack/events are refused (413) before their body is read
    slack_max_body_bytes: int = 1024 * 1024

    date_order: str = "MDY"
    date_order_explicit: bool = False
    max_backfill_days: int = 366
    # a plan (several transfers, or a long range in chunks) covers at most this many days
    max_plan_days: int = 1830
    default_timezone: str = "UTC"
    confirmation_ttl_seconds: int = 24 * 3600
    # a request awaiting a second person's approval expires after this long
    approval_ttl_seconds: int = 3 * 24 * 3600
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
    # "team": one list call per Supermetrics team per poll (GET only for backfills that
    # left the list); "backfill": one GET per backfill per poll (the earlier way)
    tracker_polling: str = "team"

    def resolved_database_url(self) -> str:
        """Return DATABASE_URL, or the default SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bot.db').resolve()}"

    @property
    def multi_workspace(self) -> bool:
        """True when the bot serves any workspace that installs it ("Add to Slack")."""
        return bool(self.slack_client_id) and not self.slack_bot_token

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (tests, console defaults)."""
        return replace(self, **changes)


TRACKER_POLLING_MODES = ("team", "backfill")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "text")
DATE_ORDERS = ("MDY", "DMY")
# what `serve` and `worker` need on top of valid values (``required_problems``)
Role = Literal["serve", "worker"]
# config cannot import the vault (bot.vault, a floor above); the command it prints too
GENERATE_KEY_COMMAND = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


@dataclass(frozen=True)
class Problem:
    """One configuration problem: the variable, and one line saying what is wrong and the fix."""

    variable: str
    message: str

    def __str__(self) -> str:
        return self.message


class _Invalid(Exception):
    """A value that cannot be used; its message is the Problem's line."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise _Invalid(f"{name} must be true or false, not {raw!r}.")


def _number(name: str, raw: str, kind: type[int] | type[float], minimum: float) -> Any:
    try:
        value = kind(raw)
    except ValueError:
        raise _Invalid(f"{name} must be a number, not {raw!r}.") from None
    if value < minimum:
        raise _Invalid(f"{name} must be at least {minimum}, not {raw!r}.")
    return value


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        raise _Invalid(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {raw!r}.")
    return level


def _log_format(raw: str) -> str:
    chosen = raw.strip().lower()
    if chosen not in LOG_FORMATS:
        raise _Invalid(
            f"LOG_FORMAT must be json or text, not {raw!r} (leave it empty for text at a "
            "terminal and json otherwise)."
        )
    return chosen


def _timezone(raw: str) -> str:
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid(
            f"DEFAULT_TIMEZONE {raw!r} is not a known time zone. Use an IANA name such as "
            "UTC, Europe/Helsinki or America/New_York."
        ) from None
    return name


def _tracker_polling(raw: str) -> str:
    mode = raw.strip().lower()
    if mode not in TRACKER_POLLING_MODES:
        raise _Invalid(f"TRACKER_POLLING must be team or backfill, not {raw!r}.")
    return mode


def _date_order(raw: str) -> str:
    order = raw.strip().upper()
    if order not in DATE_ORDERS:
        raise _Invalid(f"DATE_ORDER must be MDY or DMY, not {raw!r}.")
    return order


def _http_url(name: str) -> Callable[[str], str]:
    def check(raw: str) -> str:
        url = raw.strip()
        if not re.match(r"https?://[^/\s]+", url):
            raise _Invalid(f"{name} must be an http:// or https:// URL, not {raw!r}.")
        return url

    return check


def _slack_token(name: str, prefix: str, what: str) -> Callable[[str], str]:
    def check(raw: str) -> str:
        token = raw.strip()
        if not token.startswith(prefix):
            # the token's kind (xoxp-, xapp-, …) is safe to name; the rest is the secret
            kind = re.match(r"[a-z]{3,5}-", token)
            shown = f"a token starting with {kind.group(0)}" if kind else "something else"
            raise _Invalid(
                f"{name} must be {what} starting with {prefix}, not {shown}: copy it from the "
                "Slack app's settings (see the README, Creating the Slack app)."
            )
        return token

    return check


def _encryption_keys(raw: str) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (ValueError, UnicodeEncodeError):
            valid = False
        if not valid:
            # never the key itself in the message
            raise _Invalid(
                f"BOT_ENCRYPTION_KEY: key #{position} of {len(keys)} is not a Fernet key "
                f"(32 url-safe base64-encoded bytes). Generate one with: {GENERATE_KEY_COMMAND}"
            )
    return keys


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
    "TRACKER_POLLING": _tracker_polling,
    "LOG_LEVEL": _log_level,
    "LOG_FORMAT": _log_format,
    "DEFAULT_TIMEZONE": _timezone,
    "SUPERMETRICS_API_URL": _http_url("SUPERMETRICS_API_URL"),
    "SLACK_API_URL": _http_url("SLACK_API_URL"),
    "SLACK_REDIRECT_URI": _http_url("SLACK_REDIRECT_URI"),
    "SLACK_BOT_TOKEN": _slack_token("SLACK_BOT_TOKEN", "xoxb-", "the bot token"),
    "SLACK_APP_TOKEN": _slack_token("SLACK_APP_TOKEN", "xapp-", "the app-level token"),
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
        except _Invalid as exc:
            problems.append(Problem(name, str(exc)))

    if source.get("BOT_DATA_DIR"):
        values["data_dir"] = Path(source["BOT_DATA_DIR"])
    for name, attr in _STRINGS.items():
        if source.get(name):
            take(name, attr, _CHECKS.get(name, str.strip))
    for name, (attr, kind, minimum) in _NUMBERS.items():
        if source.get(name):
            take(name, attr, partial(_number, name, kind=kind, minimum=minimum))
    if source.get("BOT_ENCRYPTION_KEY"):
        take("BOT_ENCRYPTION_KEY", "encryption_keys", _encryption_keys)
    if source.get("DATE_ORDER"):
        take("DATE_ORDER", "date_order", _date_order)
        values["date_order_explicit"] = True
    if "RUN_TRACKER_IN_SERVER" in source:
        take(
            "RUN_TRACKER_IN_SERVER",
            "run_tracker_in_server",
            partial(_bool, "RUN_TRACKER_IN_SERVER"),
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


def required_problems(settings: Settings, role: Role) -> list[Problem]:
    """What ``serve`` or ``worker`` needs that is not set, one Problem per variable."""
    problems: list[Problem] = []

    def need(name: str, value: object, why: str) -> None:
        if not value:
            problems.append(Problem(name, f"{name} is not set. {why}"))

    if settings.multi_workspace and not settings.slack_app_token:
        # "Add to Slack": each workspace's token comes from its installation
        if role == "serve":
            need(
                "SLACK_SIGNING_SECRET",
                settings.slack_signing_secret,
                "HTTP mode needs it (Slack app → Basic Information → Signing Secret).",
            )
        need(
            "SLACK_CLIENT_SECRET",
            settings.slack_client_secret,
            '"Add to Slack" (SLACK_CLIENT_ID is set) needs the client secret (Slack app → '
            "Basic Information → App Credentials) to install and to refresh tokens.",
        )
    elif role == "serve" and settings.slack_app_token:
        need(
            "SLACK_BOT_TOKEN",
            settings.slack_bot_token,
            "Socket Mode (SLACK_APP_TOKEN is set) also needs the bot token xoxb-… (Slack app → "
            "OAuth & Permissions).",
        )
    elif role == "serve":
        need(
            "SLACK_SIGNING_SECRET",
            settings.slack_signing_secret,
            "HTTP mode needs it (Slack app → Basic Information → Signing Secret); or set "
            "SLACK_APP_TOKEN and SLACK_BOT_TOKEN for Socket Mode.",
        )
        need(
            "SLACK_BOT_TOKEN",
            settings.slack_bot_token,
            "Set the bot token xoxb-… (Slack app → OAuth & Permissions).",
        )
    else:
        need(
            "SLACK_BOT_TOKEN",
            settings.slack_bot_token,
            "The worker posts progress to Slack with the bot token xoxb-… (Slack app → OAuth & "
            "Permissions); without Slack, use `python -m bot console`.",
        )
    need(
        "BOT_ENCRYPTION_KEY",
        settings.encryption_keys,
        "Production mode (serve, worker) needs it to encrypt Supermetrics tokens. Generate a "
        f"key with: {GENERATE_KEY_COMMAND} and set BOT_ENCRYPTION_KEY to it.",
    )
    return problems


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


def _raise_first(problems: list[Problem]) -> None:
    if not problems:
        return
    first, rest = problems[0], problems[1:]
    more = ""
    if rest:
        others = ", ".join(dict.fromkeys(problem.variable for problem in rest))
        more = f" (also wrong: {others})"
    raise ConfigError(first.message + more)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from ``env`` (default: the process environment).

    Raises ConfigError with one line: the first problem, naming the variable and the fix.
    """
    source = os.environ if env is None else env
    values, problems = _read(source)
    _raise_first(problems)
    settings = Settings(**values)
    if not settings.slack_api_url.endswith("/"):
        settings = replace(settings, slack_api_url=settings.slack_api_url + "/")
    return settings


def require(settings: Settings, role: Role) -> None:
    """Raise ConfigError (one line) unless ``settings`` has what ``serve``/``worker`` needs."""
    _raise_first(required_problems(settings, role))
