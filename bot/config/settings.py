"""The ``Settings`` dataclass: every tunable of the bot, with its default."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
