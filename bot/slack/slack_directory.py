"""The ``Directory`` port over Slack: user groups (``usergroups.users.list``, scope
``usergroups:read``) and channel members (``conversations.members``, scopes
``channels:read`` / ``groups:read``), each cached per process for ``ttl_seconds``.

A failed lookup is not cached: groups degrade to "no members" (so nobody gains a right by
accident) and channels to "unknown" (so nothing private is shown by accident).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.errors import BotError
from bot.slack.installations import TeamClients, as_team_clients

log = logging.getLogger(__name__)

MAX_PAGES = 20  # 20 × 1000 members: more than any channel the bot is asked about


class SlackDirectory:
    def __init__(
        self,
        client: WebClient | TeamClients,
        *,
        ttl_seconds: float = 300.0,
        max_entries: int = 2000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = as_team_clients(client)  # each workspace's bot ("Add to Slack")
        self._ttl = ttl_seconds
        self._max = max_entries
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str, str], tuple[float, frozenset[str]]] = OrderedDict()

    def group_members(self, *, slack_team_id: str, group_id: str) -> frozenset[str]:
        found = self._cached(
            ("group", slack_team_id, group_id), lambda: self._group(slack_team_id, group_id)
        )
        return found if found is not None else frozenset()

    def channel_members(self, *, slack_team_id: str, channel_id: str) -> frozenset[str] | None:
        return self._cached(
            ("channel", slack_team_id, channel_id),
            lambda: self._channel(slack_team_id, channel_id),
        )

    def _cached(
        self, key: tuple[str, str, str], fetch: Callable[[], frozenset[str] | None]
    ) -> frozenset[str] | None:
        now = self._monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                self._cache.move_to_end(key)
                return hit[1]
        value = fetch()
        if value is None:
            return None
        with self._lock:
            self._cache[key] = (now + self._ttl, value)
            self._cache.move_to_end(key)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return value

    def _group(self, team_id: str, group_id: str) -> frozenset[str] | None:
        try:
            client = self._clients.for_team(team_id)
            response = client.usergroups_users_list(usergroup=group_id)
        except (BotError, SlackClientError, OSError) as exc:
            log.warning("usergroups.users.list for %s failed: %s", group_id, type(exc).__name__)
            return None
        users: Any = response.get("users")
        return frozenset(str(u) for u in users) if isinstance(users, list) else None

    def _channel(self, team_id: str, channel_id: str) -> frozenset[str] | None:
        members: set[str] = set()
        cursor = ""
        for _ in range(MAX_PAGES):
            try:
                client = self._clients.for_team(team_id)
                response = client.conversations_members(
                    channel=channel_id, limit=1000, cursor=cursor or None
                )
            except (BotError, SlackClientError, OSError) as exc:
                log.warning(
                    "conversations.members for %s failed: %s", channel_id, type(exc).__name__
                )
                return None
            page: Any = response.get("members")
            if not isinstance(page, list):
                return None
            members.update(str(m) for m in page)
            meta: Any = response.get("response_metadata") or {}
            cursor = str(meta.get("next_cursor") or "") if isinstance(meta, dict) else ""
            if not cursor:
                break
        return frozenset(members)
