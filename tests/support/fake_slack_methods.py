"""The Slack Web API methods FakeSlack answers, and the state they act on.

Split from ``fake_slack.py`` (the server, configuration, recording and fault injection)
so each module stays readable; import ``FakeSlack`` and ``FakeUser`` from there.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.support.block_kit_limits import check_message, check_view

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class FakeUser:
    """A workspace member as users.info describes them."""

    user_id: str
    name: str = ""
    tz: str = "UTC"
    tz_label: str = ""
    tz_offset: int = 0
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    # another workspace's member (Slack Connect): their home team ("" = the fake's own)
    home_team_id: str = ""
    enterprise_id: str = ""

    def as_slack(self, team_id: str) -> JsonDict:
        name = self.name or self.user_id.lower()
        extra: JsonDict = {}
        if self.enterprise_id:
            extra["enterprise_user"] = {
                "id": self.user_id,
                "enterprise_id": self.enterprise_id,
                "enterprise_name": "Fake Org",
                "is_admin": False,
                "is_owner": False,
                "teams": [self.home_team_id or team_id],
            }
        return extra | {
            "id": self.user_id,
            "team_id": self.home_team_id or team_id,
            "name": name,
            "real_name": name.title(),
            "deleted": self.deleted,
            "tz": self.tz,
            "tz_label": self.tz_label or self.tz,
            "tz_offset": self.tz_offset,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "profile": {"real_name": name.title(), "display_name": name},
        }


@dataclass
class SlackState:
    messages: dict[str, dict[str, JsonDict]] = field(default_factory=dict)
    ephemerals: list[JsonDict] = field(default_factory=list)
    views: dict[str, JsonDict] = field(default_factory=dict)
    homes: dict[tuple[str, str], JsonDict] = field(default_factory=dict)  # (team, user)


class SlackApiFault(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class SlackWebMethods:
    """The API methods, as a mixin: FakeSlack supplies the attributes declared here."""

    token: str
    team_id: str
    team_name: str
    bot_user_id: str
    bot_id: str
    _clock: Callable[[], float]
    _lock: threading.RLock
    _users: dict[str, FakeUser]
    _channel_names: dict[str, str]
    _not_in: set[str]
    _members: dict[str, set[str]]
    _usergroups: dict[str, list[str]]
    _violations: list[str]
    _state: SlackState
    _ts_base: int
    _ts_counter: itertools.count[int]
    _ids: itertools.count[int]
    _caller: Any  # the FakeTeam whose token made the call being answered (FakeOAuth)

    def _next_ts(self) -> str:
        micros = next(self._ts_counter)
        return f"{self._ts_base + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _record_violations(self, where: str, violations: list[str]) -> None:
        self._violations.extend(f"{where}: {problem}" for problem in violations)

    def _check_postable(self, args: Mapping[str, Any], method: str) -> str:
        channel = args.get("channel")
        if not isinstance(channel, str) or not channel:
            raise SlackApiFault("channel_not_found")
        if channel in self._not_in and not channel.startswith("D"):
            raise SlackApiFault("not_in_channel")
        text, blocks = args.get("text"), args.get("blocks")
        if not text and not blocks and not args.get("attachments"):
            raise SlackApiFault("no_text")
        violations = check_message(text if isinstance(text, str) else None, blocks)
        if violations:
            self._record_violations(f"{method} {channel}", violations)
            raise SlackApiFault("invalid_blocks", errors=violations)
        return channel

    def _new_message(self, ts: str, args: Mapping[str, Any], *, thread_ts: Any) -> JsonDict:
        msg: JsonDict = {
            "type": "message",
            "ts": ts,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "text": args.get("text", ""),
            "blocks": args.get("blocks") or [],
        }
        if args.get("attachments"):
            msg["attachments"] = args["attachments"]
        if isinstance(args.get("metadata"), dict):
            # kept as Slack keeps it; shown only to include_all_metadata readers
            msg["metadata"] = copy_json(args["metadata"])
        if thread_ts:
            msg["thread_ts"] = str(thread_ts)
        return msg

    def _find_message(self, args: Mapping[str, Any]) -> tuple[str, JsonDict]:
        channel, ts = args.get("channel"), args.get("ts")
        if not isinstance(channel, str) or not channel:
            raise SlackApiFault("channel_not_found")
        if not isinstance(ts, str) or not ts:
            raise SlackApiFault("message_not_found")
        msg = self._state.messages.get(channel, {}).get(ts)
        if msg is None:
            raise SlackApiFault("message_not_found")
        return channel, msg

    def _channel_info(self, channel: str) -> JsonDict:
        is_im = channel.startswith("D")
        name = self._channel_names.get(channel, channel.lower())
        return {
            "id": channel,
            "name": name,
            "is_channel": channel.startswith("C"),
            "is_group": channel.startswith("G"),
            "is_im": is_im,
            "is_private": channel.startswith("G") or is_im,
            "is_archived": False,
            "is_member": is_im or channel not in self._not_in,
            "context_team_id": self.team_id,
        }

    # ------------------------------------------------------------ API methods
    def _apps_connections_open(self, args: JsonDict) -> JsonDict:
        return {"url": getattr(self, "socket_url", "")}

    def _auth_test(self, args: JsonDict) -> JsonDict:
        if self._caller is not None:
            return dict(self.auth_test_for(self._caller, "https://fake.slack.com/"))
        return {
            "url": "https://fake.slack.com/",
            "team": self.team_name,
            "user": "backfill-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: JsonDict) -> JsonDict:
        channel = self._check_postable(args, "chat.postMessage")
        ts = self._next_ts()
        thread_ts = args.get("thread_ts")
        msg = self._new_message(ts, args, thread_ts=thread_ts)
        self._state.messages.setdefault(channel, {})[ts] = msg
        if thread_ts:
            parent = self._state.messages.get(channel, {}).get(str(thread_ts))
            if parent is not None:
                parent.setdefault("thread_ts", parent["ts"])
                parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
        return {"channel": channel, "ts": ts, "message": copy_json(msg)}

    def _chat_update(self, args: JsonDict) -> JsonDict:
        channel, msg = self._find_message(args)
        if "blocks" in args or "text" in args:
            violations = check_message(
                args.get("text", msg.get("text")), args.get("blocks", msg.get("blocks"))
            )
            if violations:
                self._record_violations(f"chat.update {channel}", violations)
                raise SlackApiFault("invalid_blocks", errors=violations)
        # Slack keeps whatever the update leaves out; an empty list removes the blocks.
        if "text" in args:
            msg["text"] = args["text"]
        if "blocks" in args:
            msg["blocks"] = args["blocks"] or []
        if "attachments" in args:
            msg["attachments"] = args["attachments"]
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": msg["ts"], "text": msg["text"], "message": copy_json(msg)}

    def _chat_post_ephemeral(self, args: JsonDict) -> JsonDict:
        channel = self._check_postable(args, "chat.postEphemeral")
        user = args.get("user")
        if not isinstance(user, str) or user not in self._users:
            raise SlackApiFault("user_not_in_channel")
        message_ts = self._next_ts()
        self._state.ephemerals.append(
            {
                "channel": channel,
                "user": user,
                "text": args.get("text", ""),
                "blocks": args.get("blocks") or [],
                "thread_ts": args.get("thread_ts"),
                "message_ts": message_ts,
            }
        )
        return {"message_ts": message_ts}

    def _chat_delete(self, args: JsonDict) -> JsonDict:
        channel, msg = self._find_message(args)
        del self._state.messages[channel][msg["ts"]]
        return {"channel": channel, "ts": msg["ts"]}

    def _store_view(self, view: Any, *, view_id: str | None, previous: JsonDict | None) -> JsonDict:
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                raise SlackApiFault("invalid_arguments") from None
        if not isinstance(view, dict):
            raise SlackApiFault("invalid_arguments")
        violations = check_view(view)
        if violations:
            self._record_violations("view", violations)
            raise SlackApiFault("invalid_arguments", response_metadata={"messages": violations})
        new_id = view_id or f"V{next(self._ids):08d}"
        stored: JsonDict = {
            "id": new_id,
            "team_id": self.team_id,
            "type": view.get("type"),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(self._clock())}.{next(self._ids)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": (previous or {}).get("root_view_id", new_id),
            "previous_view_id": None,
            "app_id": "A0FAKE",
            "bot_id": self.bot_id,
        }
        self._state.views[new_id] = stored
        return {"view": copy_json(stored)}

    def _views_open(self, args: JsonDict) -> JsonDict:
        if not args.get("trigger_id"):
            raise SlackApiFault("invalid_trigger_id")
        return self._store_view(args.get("view"), view_id=None, previous=None)

    def _views_push(self, args: JsonDict) -> JsonDict:
        if not args.get("trigger_id"):
            raise SlackApiFault("invalid_trigger_id")
        return self._store_view(args.get("view"), view_id=None, previous=None)

    def _views_update(self, args: JsonDict) -> JsonDict:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            for stored in self._state.views.values():
                if stored.get("external_id") == args["external_id"]:
                    view_id = stored["id"]
        if not isinstance(view_id, str) or view_id not in self._state.views:
            raise SlackApiFault("not_found")
        previous = self._state.views[view_id]
        if args.get("hash") and args["hash"] != previous["hash"]:
            raise SlackApiFault("hash_conflict")
        return self._store_view(args.get("view"), view_id=view_id, previous=previous)

    def _views_publish(self, args: JsonDict) -> JsonDict:
        user = args.get("user_id")
        if not isinstance(user, str) or user not in self._users:
            raise SlackApiFault("user_not_found")
        view = args.get("view")
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                raise SlackApiFault("invalid_arguments") from None
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackApiFault("invalid_arguments")
        violations = check_view(view)
        if violations:
            self._record_violations(f"views.publish {user}", violations)
            raise SlackApiFault("invalid_arguments", response_metadata={"messages": violations})
        team = getattr(self._caller, "team_id", None) or self.team_id
        stored = {**copy_json(view), "id": f"V{next(self._ids):08d}", "team_id": team}
        self._state.homes[(team, user)] = stored
        return {"view": copy_json(stored)}

    def _users_info(self, args: JsonDict) -> JsonDict:
        user = self._users.get(str(args.get("user", "")))
        if user is None:
            raise SlackApiFault("user_not_found")
        return {"user": user.as_slack(self.team_id)}

    def _conversations_info(self, args: JsonDict) -> JsonDict:
        channel = args.get("channel")
        if not isinstance(channel, str) or not channel:
            raise SlackApiFault("channel_not_found")
        return {"channel": self._channel_info(channel)}

    def _conversations_open(self, args: JsonDict) -> JsonDict:
        users = str(args.get("users") or "")
        if users not in self._users:
            raise SlackApiFault("user_not_found")
        # the bot's DM with that person: a D… id that is stable per person
        return {"channel": {"id": "D" + users[1:], "is_im": True}}

    def _conversations_members(self, args: JsonDict) -> JsonDict:
        channel = args.get("channel")
        if not isinstance(channel, str) or not channel:
            raise SlackApiFault("channel_not_found")
        listed = self._members.get(channel)
        members = sorted(self._users if listed is None else listed)
        if channel.startswith("D") or channel not in self._not_in:
            members.append(self.bot_user_id)
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def _usergroups_users_list(self, args: JsonDict) -> JsonDict:
        group = str(args.get("usergroup", ""))
        if group not in self._usergroups:
            raise SlackApiFault("no_such_subteam")
        return {"users": list(self._usergroups[group])}

    def _conversations_replies(self, args: JsonDict) -> JsonDict:
        """The parent then its replies, oldest first, paged like Slack (cursor, limit)."""
        channel, ts = args.get("channel"), args.get("ts")
        if not isinstance(channel, str) or channel not in self._state.messages:
            raise SlackApiFault("channel_not_found")
        if channel in self._not_in and not channel.startswith("D"):
            raise SlackApiFault("not_in_channel")
        found = self._state.messages[channel]
        parent = found.get(str(ts))
        if parent is None:
            raise SlackApiFault("thread_not_found")
        thread = [parent] + [
            msg for msg in found.values() if msg.get("thread_ts") == ts and msg["ts"] != ts
        ]
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        start = int(str(args.get("cursor") or "0"))
        page = thread[start : start + limit]
        with_metadata = str(args.get("include_all_metadata", "")).lower() in {"true", "1"}
        messages = []
        for msg in page:
            shown = copy_json(msg)
            if not with_metadata:
                shown.pop("metadata", None)
            messages.append(shown)
        more = start + limit < len(thread)
        return {
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _conversations_history(self, args: JsonDict) -> JsonDict:
        """Top-level messages, newest first, paged like Slack (cursor, limit)."""
        channel = args.get("channel")
        if not isinstance(channel, str) or not channel:
            raise SlackApiFault("channel_not_found")
        if channel in self._not_in and not channel.startswith("D"):
            raise SlackApiFault("not_in_channel")
        found = self._state.messages.get(channel, {})
        top = [msg for msg in found.values() if msg.get("thread_ts") in (None, msg["ts"])]
        top.reverse()
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        start = int(str(args.get("cursor") or "0"))
        with_metadata = str(args.get("include_all_metadata", "")).lower() in {"true", "1"}
        messages = []
        for msg in top[start : start + limit]:
            shown = copy_json(msg)
            if not with_metadata:
                shown.pop("metadata", None)
            messages.append(shown)
        more = start + limit < len(top)
        return {
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }


METHODS: dict[str, Callable[[SlackWebMethods, JsonDict], JsonDict]] = {
    "auth.test": SlackWebMethods._auth_test,
    "apps.connections.open": SlackWebMethods._apps_connections_open,
    "chat.postMessage": SlackWebMethods._chat_post_message,
    "chat.update": SlackWebMethods._chat_update,
    "chat.postEphemeral": SlackWebMethods._chat_post_ephemeral,
    "chat.delete": SlackWebMethods._chat_delete,
    "views.open": SlackWebMethods._views_open,
    "views.push": SlackWebMethods._views_push,
    "views.update": SlackWebMethods._views_update,
    "views.publish": SlackWebMethods._views_publish,
    "oauth.v2.access": lambda fake, args: dict(fake._oauth_v2_access(args)),
    "users.info": SlackWebMethods._users_info,
    "conversations.info": SlackWebMethods._conversations_info,
    "conversations.members": SlackWebMethods._conversations_members,
    "conversations.open": SlackWebMethods._conversations_open,
    "usergroups.users.list": SlackWebMethods._usergroups_users_list,
    "conversations.replies": SlackWebMethods._conversations_replies,
    "conversations.history": SlackWebMethods._conversations_history,
}


def copy_json(value: Any) -> Any:
    """Deep copy of JSON-shaped data, so callers cannot change the fake's state."""
    return json.loads(json.dumps(value))
