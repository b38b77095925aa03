"""One line per event: ``LOG_FORMAT=json`` or ``text``, with the ids of what it is about.

The edges bind what they know (``log_context``): the Slack listener the team and the
delivery, the service the request and the backfill, the DTS client the team and the API's
request id. ``ContextFilter`` stamps them on every record of the same thread of work.

No secret ever reaches a handler: ``RedactingFilter`` removes token shapes (Slack, Bearer,
Fernet keys, signatures), every value registered with ``register_secret`` (settings, tokens
the vault decrypts) and the bodies third-party libraries log at DEBUG and on bad signatures.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import urlsplit

from bot.config import Settings

FIELDS = (
    "request_id",
    "backfill_id",
    "slack_team",
    "supermetrics_team",
    "slack_delivery",
    "dts_request_id",
)
FORMATS = ("json", "text")

_context: ContextVar[Mapping[str, str] | None] = ContextVar("bot_log_context", default=None)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Bind ids for every log line inside the block (None values are left out)."""
    merged = dict(_context.get() or {})
    merged.update({k: str(v) for k, v in fields.items() if v is not None and v != ""})
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def context_fields() -> Mapping[str, str]:
    """What is bound now (to carry onto another thread with ``log_context(**…)``)."""
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Copy the bound ids onto each record (an explicit ``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_context.get() or {}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


# --- redaction ---------------------------------------------------------------------------

_REDACTED = "[redacted]"
_PATTERNS = (
    re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]+"),  # Slack bot/user/refresh tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),  # Slack app-level tokens
    re.compile(r"(?i)\bbearer\s+[^\s'\",}]+"),
    re.compile(r"\bv0=[0-9a-f]{16,}"),  # Slack request signatures
    re.compile(r"\b[A-Za-z0-9_-]{43}="),  # Fernet keys
    re.compile(r"\bgAAAAA[A-Za-z0-9_=-]{20,}"),  # Fernet ciphertexts (encrypted tokens)
    re.compile(r"(?i)(?<![a-z_])(token|secret|password|client_secret)=[^&\s'\"]+"),
    re.compile(r"(?i)'(authorization|token|x-slack-signature)':\s*'[^']*'"),
)
# third-party lines that carry a whole request or response: keep what they say, not the data
_BODY_FIELDS = re.compile(
    r"(?s)\b(body|body_params|json_body|query_params|headers|files)\s*[:=]\s*.*"
)
_NOISY = ("slack_bolt", "slack_sdk", "urllib3", "httpx", "httpcore", "waitress")

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Never let ``value`` appear in a log line (short values are too common to match)."""
    if value and len(value) >= 8:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every known secret and secret-shaped string replaced."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, _REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(_REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Render each record's message once, scrubbed; drop request bodies libraries log."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not take the line with it
            message = str(record.msg)
        if record.name.startswith(_NOISY):
            message = _BODY_FIELDS.sub(r"\1: " + _REDACTED, message)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# --- formats -------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the bound ids, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [request_id=… backfill_id=…]``; tracebacks indented."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = " ".join(
            f"{name}={getattr(record, name)}"
            for name in FIELDS
            if getattr(record, name, None) is not None
        )
        first, newline, rest = text.partition("\n")
        if ids:
            first = f"{first} [{ids}]"
        return first + (newline + rest.replace("\n", "\n    ") if newline else "")


def default_format(stream: IO[str]) -> str:
    """Text for a person at a terminal, JSON for a log collector."""
    isatty = getattr(stream, "isatty", None)
    return "text" if callable(isatty) and isatty() else "json"


def configure_logging(
    *, level: str = "INFO", log_format: str = "", stream: IO[str] | None = None
) -> logging.Handler:
    """Replace the root logger's handlers with one redacting handler; return it."""
    out = stream or sys.stderr
    chosen = log_format or default_format(out)
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # one line per HTTP request drowns what matters (the clients log failures themselves);
    # at DEBUG everything flows, through the same redaction
    logging.getLogger("httpx").setLevel(
        logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING
    )
    return handler


def register_settings_secrets(settings: Settings) -> None:
    """Keep the configured secrets out of every log line."""
    for value in (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        *settings.encryption_keys,
    ):
        register_secret(value)
    if settings.database_url:
        # an unparsable URL fails at connect, with its own message
        with suppress(ValueError):
            register_secret(urlsplit(settings.database_url).password)


def configure_for(settings: Settings, *, stream: IO[str] | None = None) -> logging.Handler:
    """``configure_logging`` with LOG_LEVEL and LOG_FORMAT, after registering the secrets."""
    register_settings_secrets(settings)
    return configure_logging(
        level=settings.log_level, log_format=settings.log_format, stream=stream
    )
