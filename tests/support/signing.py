"""Send requests into the bot signed exactly as Slack signs them.

Slack signs ``v0:{timestamp}:{raw body}`` with HMAC-SHA256 under the app's signing
secret and sends ``X-Slack-Signature: v0=<hex>`` and ``X-Slack-Request-Timestamp``.
Slash commands are form-encoded; ``block_actions`` and ``view_submission`` are a form
with one ``payload=<json>`` field; events are JSON.  Each sender returns the
``httpx.Response`` so tests can assert on the ack.

For the negative cases: ``signed_headers(..., timestamp=old_timestamp())``,
``forged_headers(body)`` or ``send(..., headers=...)`` with whatever you like.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEFAULT_TIMEOUT = 10.0

_trigger_ids = itertools.count(1)


def signature(secret: str, body: bytes | str, timestamp: int | str) -> str:
    """Return ``v0=<hex>``: Slack's signature of ``body`` sent at ``timestamp``."""
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    body: bytes | str,
    *,
    timestamp: int | None = None,
    content_type: str = FORM,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """Headers Slack would send with ``body`` (timestamp defaults to now)."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(secret, body, ts),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return headers


def old_timestamp(seconds: int = 6 * 60) -> int:
    """A timestamp older than Slack's five-minute replay window."""
    return int(time.time()) - seconds


def forged_headers(body: bytes | str, *, content_type: str = FORM) -> dict[str, str]:
    """Headers signed with the wrong secret: must be rejected."""
    return signed_headers("not-the-signing-secret", body, content_type=content_type)


def tampered_headers(secret: str, body: bytes | str, *, content_type: str = FORM) -> dict[str, str]:
    """A valid signature for a different body, as if the body was changed in transit."""
    raw = body.encode() if isinstance(body, str) else body
    return signed_headers(secret, raw + b"&tampered=1", content_type=content_type)


def unsigned_headers(*, content_type: str = FORM) -> dict[str, str]:
    """No signature and no timestamp at all."""
    return {"Content-Type": content_type}


def new_trigger_id() -> str:
    """A fresh trigger id shaped like Slack's."""
    return f"{next(_trigger_ids)}.1234567890.{int(time.time() * 1000):x}"


