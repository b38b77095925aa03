"""The tick loop: survives a broken tick, stops promptly when told."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from bot.messages.notifier import Block
from bot.service.background import attach_recovery
from bot.slack.slack_notifier import SlackNotifier
from bot.tracking.tracker import Tracker
from tests.tracking.conftest import TrackerEnv
from tests.tracking.workers import wait_for


class BreaksOnce:
    """A notifier whose first post fails with a bug-like error (not a Slack error)."""

    def __init__(self, inner: SlackNotifier) -> None:
        self.inner = inner
        self.broken = False

    def post(
        self,
        *,
        slack_team_id: str,
        channel: str,
        text: str,
        blocks: Sequence[Block] = (),
        thread_ts: str | None = None,
    ) -> str:
        if not self.broken:
            self.broken = True
            raise RuntimeError("a bug in a tick")
        return self.inner.post(
            slack_team_id=slack_team_id,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
        )

    def update(self, **kwargs: Any) -> None:
        self.inner.update(**kwargs)

    def ephemeral(self, **kwargs: Any) -> None:
        self.inner.ephemeral(**kwargs)


@pytest.mark.parametrize("tracker_settings_overrides", [{"tracker_tick_seconds": 0.05}])
def test_run_forever_survives_a_failing_tick_and_stops_when_asked(
    env: TrackerEnv, caplog: pytest.LogCaptureFixture
) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3), flush=False)
    tracker = attach_recovery(
        Tracker(
            settings=env.settings,
            session_factory=env.session_factory,
            dts=env.dts,
            vault=env.vault,
            notifier=BreaksOnce(env.notifier),
            clock=env.clock,
            owner="loop",
        )
    )
    stop = threading.Event()
    thread = threading.Thread(target=tracker.run_forever, args=(stop,))
    thread.start()
    try:
        wait_for(lambda: len(env.replies(sub)) == 1, timeout=20, what="the first reply")
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert "tracker tick failed" in caplog.text
    assert env.replies(sub)[0].startswith(f"Backfill #{sub.backfill_id} submitted by")
