"""Where and how one person sees the bot's answer, and the one path every error takes.

Slash commands answer through their ``response_url`` (works even where the bot is not a
member), button clicks and mentions with ``chat.postEphemeral``, direct messages with a
plain message in the DM. ``Responder.report`` turns a ``BotError`` into its
``user_message`` and anything else into a logged failure with a short reference id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError as SdkSlackApiError
from slack_sdk.errors import SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.errors import BotError, CommandError
from bot.messages.blocks import error_text
from bot.messages.cards import suggestion_blocks
from bot.service import Actor, Reply, unexpected
from bot.slack.installations import TeamClients, as_team_clients
from bot.slack.slack_notifier import SlackNotifier, slack_error
from bot.slack.user_directory import SlackUser, UserDirectory

log = logging.getLogger(__name__)

Kind = Literal["command", "action", "mention", "dm", "view", "other"]


@dataclass(frozen=True)
class Where:
    """Who is asking, from where, and how to answer them privately."""

    kind: Kind
    team_id: str
    user_id: str
    channel_id: str
    response_url: str | None = None
    # the asker's own workspace as the body names it ("" when it does not), and the
    # Enterprise Grid org the app is installed in org-wide ("" when installed per workspace)
    user_team_id: str = ""
    org_install_enterprise_id: str = ""
    thread_ts: str | None = None  # a mention inside a thread


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _org_install(body: Mapping[str, Any]) -> str:
    """The enterprise id when the app is installed org-wide, else ""."""
    if body.get("is_enterprise_install") not in (True, "true"):
        return ""
    return _str(body.get("enterprise_id")) or _str(_dict(body.get("enterprise")).get("id"))


def where_from_body(body: Mapping[str, Any]) -> Where:
    """Read the asker and the channel from any Slack request body Bolt hands us."""
    org = _org_install(body)
    if "command" in body:
        return Where(
            "command",
            _str(body.get("team_id")),
            _str(body.get("user_id")),
            _str(body.get("channel_id")),
            _str(body.get("response_url")) or None,
            org_install_enterprise_id=org,
        )
    kind = body.get("type")
    if kind == "event_callback":
        event = _dict(body.get("event"))
        is_dm = event.get("channel_type") == "im"
        return Where(
            "dm" if is_dm else "mention",
            _str(body.get("team_id")),
            _str(event.get("user")),
            _str(event.get("channel")),
            user_team_id=_str(event.get("user_team")),
            org_install_enterprise_id=org,
            thread_ts=_str(event.get("thread_ts")) or None,
        )
    team = _dict(body.get("team"))
    user = _dict(body.get("user"))
    team_id = _str(team.get("id")) or _str(user.get("team_id"))
    user_team = _str(user.get("team_id"))
    if kind == "block_actions":
        channel = _str(_dict(body.get("channel")).get("id")) or _str(
            _dict(body.get("container")).get("channel_id")
        )
        return Where("action", team_id, _str(user.get("id")), channel, None, user_team, org)
    if kind == "view_submission":
        view = _dict(body.get("view"))
        return Where(
            "view", team_id, _str(user.get("id")), _channel_of_view(view), None, user_team, org
        )
    return Where("other", team_id, _str(user.get("id")), "", None, user_team, org)


def is_foreign(where: Where, user: SlackUser) -> bool:
    """Is the asker from another workspace than the request's (Slack Connect)?

    Admin rights and allow-lists are the request's workspace's; an org-wide install
    extends them to the whole Enterprise Grid org.
    """
    homes = {team for team in (where.user_team_id, user.team_id) if team}
    if not homes or homes == {where.team_id}:
        return False
    org = where.org_install_enterprise_id
    return not (org and user.enterprise_id == org)


def _channel_of_view(view: Mapping[str, Any]) -> str:
    raw = _str(view.get("private_metadata"))
    if raw.startswith("{"):
        try:
            return _str(json.loads(raw).get("c"))
        except ValueError:
            return ""
    return raw


class Responder:
    def __init__(
        self,
        *,
        client: WebClient | TeamClients,
        notifier: SlackNotifier,
        users: UserDirectory,
    ) -> None:
        self.clients = as_team_clients(client)
        self.notifier = notifier
        self.users = users

    def client_for(self, team_id: str) -> WebClient:
        """The client of ``team_id``'s bot (its installation in multi-workspace mode)."""
        return self.clients.for_team(team_id)

    def actor(self, where: Where) -> Actor:
        user = self.users.get(team_id=where.team_id, user_id=where.user_id)
        foreign = is_foreign(where, user)
        return Actor(
            slack_team_id=where.team_id,
            user_id=where.user_id,
            channel_id=where.channel_id,
            tz=user.tz,
            is_admin=user.is_admin and not foreign,
            foreign=foreign,
            thread_ts=where.thread_ts,
        )

    def dm_channel(self, team_id: str, user_id: str) -> str | None:
        """The id of the person's DM with the bot (None when Slack won't say)."""
        try:
            client = self.client_for(team_id)
            response = client.conversations_open(users=user_id)
        except (BotError, SlackClientError, OSError) as exc:
            log.info("no DM channel with %s: %s", user_id, type(exc).__name__)
            return None
        channel = response.get("channel") or {}
        found = channel.get("id") if isinstance(channel, dict) else None
        return found if isinstance(found, str) and found else None

    def open_view(self, trigger_id: str, view: Mapping[str, Any], *, team_id: str) -> None:
        """Open a modal; a Slack refusal becomes the bot's SlackApiError (shown, not logged)."""
        try:
            client = self.client_for(team_id)
            client.views_open(trigger_id=trigger_id, view=dict(view))
        except SdkSlackApiError as exc:
            raise slack_error(str(exc.response.get("error") or "")) from exc
        except (SlackClientError, OSError) as exc:
            raise slack_error("connection_error") from exc

    def show(self, where: Where, reply: Reply) -> None:
        """Show a reply to the asker (nothing when the reply is empty)."""
        if reply.is_empty or (not reply.text and not reply.blocks):
            return
        text, blocks = reply.text or " ", list(reply.blocks)
        try:
            if where.kind == "command" and where.response_url:
                WebhookClient(where.response_url, timeout=10).send(
                    text=text,
                    blocks=blocks or None,
                    response_type="ephemeral" if reply.ephemeral else "in_channel",
                    replace_original=False,
                )
            elif where.kind == "dm" or not reply.ephemeral:
                self.notifier.post(
                    slack_team_id=where.team_id, channel=where.channel_id, text=text, blocks=blocks
                )
            elif where.channel_id:
                self.notifier.ephemeral(
                    slack_team_id=where.team_id,
                    channel=where.channel_id,
                    user=where.user_id,
                    text=text,
                    blocks=blocks,
                )
            else:
                # a modal with nowhere else to answer: the bot's DM with the person
                self.notifier.post(
                    slack_team_id=where.team_id, channel=where.user_id, text=text, blocks=blocks
                )
        except (BotError, SlackClientError, OSError) as exc:
            log.warning("could not show a reply to %s: %s", where.user_id, type(exc).__name__)

    def report(self, error: BaseException, body: Mapping[str, Any]) -> None:
        """The one error path: known errors become their message, others a reference id."""
        if isinstance(error, BotError):
            log.info("user-facing error: %s", type(error).__name__)
            message = error_text(error)
        else:
            message = unexpected(error, "slack listener").user_message
        try:
            where = where_from_body(body)
        except Exception:
            log.exception("could not tell where to show an error")
            return
        if not where.user_id:
            return
        suggestion = error.suggestion if isinstance(error, CommandError) else None
        blocks = suggestion_blocks(message, suggestion) if suggestion else []
        self.show(where, Reply(text=message, blocks=blocks))
