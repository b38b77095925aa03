from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.service import BackfillService
from bot.simulator.server import DtsSimulator
from bot.supermetrics.client import DtsClient
from bot.vault import TokenVault
from tests.slack.harness import START
from tests.support.world import RecordingNotifier, build_world

TEAM = "T0SERVICE"


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
    base = build_world(
        tmp_path,
        clock=FrozenClock(START),
        supermetrics_max_retries=0,
        supermetrics_timeout_seconds=10.0,  # never a timeout on a loaded machine
    )
    dts = DtsClient.from_settings(base.settings, clock=base.clock, sleep=lambda _s: None)
    base.store_token(TEAM)
    service = BackfillService(
        settings=base.settings,
        session_factory=base.session_factory,
        dts=dts,
        vault=base.vault,
        notifier=base.notifier,
        clock=base.clock,
    )
    try:
        yield ServiceWorld(
            service, base.notifier, base.sim, base.clock, base.session_factory, base.vault
        )
    finally:
        dts.close()
        base.close()
