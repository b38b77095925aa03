"""Who a Slack user is, for "today" and for admin checks: ``users.info``, cached per process.

Entries live ``ttl_seconds`` (timezones and admin flags rarely change); a failed lookup
is not cached, and degrades to "no timezone, not an admin" so a request still works.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.errors import BotError
from bot.observability import metrics
from bot.slack.installations import TeamClients, as_team_clients

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackUser:
    user_id: str
    tz: str | None
    is_admin: bool
    is_bot: bool = False
    # the user's home workspace and Enterprise Grid org: in a channel shared between
    # workspaces (Slack Connect) they may differ from the request's
    team_id: str = ""
    enterprise_id: str = ""


class UserDirectory:
    def __init__(
        self,
        client: WebClient | TeamClients,
        *,
        ttl_seconds: float = 600.0,
        max_entries: int = 5000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = as_team_clients(client)
        self._ttl = ttl_seconds
        self._max = max_entries
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], tuple[float, SlackUser]] = OrderedDict()

    def get(self, *, team_id: str, user_id: str) -> SlackUser:
        key = (team_id, user_id)
        now = self._monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                self._cache.move_to_end(key)
                return hit[1]
        user = self._fetch(team_id, user_id)
        if user is None:
            return SlackUser(user_id=user_id, tz=None, is_admin=False)
        with self._lock:
            self._cache[key] = (now + self._ttl, user)
            self._cache.move_to_end(key)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return user

    def _fetch(self, team_id: str, user_id: str) -> SlackUser | None:
        try:
            client = self._clients.for_team(team_id)
            response = client.users_info(user=user_id)
        except SlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            metrics.current().slack_call("users.info", str(code or "unknown_error"))
            log.warning("users.info for %s failed: %s", user_id, code)
            return None
        except BotError as exc:
            # the workspace has no installation (any more): no Slack call was made
            log.warning("users.info for %s: %s", user_id, type(exc).__name__)
            return None
        except (SlackClientError, OSError) as exc:
            metrics.current().slack_call("users.info", "connection_error")
            log.warning("users.info for %s failed: %s", user_id, type(exc).__name__)
            return None
        metrics.current().slack_call("users.info", "ok")
        data: Any = response.get("user")
        if not isinstance(data, dict):
            return None
        tz = data.get("tz")
        return SlackUser(
            user_id=user_id,
            tz=tz if isinstance(tz, str) and tz else None,
            is_admin=bool(
                data.get("is_admin") or data.get("is_owner") or data.get("is_primary_owner")
            ),
            is_bot=bool(data.get("is_bot")),
            team_id=str(data.get("team_id") or ""),
            enterprise_id=str((data.get("enterprise_user") or {}).get("enterprise_id") or ""),
        )