def send(
    url: str,
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    """POST the raw body with exactly these headers."""
    raw = body.encode() if isinstance(body, str) else body
    if client is not None:
        return client.post(url, content=raw, headers=dict(headers), timeout=timeout)
    return httpx.post(url, content=raw, headers=dict(headers), timeout=timeout)


def _send_signed(
    url: str,
    secret: str,
    body: str,
    *,
    content_type: str,
    timestamp: int | None,
    retry_num: int | None,
    client: httpx.Client | None,
    timeout: float,
) -> httpx.Response:
    headers = signed_headers(
        secret, body, timestamp=timestamp, content_type=content_type, retry_num=retry_num
    )
    return send(url, body, headers, client=client, timeout=timeout)


# ------------------------------------------------------------------ slash commands
def slash_command_body(
    *,
    text: str,
    user_id: str,
    team_id: str,
    channel_id: str,
    command: str = "/backfill",
    response_url: str = "https://hooks.slack.com/commands/T0/1/x",
    trigger_id: str | None = None,
    channel_name: str = "general",
    user_name: str = "",
    team_domain: str = "fake",
    enterprise_id: str | None = None,
) -> str:
    """The form body of a slash command, fields in the order Slack sends them.

    ``enterprise_id``: sent from a workspace of that Grid organization, to an org-wide app.
    """
    grid = {"enterprise_id": enterprise_id} if enterprise_id else {}
    return urlencode(
        {
            **grid,
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "team_domain": team_domain,
            "channel_id": channel_id,
            "channel_name": "directmessage" if channel_id.startswith("D") else channel_name,
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0FAKE",
            "is_enterprise_install": "true" if enterprise_id else "false",
            "response_url": response_url,
            "trigger_id": trigger_id or new_trigger_id(),
        }
    )


def slash_command(
    url: str,
    secret: str,
    *,
    text: str,
    user_id: str,
    team_id: str,
    channel_id: str,
    command: str = "/backfill",
    response_url: str = "https://hooks.slack.com/commands/T0/1/x",
    trigger_id: str | None = None,
    timestamp: int | None = None,
    retry_num: int | None = None,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    enterprise_id: str | None = None,
) -> httpx.Response:
    """Send a signed slash command (form-encoded)."""
    body = slash_command_body(
        text=text,
        user_id=user_id,
        team_id=team_id,
        channel_id=channel_id,
        command=command,
        response_url=response_url,
        trigger_id=trigger_id,
        enterprise_id=enterprise_id,
    )
    return _send_signed(
        url,
        secret,
        body,
        content_type=FORM,
        timestamp=timestamp,
        retry_num=retry_num,
        client=client,
        timeout=timeout,
    )


# ------------------------------------------------------------------ interactivity
def _team(team_id: str) -> dict[str, Any]:
    return {"id": team_id, "domain": "fake"}


def _user(user_id: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def block_action_payload(
    *,
    action_id: str,
    value: str,
    user_id: str,
    team_id: str,
    channel_id: str,
    message_ts: str,
    block_id: str | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    message_blocks: list[dict[str, Any]] | None = None,
    message_text: str = "",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """The ``block_actions`` payload Slack sends when a button on a message is pressed."""
    message: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "text": message_text,
        "ts": message_ts,
        "bot_id": "B0BOT",
        "blocks": message_blocks or [],
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": "A0FAKE",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id or new_trigger_id(),
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "message": message,
        "state": {"values": {}},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id or "actions",
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def payload_body(payload: Mapping[str, Any]) -> str:
    """The form body ``payload=<json>`` used for interactivity."""
    return urlencode({"payload": json.dumps(payload)})


def block_action(
    url: str,
    secret: str,
    *,
    action_id: str,
    value: str,
    user_id: str,
    team_id: str,
    channel_id: str,
    message_ts: str,
    block_id: str | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    message_blocks: list[dict[str, Any]] | None = None,
    timestamp: int | None = None,
    retry_num: int | None = None,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    """Send a signed ``block_actions`` payload for one button press."""
    payload = block_action_payload(
        action_id=action_id,
        value=value,
        user_id=user_id,
        team_id=team_id,
        channel_id=channel_id,
        message_ts=message_ts,
        block_id=block_id,
        response_url=response_url,
        trigger_id=trigger_id,
        message_blocks=message_blocks,
    )
    return _send_signed(
        url,
        secret,
        payload_body(payload),
        content_type=FORM,
        timestamp=timestamp,
        retry_num=retry_num,
        client=client,
        timeout=timeout,
    )


def view_submission_payload(
    *,
    callback_id: str,
    private_metadata: str,
    values: Mapping[str, Mapping[str, Mapping[str, Any]]],
    user_id: str,
    team_id: str,
    view_id: str = "V0FAKEVIEW",
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``view_submission`` payload; ``values`` is ``{block_id: {action_id: {...}}}``.

    e.g. ``{"edit_start": {"start": {"type": "datepicker", "selected_date": "2026-01-01"}}}``.
    """
    return {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": "A0FAKE",
        "token": "deprecated-verification-token",
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": blocks or [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": {k: dict(v) for k, v in values.items()}},
            "hash": "1.fakehash",
            "title": {"type": "plain_text", "text": "Backfill"},
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": "A0FAKE",
            "bot_id": "B0BOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission(
    url: str,
    secret: str,
    *,
    callback_id: str,
    private_metadata: str,
    values: Mapping[str, Mapping[str, Mapping[str, Any]]],
    user_id: str,
    team_id: str,
    view_id: str = "V0FAKEVIEW",
    timestamp: int | None = None,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    """Send a signed ``view_submission`` payload (a modal's Submit)."""
    payload = view_submission_payload(
        callback_id=callback_id,
        private_metadata=private_metadata,
        values=values,
        user_id=user_id,
        team_id=team_id,
        view_id=view_id,
    )
    return _send_signed(
        url,
        secret,
        payload_body(payload),
        content_type=FORM,
        timestamp=timestamp,
        retry_num=None,
        client=client,
        timeout=timeout,
    )


# ------------------------------------------------------------------------- events
def event_body(*, event: Mapping[str, Any], team_id: str, event_id: str) -> str:
    """The JSON body of an ``event_callback``."""
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "api_app_id": "A0FAKE",
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event_id}",
        }
    )


def event(
    url: str,
    secret: str,
    *,
    event: Mapping[str, Any],
    team_id: str,
    event_id: str,
    retry_num: int | None = None,
    timestamp: int | None = None,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    """Send a signed ``event_callback`` (JSON); ``retry_num`` marks a Slack retry."""
    body = event_body(event=event, team_id=team_id, event_id=event_id)
    return _send_signed(
        url,
        secret,
        body,
        content_type=JSON,
        timestamp=timestamp,
        retry_num=retry_num,
        client=client,
        timeout=timeout,
    )


def url_verification(
    url: str,
    secret: str,
    *,
    challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    """Send the signed ``url_verification`` handshake Slack sends for a new Request URL."""
    body = json.dumps(
        {
            "token": "deprecated-verification-token",
            "challenge": challenge,
            "type": "url_verification",
        }
    )
    return _send_signed(
        url,
        secret,
        body,
        content_type=JSON,
        timestamp=None,
        retry_num=None,
        client=client,
        timeout=timeout,
    )


def app_mention(*, user_id: str, channel_id: str, text: str, ts: str) -> dict[str, Any]:
    """An ``app_mention`` event as Slack delivers it."""
    return {
        "type": "app_mention",
        "user": user_id,
        "text": text,
        "ts": ts,
        "channel": channel_id,
        "event_ts": ts,
    }


def direct_message(*, user_id: str, channel_id: str, text: str, ts: str) -> dict[str, Any]:
    """A ``message.im`` event (a DM to the bot) as Slack delivers it."""
    return {
        "type": "message",
        "channel_type": "im",
        "user": user_id,
        "text": text,
        "ts": ts,
        "channel": channel_id,
        "event_ts": ts,
    }


def interaction(
    url: str,
    secret: str,
    payload: Mapping[str, Any],
    *,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    """Send any signed interactivity payload (shortcut, block_suggestion, a modal's action)."""
    return _send_signed(
        url,
        secret,
        payload_body(payload),
        content_type=FORM,
        timestamp=None,
        retry_num=None,
        client=client,
        timeout=timeout,
    )
