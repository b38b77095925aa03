"""What ``serve`` and ``worker`` need on top of valid values, one Problem per variable."""

from __future__ import annotations

from typing import Literal

from .problems import Problem, raise_first
from .settings import Settings
from .values import GENERATE_KEY_COMMAND

# what `serve` and `worker` need on top of valid values (``required_problems``)
Role = Literal["serve", "worker"]


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


def require(settings: Settings, role: Role) -> None:
    """Raise ConfigError (one line) unless ``settings`` has what ``serve``/``worker`` needs."""
    raise_first(required_problems(settings, role))
