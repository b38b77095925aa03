"""The value parsers: one environment variable's text becomes a setting's value, or
``Invalid`` with the line that says what is wrong and the fix."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .problems import Invalid

TRACKER_POLLING_MODES = ("team", "backfill")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "text")
DATE_ORDERS = ("MDY", "DMY")
# config cannot import the vault (bot.vault, a floor above); the command it prints too
GENERATE_KEY_COMMAND = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise Invalid(f"{name} must be true or false, not {raw!r}.")


def number(name: str, raw: str, kind: type[int] | type[float], minimum: float) -> Any:
    try:
        value = kind(raw)
    except ValueError:
        raise Invalid(f"{name} must be a number, not {raw!r}.") from None
    if value < minimum:
        raise Invalid(f"{name} must be at least {minimum}, not {raw!r}.")
    return value


def log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        raise Invalid(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {raw!r}.")
    return level


def log_format(raw: str) -> str:
    chosen = raw.strip().lower()
    if chosen not in LOG_FORMATS:
        raise Invalid(
            f"LOG_FORMAT must be json or text, not {raw!r} (leave it empty for text at a "
            "terminal and json otherwise)."
        )
    return chosen


def timezone(raw: str) -> str:
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f"DEFAULT_TIMEZONE {raw!r} is not a known time zone. Use an IANA name such as "
            "UTC, Europe/Helsinki or America/New_York."
        ) from None
    return name


def tracker_polling(raw: str) -> str:
    mode = raw.strip().lower()
    if mode not in TRACKER_POLLING_MODES:
        raise Invalid(f"TRACKER_POLLING must be team or backfill, not {raw!r}.")
    return mode


def date_order(raw: str) -> str:
    order = raw.strip().upper()
    if order not in DATE_ORDERS:
        raise Invalid(f"DATE_ORDER must be MDY or DMY, not {raw!r}.")
    return order


def http_url(name: str) -> Callable[[str], str]:
    def check(raw: str) -> str:
        url = raw.strip()
        if not re.match(r"https?://[^/\s]+", url):
            raise Invalid(f"{name} must be an http:// or https:// URL, not {raw!r}.")
        return url

    return check


def slack_token(name: str, prefix: str, what: str) -> Callable[[str], str]:
    def check(raw: str) -> str:
        token = raw.strip()
        if not token.startswith(prefix):
            # the token's kind (xoxp-, xapp-, …) is safe to name; the rest is the secret
            kind = re.match(r"[a-z]{3,5}-", token)
            shown = f"a token starting with {kind.group(0)}" if kind else "something else"
            raise Invalid(
                f"{name} must be {what} starting with {prefix}, not {shown}: copy it from the "
                "Slack app's settings (see the README, Creating the Slack app)."
            )
        return token

    return check


def encryption_keys(raw: str) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (ValueError, UnicodeEncodeError):
            valid = False
        if not valid:
            # never the key itself in the message
            raise Invalid(
                f"BOT_ENCRYPTION_KEY: key #{position} of {len(keys)} is not a Fernet key "
                f"(32 url-safe base64-encoded bytes). Generate one with: {GENERATE_KEY_COMMAND}"
            )
    return keys
