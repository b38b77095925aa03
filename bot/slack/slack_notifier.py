"""The Slack side of ``bot.messages.notifier.Notifier``: Web API calls through slack_sdk.

``build_web_client`` is the one place the WebClient is configured (base URL, token,
retry handlers), so the service, the tracker and the Bolt app talk to Slack alike.
``SlackNotifier`` translates every slack_sdk failure into ``bot.errors.SlackApiError``
with Slack's error code kept in ``.error``, so callers branch on codes such as
``message_not_found`` or ``not_in_channel`` without importing slack_sdk.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError as SdkSlackApiError
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.errors import SlackApiError
from bot.messages.notifier import Block
from bot.observability import metrics
from bot.slack.installations import TeamClients, as_team_clients

log = logging.getLogger(__name__)

# the metadata type of the bot's thread replies (their marker is the announced event)
MARKER_EVENT_TYPE = "backfill_bot_announcement"
# a thread holds at most a few dozen replies; enough pages for any
_MAX_REPLY_PAGES = 10

# Slack error codes the bot meets in practice, and what a person can do about them.
_ERROR_MESSAGES: dict[str, str] = {
    "not_in_channel": "The bot is not in that channel. Invite it with `/invite @backfill-bot`.",
    "channel_not_found": (
        "Slack can't find that channel, or the bot can't see it. Invite the bot to the channel."
    ),
    "is_archived": "That channel is archived, so the bot can't post there.",
    "message_not_found": "The Slack message the bot wanted to change no longer exists.",
    "cant_update_message": "Slack doesn't let the bot change that message.",
    "ratelimited": "Slack is rate limiting the bot. It will try again shortly.",
    "invalid_auth": "Slack rejected the bot token. Check SLACK_BOT_TOKEN.",
    "not_authed": "No Slack bot token is configured. Set SLACK_BOT_TOKEN.",
    "account_inactive": "The bot's Slack token was revoked. Reinstall the app.",
    "token_revoked": "The bot's Slack token was revoked. Reinstall the app.",
    "invalid_blocks": "Slack refused the message layout (invalid_blocks).",
    "msg_too_long": "The message was too long for Slack.",
    "user_not_in_channel": "That user is not in the channel, so they can't see the message.",
    "connection_error": "Slack could not be reached. The bot will try again.",
}


def build_web_client(settings: Settings, *, token: str | None = None) -> WebClient:
    """Return a WebClient for Slack (or the fake) with retries on 429, 5xx and resets.

    Its token is ``SLACK_BOT_TOKEN`` unless another is given (a workspace's installation).
    """
    return WebClient(
        token=token or settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=settings.slack_timeout_seconds,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
    )


def _retry_after(exc: SdkSlackApiError) -> float | None:
    """A 429's Retry-After in seconds (None when absent or not a number)."""
    response = exc.response
    if response is None or getattr(response, "status_code", None) != 429:
        return None
    headers = getattr(response, "headers", None) or {}
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        return max(0.0, float(str(raw)))
    except ValueError:
        return None


def slack_error(code: str | None) -> SlackApiError:
    """Return the bot's SlackApiError for a Slack error code, with a helpful message."""
    code = code or "unknown_error"
    message = _ERROR_MESSAGES.get(code, f"Slack refused a call from the bot ({code}).")
    return SlackApiError(message, error=code)


class SlackNotifier:
    """Posts and updates messages through the Slack Web API, as the workspace's own bot."""

    def __init__(self, client: WebClient | TeamClients) -> None:
        self._clients = as_team_clients(client)

    def post(
        self,
        *,
        slack_team_id: str,
        channel: str,
        text: str,
        blocks: Sequence[Block] = (),
        thread_ts: str | None = None,
    ) -> str:
        return self._post(slack_team_id, channel, text, blocks, thread_ts)

    def post_marked(
        self,
        *,
        slack_team_id: str,
        channel: str,
        text: str,
        blocks: Sequence[Block],
        thread_ts: str | None,
        marker: str,
    ) -> str:
        metadata = {"event_type": MARKER_EVENT_TYPE, "event_payload": {"marker": marker}}
        return self._post(slack_team_id, channel, text, blocks, thread_ts, metadata=metadata)

    def _post(
        self,
        team_id: str,
        channel: str,
        text: str,
        blocks: Sequence[Block],
        thread_ts: str | None,
        *,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """``chat.postMessage``; the message's ts, which Slack must return."""
        kwargs: dict[str, Any] = {"channel": channel, "text": text}
        if metadata is not None:
            kwargs["metadata"] = metadata
        if blocks:
            kwargs["blocks"] = list(blocks)
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        data = self._call(team_id, "chat.postMessage", kwargs)
        ts = data.get("ts")
        if not isinstance(ts, str) or not ts:
            raise slack_error("missing_ts")
        return ts

    def find_marked(
        self, *, slack_team_id: str, channel: str, thread_ts: str | None, marker: str
    ) -> str | None:
        cursor = ""
        for _ in range(_MAX_REPLY_PAGES if thread_ts else 1):
            params: dict[str, Any] = {
                "channel": channel,
                "include_all_metadata": "true",
                # the channel's newest messages: a card just posted is among them
                "limit": 200 if thread_ts else 50,
            }
            if thread_ts:
                params["ts"] = thread_ts
            if cursor:
                params["cursor"] = cursor
            method = "conversations.replies" if thread_ts else "conversations.history"
            data = self._call(slack_team_id, method, params, form=True)
            for message in data.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == MARKER_EVENT_TYPE
                    and payload.get("marker") == marker
                ):
                    return str(message.get("ts") or "") or None
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        return None

    def update(
        self,
        *,
        slack_team_id: str,
        channel: str,
        ts: str,
        text: str,
        blocks: Sequence[Block] = (),
    ) -> None:
        # an empty list clears the blocks, so a card can turn into plain text
        self._call(
            slack_team_id,
            "chat.update",
            {"channel": channel, "ts": ts, "text": text, "blocks": list(blocks)},
        )

    def ephemeral(
        self,
        *,
        slack_team_id: str,
        channel: str,
        user: str,
        text: str,
        blocks: Sequence[Block] = (),
    ) -> None:
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if blocks:
            kwargs["blocks"] = list(blocks)
        self._call(slack_team_id, "chat.postEphemeral", kwargs)

    def publish_home(self, *, slack_team_id: str, user: str, view: dict[str, Any]) -> None:
        """Show ``view`` as ``user``'s App Home tab."""
        self._call(slack_team_id, "views.publish", {"user_id": user, "view": view})

    def _call(
        self, team_id: str, method: str, kwargs: dict[str, Any], *, form: bool = False
    ) -> dict[str, Any]:
        """Call one Web API method as the workspace's bot; translate slack_sdk failures here.

        Read methods (``conversations.replies``) take form parameters, not JSON.
        """
        client = self._clients.for_team(team_id)
        try:
            if form:
                response = client.api_call(method, data=kwargs)
            else:
                response = client.api_call(method, json=kwargs)
        except SdkSlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            metrics.current().slack_call(method, str(code or "unknown_error"))
            log.warning("slack %s failed: %s", method, code)
            error = slack_error(str(code) if code else None)
            error.retry_after = _retry_after(exc)
            raise error from exc
        except (SlackClientError, URLError, OSError) as exc:
            metrics.current().slack_call(method, "connection_error")
            log.warning("slack %s failed: %s", method, type(exc).__name__)
            raise slack_error("connection_error") from exc
        data = response.data
        if not isinstance(data, dict):
            metrics.current().slack_call(method, "invalid_response")
            raise slack_error("invalid_response")
        metrics.current().slack_call(method, "ok")
        return data
