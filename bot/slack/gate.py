"""The door of ``/slack/events``: nothing of a request is used before its signature holds.

Every request is checked here, before Bolt sees it: its size (refused from the
Content-Length header, before the body is read), Slack's signature over the raw body
and timestamp (a malformed or stale header is a 401 like a wrong signature), and that
the body is what Slack sends (UTF-8, a form or JSON, ``payload`` a JSON object). Only
then is the body handed on. Bolt's own ``RequestVerification`` is switched off: it logs
the whole body of a refused request (a setup form carries the Supermetrics token), and
its header parsing raised on a non-numeric timestamp, which reached the error handler
with the unsigned body's ``response_url``.

Refusals are logged in one short line (never the body or the headers), at most one
line per reason per ``interval`` seconds, with how many were left out in between, so an
anonymous caller cannot fill the log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

log = logging.getLogger("bot.slack.gate")

# Slack refuses a request older than five minutes; so do we (replays)
MAX_CLOCK_SKEW_SECONDS = 5 * 60
# Slack's largest bodies are view submissions and clicks on messages that carry their
# blocks (a message holds at most 50 blocks of 3,000 characters): well under 1 MiB
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_SIGNATURE_PREFIX = "v0="
_SIGNATURE_HEX_LENGTH = 64


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: an HTTP status and a short reason (also the log line)."""

    status: int
    reason: str

    @property
    def status_line(self) -> str:
        return {
            400: "400 Bad Request",
            401: "401 Unauthorized",
            405: "405 Method Not Allowed",
            413: "413 Content Too Large",
        }[self.status]


BAD_LENGTH = Refusal(400, "missing or malformed Content-Length")
TOO_LARGE = Refusal(413, "body larger than the limit")
SHORT_BODY = Refusal(400, "body shorter than its Content-Length")
NOT_POST = Refusal(405, "not a POST")
UNSIGNED = Refusal(401, "missing or malformed signature headers")
STALE = Refusal(401, "timestamp outside the five-minute window")
BAD_SIGNATURE = Refusal(401, "signature does not match")
NOT_SLACK_BODY = Refusal(400, "body is not a Slack form or JSON object")


class RefusalLog:
    """One short log line per reason per ``interval`` seconds, counting the ones left out."""

    def __init__(
        self, *, interval: float = 60.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._left_out: dict[str, int] = {}

    def refused(self, refusal: Refusal) -> None:
        now = self._monotonic()
        with self._lock:
            last = self._last.get(refusal.reason)
            if last is not None and now - last < self.interval:
                self._left_out[refusal.reason] = self._left_out.get(refusal.reason, 0) + 1
                return
            self._last[refusal.reason] = now
            left_out = self._left_out.pop(refusal.reason, 0)
        if left_out:
            log.warning(
                "refused a request to /slack/events (%s, HTTP %s); %d more since the last line",
                refusal.reason,
                refusal.status,
                left_out,
            )
        else:
            log.warning(
                "refused a request to /slack/events (%s, HTTP %s)", refusal.reason, refusal.status
            )


def content_length(environ: dict[str, Any], *, max_bytes: int) -> int | Refusal:
    """The declared body length, or why the request is refused before reading it."""
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not raw.isdigit() or len(raw) > 12:
        return BAD_LENGTH
    length = int(raw)
    return TOO_LARGE if length > max_bytes else length


def read_body(environ: dict[str, Any], length: int) -> bytes | Refusal:
    """Read exactly ``length`` bytes (never more) from the request."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return SHORT_BODY
    chunks: list[bytes] = []
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(remaining, 64 * 1024))
        if not chunk:
            return SHORT_BODY
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def check_signature(
    *, secret: str, body: bytes, timestamp: str, signature: str, now: float
) -> Refusal | None:
    """Slack's v0 signature over ``v0:{timestamp}:{body}``; None when it holds."""
    if not secret:
        return BAD_SIGNATURE
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return UNSIGNED
    if not (
        signature.startswith(_SIGNATURE_PREFIX)
        and len(signature) == len(_SIGNATURE_PREFIX) + _SIGNATURE_HEX_LENGTH
        and signature.isascii()
    ):
        return UNSIGNED
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return STALE
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = _SIGNATURE_PREFIX + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return BAD_SIGNATURE
    return None


def check_shape(body: bytes, content_type: str) -> Refusal | None:
    """Refuse what Bolt could not parse: not UTF-8, not a form or a JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_SLACK_BODY
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        event = _loads_object(text)
        return None if event is not None and _matchable(event) else NOT_SLACK_BODY
    if kind != "application/x-www-form-urlencoded":
        return NOT_SLACK_BODY
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=False)
    except ValueError:
        return NOT_SLACK_BODY
    if "payload" in form:
        values = form["payload"]
        payload = _loads_object(values[0]) if len(values) == 1 else None
        return None if payload is not None and _matchable(payload) else NOT_SLACK_BODY
    return None if form else NOT_SLACK_BODY


def _loads_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


# objects wherever Slack sends them (Bolt's middleware calls .get on them unchecked)
_OBJECTS = ("event", "team", "user", "channel", "container", "view", "message", "enterprise")


def _matchable(payload: dict[str, Any]) -> bool:
    """What Bolt's middleware and matchers index without checking (else a 500 or a raise)."""
    if any(payload.get(key) is not None and not isinstance(payload[key], dict) for key in _OBJECTS):
        return False
    if "event" in payload and not isinstance(payload["event"], dict):
        return False  # ``body.get("event", {})`` in Bolt: null is not the default
    kind = payload.get("type")
    if kind is not None and not isinstance(kind, str):
        return False
    if kind == "block_actions":
        actions = payload.get("actions")
        return isinstance(actions, list) and all(
            isinstance(action, dict) and isinstance(action.get("action_id"), str)
            for action in actions
        )
    if kind in {"view_submission", "view_closed"}:
        view = payload.get("view")
        return isinstance(view, dict) and isinstance(view.get("callback_id"), str)
    if kind == "event_callback":
        event = payload.get("event")
        return isinstance(event, dict) and isinstance(event.get("type"), str)
    if kind == "url_verification":
        challenge = payload.get("challenge")
        return isinstance(challenge, str) and bool(challenge)
    return True


def header(environ: dict[str, Any], name: str) -> str:
    """A request header as WSGI spells it (``X-Slack-Signature`` → ``HTTP_X_SLACK_SIGNATURE``)."""
    value = environ.get("HTTP_" + name.upper().replace("-", "_"))
    return value.strip() if isinstance(value, str) else ""


def admit(environ: dict[str, Any], *, secret: str, max_bytes: int, now: float) -> bytes | Refusal:
    """The verified body of a request to /slack/events, or why it is refused."""
    if environ.get("REQUEST_METHOD") != "POST":
        return NOT_POST
    length = content_length(environ, max_bytes=max_bytes)
    if isinstance(length, Refusal):
        return length
    body = read_body(environ, length)
    if isinstance(body, Refusal):
        return body
    refusal = check_signature(
        secret=secret,
        body=body,
        timestamp=header(environ, "X-Slack-Request-Timestamp"),
        signature=header(environ, "X-Slack-Signature"),
        now=now,
    )
    if refusal is None:
        refusal = check_shape(body, str(environ.get("CONTENT_TYPE") or ""))
    return body if refusal is None else refusal
