"""The bot served over real HTTP with its real peers: FakeSlack, the DTS simulator, SQLite.

``SlackHarness`` starts everything on free loopback ports and offers the requests Slack
would send (signed), plus read access to what users would see and the rows stored.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.clock import FrozenClock
from bot.messages import ids
from bot.runtime import Runtime
from bot.simulator.server import RunningSimulator
from bot.slack.server import RunningServer, WsgiApp, create_wsgi_app, serve_in_thread
from bot.slack.slack_notifier import build_web_client
from bot.store.db import session_scope
from bot.store.models import BackfillRequest, RequestEvent
from bot.store.queries import configure_workspace, list_events
from bot.supermetrics.client import DtsClient
from tests.support import signing
from tests.support.fake_slack import FakeSlack, FakeUser
from tests.support.waiting import wait_for
from tests.support.world import build_world

SECRET = "test-signing-secret"
TEAM = "T0000FAKE"
CHANNEL = "C0GENERAL"
DTS_TOKEN = "demo-token"
SM_TEAM = 1
# Long enough that a loaded machine never turns an answer into a timeout (and a refusal into
# "try again"); tests about timeouts ask for a short one.
DTS_TIMEOUT = 10.0
# 15:00 UTC on Tuesday 10 February 2026: "last month" is January 2026
START = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)

REQUESTER = FakeUser("U0ALICE", name="alice", tz="Europe/Helsinki")
OTHER = FakeUser("U0BOB", name="bob", tz="America/New_York")
ADMIN = FakeUser("U0ADMIN", name="ada", tz="UTC", is_admin=True)
# "Add to Slack" (multi-workspace mode): the app's credentials, known to the fake Slack
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret"


class SlackHarness:
    def __init__(
        self,
        tmp: Path,
        *,
        with_token: bool = True,
        dts_timeout: float = DTS_TIMEOUT,
        multi_workspace: bool = False,
        database_url: str | None = None,
        **settings: Any,
    ) -> None:
        if database_url:
            settings["database_url"] = database_url
        # multi-workspace: no SLACK_BOT_TOKEN, an OAuth client id; workspaces install the app
        oauth: dict[str, Any] = (
            {
                "slack_bot_token": "",
                "slack_client_id": CLIENT_ID,
                "slack_client_secret": CLIENT_SECRET,
            }
            if multi_workspace
            else {}
        )
        self.world = build_world(
            tmp,
            clock=FrozenClock(START),
            slack_users=[REQUESTER, OTHER, ADMIN],
            slack_team_id=TEAM,
            sim_token=DTS_TOKEN,
            sim_team_id=SM_TEAM,
            slack_signing_secret=SECRET,
            supermetrics_timeout_seconds=dts_timeout,
            supermetrics_max_retries=0,
            run_tracker_in_server=False,
            poll_min_seconds=15.0,
            **oauth,
            **settings,
        )
        assert self.world.slack is not None
        self.clock = self.world.clock
        self.sim = self.world.sim
        self.running_sim: RunningSimulator = self.world.running
        self.fake: FakeSlack = self.world.slack
        if multi_workspace:
            self.fake.configure_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        self.settings = self.world.settings
        self.key = self.settings.encryption_keys[0]
        self.runtime = Runtime(
            settings=self.settings,
            engine=self.world.engine,
            session_factory=self.world.session_factory,
            vault=self.world.vault,
            # the client's clock is the simulator's, so its create look-up lines up
            dts=DtsClient.from_settings(self.settings, clock=self.clock, sleep=lambda _s: None),
            clock=self.clock,
        )
        if with_token:
            self.store_token(DTS_TOKEN)
        self.wsgi: WsgiApp = create_wsgi_app(self.runtime, client=build_web_client(self.settings))
        self.server: RunningServer = serve_in_thread(self.wsgi, threads=8)
        self.url = f"{self.server.url}/slack/events"
        self.http = httpx.Client(timeout=10.0)
        self._ts = itertools.count(1)

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        self.wsgi.bot.close()
        self.runtime.close()
        self.world.close()

    # --- set-up -------------------------------------------------------------------------

    def store_token(self, token: str, *, team_id: int = SM_TEAM) -> None:
        self.world.store_token(TEAM, team_id=team_id, token=token)

    def configure(self, **values: Any) -> None:
        with session_scope(self.runtime.session_factory) as session:
            configure_workspace(session, slack_team_id=TEAM, now=self.clock.now(), **values)

    # --- what Slack sends -------------------------------------------------------------

    def command(
        self,
        text: str,
        *,
        user: FakeUser = REQUESTER,
        channel: str = CHANNEL,
        name: str = "command",
        team: str = TEAM,
        **kwargs: Any,
    ) -> tuple[httpx.Response, str]:
        """Send ``/backfill text``; return the ack and the response_url (posts named ``name``)."""
        response_url = self.fake.response_url(name, channel=channel)
        ack = signing.slash_command(
            self.url,
            SECRET,
            text=text,
            user_id=user.user_id,
            team_id=team,
            channel_id=channel,
            response_url=response_url,
            client=self.http,
            **kwargs,
        )
        return ack, response_url

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: FakeUser = REQUESTER,
        channel: str = CHANNEL,
        message_ts: str = "",
        client: httpx.Client | None = None,
        team: str = TEAM,
    ) -> httpx.Response:
        return signing.block_action(
            self.url,
            SECRET,
            action_id=action_id,
            value=value,
            user_id=user.user_id,
            team_id=team,
            channel_id=channel,
            message_ts=message_ts,
            client=client or self.http,
        )

    def submit_view(
        self,
        callback_id: str,
        *,
        private_metadata: str,
        values: dict[str, dict[str, dict[str, Any]]],
        user: FakeUser = REQUESTER,
        view_id: str = "V0FAKEVIEW",
    ) -> httpx.Response:
        return signing.view_submission(
            self.url,
            SECRET,
            callback_id=callback_id,
            private_metadata=private_metadata,
            values=values,
            user_id=user.user_id,
            team_id=TEAM,
            view_id=view_id,
            client=self.http,
        )

    def next_ts(self) -> str:
        return f"1770735600.{next(self._ts):06d}"

    # --- what users see and what is stored --------------------------------------------

    def request(self, request_id: int) -> BackfillRequest:
        with session_scope(self.runtime.session_factory) as session:
            row = session.get(BackfillRequest, request_id)
            assert row is not None
            session.expunge(row)
            return row

    def requests(self) -> list[BackfillRequest]:
        with session_scope(self.runtime.session_factory) as session:
            rows = list(session.query(BackfillRequest).order_by(BackfillRequest.id))
            for row in rows:
                session.expunge(row)
            return rows

    def events(self, request_id: int) -> list[RequestEvent]:
        with session_scope(self.runtime.session_factory) as session:
            rows = list_events(session, request_id=request_id)
            for row in rows:
                session.expunge(row)
            return rows

    def wait(self, probe: Any, what: str, timeout: float = 15.0) -> Any:
        return wait_for(probe, timeout=timeout, what=what)

    def wait_request(self, request_id: int, state: str, timeout: float = 15.0) -> BackfillRequest:
        return wait_for(
            lambda: row if (row := self.request(request_id)).state == state else None,
            timeout=timeout,
            what=f"request {request_id} to be {state}",
        )

    def card(self, request_id: int) -> dict[str, Any]:
        """The request's card as it looks now in the channel."""
        row = self.request(request_id)
        assert row.message_channel and row.message_ts, "no card posted"
        message = self.fake.message(row.message_channel, row.message_ts)
        assert message is not None
        return message

    def posted_card(self, count: int = 1) -> tuple[BackfillRequest, dict[str, Any]]:
        """Wait for the count-th request to have its card, return both."""

        def ready() -> BackfillRequest | None:
            rows = self.requests()
            if len(rows) >= count and rows[count - 1].message_ts:
                return rows[count - 1]
            return None

        row = wait_for(ready, what=f"card of request number {count}")
        return row, self.card(row.id)

    def response_texts(self, name: str | None = None) -> list[str]:
        posts = self.fake.responses if name is None else self.fake.responses_to(name)
        return [str(post.body.get("text", "")) for post in posts]

    def response_body(self, name: str) -> dict[str, Any]:
        """Wait for the one post to the response_url named ``name``; return its body."""
        posts = wait_for(lambda: self.fake.responses_to(name), what=f"a response to {name}")
        assert len(posts) == 1, posts
        return dict(posts[0].body)

    def ephemeral_texts(self, user: FakeUser | None = None) -> list[str]:
        return [
            str(item.get("text", ""))
            for item in self.fake.ephemerals
            if user is None or item.get("user") == user.user_id
        ]


def action_ids(message: dict[str, Any]) -> list[str]:
    found = []
    for block in message.get("blocks", []):
        if block.get("type") == "actions":
            found += [element.get("action_id") for element in block.get("elements", [])]
    return found


def block_text(message: dict[str, Any]) -> str:
    """Every text in a message's blocks, joined (for assertions on what people read)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)


@contextmanager
def harness(tmp: Path, **kwargs: Any) -> Iterator[SlackHarness]:
    h = SlackHarness(tmp, **kwargs)
    try:
        yield h
    finally:
        h.close()


__all__ = ["ADMIN", "CHANNEL", "OTHER", "REQUESTER", "TEAM", "SlackHarness", "ids"]
