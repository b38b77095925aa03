from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.clock import FrozenClock
from bot.config import Settings
from bot.errors import SlackApiError
from bot.messages.notifier import Block
from bot.service import BackfillService
from bot.simulator.server import DtsSimulator, RunningSimulator, start_simulator
from bot.store.db import make_engine, make_session_factory, session_scope, upgrade_to_head
from bot.store.queries import set_workspace_token
from bot.supermetrics.client import DtsClient
from bot.vault import TokenVault
from tests.slack.harness import START

TEAM = "T0SERVICE"


@dataclass
class RecordingNotifier:
    """A Notifier that keeps messages in memory; ``fail_with`` makes the next post fail."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)  # every update, in order
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
            return ts

    def update(
        self, *, slack_team_id: str, channel: str, ts: str, text: str, blocks: Sequence[Block] = ()
    ) -> None:
        with self._lock:
            if ts not in self.messages:
                raise SlackApiError(error="message_not_found")
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
        self.ephemerals.append({"channel": channel, "user": user, "text": text})


@dataclass
class ServiceWorld:
    service: BackfillService
    notifier: RecordingNotifier
    sim: DtsSimulator
    clock: FrozenClock
    session_factory: Any
    vault: TokenVault


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ServiceWorld]:
    clock = FrozenClock(START)
    sim = DtsSimulator(clock=clock)
    running: RunningSimulator = start_simulator(sim)
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        encryption_keys=(Fernet.generate_key().decode(),),
        supermetrics_api_url=running.base_url,
        supermetrics_max_retries=0,
        supermetrics_timeout_seconds=1.0,
    )
    upgrade_to_head(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    vault = TokenVault(settings.encryption_keys)
    dts = DtsClient.from_settings(settings, clock=clock, sleep=lambda _s: None)
    with session_scope(factory) as session:
        set_workspace_token(
            session,
            slack_team_id=TEAM,
            supermetrics_team_id=1,
            token_ciphertext=vault.encrypt("demo-token"),
            set_by="test",
            now=clock.now(),
        )
    notifier = RecordingNotifier()
    service = BackfillService(
        settings=settings,
        session_factory=factory,
        dts=dts,
        vault=vault,
        notifier=notifier,
        clock=clock,
    )
    try:
        yield ServiceWorld(service, notifier, sim, clock, factory, vault)
    finally:
        dts.close()
        engine.dispose()
        running.stop()
