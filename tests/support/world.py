"""The test world: the parts every area's harness is built from.

Settings pointing at real local peers, a migrated SQLite file, the token vault, the DTS
simulator on a loopback port (driven by a FrozenClock), the fake Slack Web API when asked for,
and the one recording notifier. Area harnesses (``tests/service``, ``tests/tracking``,
``tests/slack``) compose a ``World`` and add what only they need.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, FrozenClock
from bot.config import Settings
from bot.errors import SlackApiError
from bot.messages.notifier import Block
from bot.simulator.server import DtsSimulator, RunningSimulator, start_simulator
from bot.store.db import make_engine, make_session_factory, session_scope, upgrade_to_head
from bot.store.queries import set_workspace_token
from bot.vault import TokenVault
from tests.support.fake_slack import FakeSlack, FakeUser

DTS_TOKEN = "demo-token"
SM_TEAM = 1


@dataclass
class Post:
    """One post as the recording notifier saw it, with the (simulated) time."""

    at: datetime | None
    ts: str
    channel: str
    text: str
    thread_ts: str | None


@dataclass
class RecordingNotifier:
    """The one Notifier fake: keeps every post, update and ephemeral in memory.

    ``messages`` holds the current state of each posted message (updates applied), ``posts``
    and ``updates`` every call in order; ``fail_with`` makes the next post raise. Updating a
    message it never posted fails as Slack would, unless ``known_messages_only`` is off (the
    tracker benchmark seeds cards straight into the database).
    """

    clock: Clock | None = None
    known_messages_only: bool = True
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    fail_with: BaseException | None = None
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(
        self,
        *,
        slack_team_id: str,
        channel: str,
        text: str,
        blocks: Sequence[Block] = (),
        thread_ts: str | None = None,
    ) -> str:
        with self._lock:
            if self.fail_with is not None:
                error, self.fail_with = self.fail_with, None
                raise error
            ts = f"{next(self._ts)}.0"
            self.messages[ts] = {
                "channel": channel,
                "text": text,
                "blocks": list(blocks),
                "thread_ts": thread_ts,
            }
            at = self.clock.now() if self.clock is not None else None
            self.posts.append(Post(at, ts, channel, text, thread_ts))
            return ts

    def update(
        self, *, slack_team_id: str, channel: str, ts: str, text: str, blocks: Sequence[Block] = ()
    ) -> None:
        with self._lock:
            if ts not in self.messages:
                if self.known_messages_only:
                    raise SlackApiError(error="message_not_found")
                self.messages[ts] = {"channel": channel, "thread_ts": None}
            self.messages[ts].update(text=text, blocks=list(blocks))
            self.updates.append({"ts": ts, "text": text, "blocks": list(blocks)})

    def ephemeral(
        self,
        *,
        slack_team_id: str,
        channel: str,
        user: str,
        text: str,
        blocks: Sequence[Block] = (),
    ) -> None:
        with self._lock:
            self.ephemerals.append({"channel": channel, "user": user, "text": text})


def world_settings(
    tmp_path: Path,
    *,
    api_url: str,
    slack: FakeSlack | None = None,
    **overrides: Any,
) -> Settings:
    """Settings for a test: a SQLite file under ``tmp_path``, a fresh key, local peers."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "encryption_keys": (Fernet.generate_key().decode(),),
        "supermetrics_api_url": api_url,
    }
    if slack is not None:
        values["slack_api_url"] = slack.base_url
        values["slack_bot_token"] = slack.token
    values.update(overrides)
    return Settings(**values)


@dataclass
class World:
    clock: FrozenClock
    sim: DtsSimulator
    running: RunningSimulator
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    vault: TokenVault
    notifier: RecordingNotifier
    slack: FakeSlack | None = None

    def store_token(
        self, slack_team_id: str, *, team_id: int = SM_TEAM, token: str = DTS_TOKEN
    ) -> None:
        """Give a workspace its Supermetrics team and (encrypted) token."""
        with session_scope(self.session_factory) as session:
            set_workspace_token(
                session,
                slack_team_id=slack_team_id,
                supermetrics_team_id=team_id,
                token_ciphertext=self.vault.encrypt(token),
                set_by="test",
                now=self.clock.now(),
            )

    def close(self) -> None:
        self.engine.dispose()
        if self.slack is not None:
            self.slack.stop()
        self.running.stop()


def build_world(
    tmp_path: Path,
    *,
    clock: FrozenClock,
    slack_users: Sequence[FakeUser] | None = None,
    slack_team_id: str | None = None,
    sim_token: str = DTS_TOKEN,
    sim_team_id: int = SM_TEAM,
    **settings: Any,
) -> World:
    """Start the peers, migrate a SQLite file and open it; ``close()`` stops it all.

    ``slack_users`` (even empty) starts the fake Slack Web API with those users.
    """
    sim = DtsSimulator(clock=clock, token=sim_token, team_id=sim_team_id)
    running = start_simulator(sim)
    slack: FakeSlack | None = None
    try:
        if slack_users is not None:
            extra = {"team_id": slack_team_id} if slack_team_id else {}
            slack = FakeSlack(users=list(slack_users), **extra).start()
        config = world_settings(tmp_path, api_url=running.base_url, slack=slack, **settings)
        url = config.resolved_database_url()
        upgrade_to_head(url)
        engine = make_engine(url)
    except BaseException:
        if slack is not None:
            slack.stop()
        running.stop()
        raise
    return World(
        clock=clock,
        sim=sim,
        running=running,
        settings=config,
        engine=engine,
        session_factory=make_session_factory(engine),
        vault=TokenVault(config.encryption_keys),
        notifier=RecordingNotifier(clock),
        slack=slack,
    )
