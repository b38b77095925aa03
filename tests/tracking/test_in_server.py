"""``serve`` runs the tracker on a thread with its own no-wait polling client."""

from __future__ import annotations

from datetime import datetime

from bot.runtime import Runtime
from bot.slack.server import start_tracker
from bot.slack.slack_notifier import build_web_client
from bot.store.db import make_engine
from bot.supermetrics.client import DtsClient
from tests.support.waiting import wait_for
from tests.tracking.conftest import TrackerEnv


def test_the_in_server_tracker_does_not_wait_or_retry_inside_a_poll(env: TrackerEnv) -> None:
    sub = env.submit()
    first_poll: datetime = env.request(sub.request_id).next_poll_at
    env.clock.advance(10)
    env.sim.inject("500", count=1)
    sleeps: list[float] = []
    # the process's shared client: retries a 5xx (sleeping first) inside the call
    shared = DtsClient.from_settings(env.settings, clock=env.clock, sleep=sleeps.append)
    engine = make_engine(env.settings.resolved_database_url())
    runtime = Runtime(
        settings=env.settings,
        engine=engine,
        session_factory=env.session_factory,
        vault=env.vault,
        dts=shared,
        clock=env.clock,
    )
    path = f"/v1/teams/1/backfills/{sub.backfill_id}"
    running = start_tracker(runtime, build_web_client(env.settings))
    try:
        # the poll is over once the lease is released with the next poll time
        wait_for(
            lambda: env.request(sub.request_id).next_poll_at > first_poll,
            timeout=30,
            what="the tracker's first poll",
        )
    finally:
        running.stop(timeout=30)
        runtime.close()
    assert not running.thread.is_alive()
    # one call: the 500 is the tracker's to handle (a failure counted, polled again later)
    assert env.sim.calls.count(("GET", path)) == 1
    assert sleeps == []
    assert env.request(sub.request_id).poll_failures == 1
    assert running.tracker.dts is running.dts and running.dts is not shared
    assert running.dts._http.is_closed  # closed with the tracker
