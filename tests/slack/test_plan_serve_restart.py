"""A 731-day plan against ``python -m bot serve`` as a real process, over signed HTTP: two
chunks, the second created only after the first completes (the test moves the
simulator's clock), and nothing created twice across a kill -9 of serve between them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from bot.clock import FrozenClock
from bot.messages import ids
from bot.store.db import session_scope
from bot.store.models import BackfillRequest, RequestState
from bot.store.queries import get_request
from tests.slack.harness import CHANNEL, REQUESTER, SECRET, TEAM
from tests.support import signing
from tests.support.ports import free_port
from tests.support.waiting import wait_for
from tests.support.world import World, build_world

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = build_world(
        tmp_path,
        # the simulator's clock starts at the real time: serve runs on the real clock,
        # and its recovery compares the two
        clock=FrozenClock(datetime.now(UTC).replace(microsecond=0)),
        slack_users=[REQUESTER],
        slack_team_id=TEAM,
        slack_signing_secret=SECRET,
    )
    try:
        built.store_token(TEAM)
        yield built
    finally:
        built.close()


def _env(world: World, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "BOT_", "DATABASE_", "SUPERMETRICS_", "POLL_"))
    }
    assert world.slack is not None
    env.update(
        BOT_DATA_DIR=str(world.settings.data_dir),
        DATABASE_URL=world.settings.resolved_database_url(),
        BOT_ENCRYPTION_KEY=world.settings.encryption_keys[0],
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN=world.slack.token,
        SLACK_API_URL=world.slack.base_url,
        SUPERMETRICS_API_URL=world.running.base_url,
        PORT=str(port),
        TRACKER_TICK_SECONDS="0.1",
        POLL_MIN_SECONDS="0.1",
        POLL_MAX_SECONDS="0.3",
        # a killed process's leases free soon (the worker restart test does the same)
        TRACKER_LEASE_SECONDS="2",
        # its announcement lease too: the kill may land while it announces the plan (the
        # lease is 12 Slack timeouts, 120 s by default, longer than the waits below)
        SLACK_TIMEOUT_SECONDS="2",
    )
    return env


def _serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def healthy() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{env['PORT']}/healthz", timeout=1).is_success
        except httpx.TransportError:
            return False

    wait_for(healthy, timeout=60, interval=0.1, what="serve to answer /healthz")
    return proc


def _maybe(world: World, request_id: int) -> BackfillRequest | None:
    with session_scope(world.session_factory) as session:
        return get_request(session, request_id=request_id)


def _row(world: World, request_id: int) -> BackfillRequest:
    row = _maybe(world, request_id)
    assert row is not None
    return row


def _finish_backfills(world: World) -> None:
    """Move the simulator's clock on until every backfill it has is final."""
    for _ in range(500):
        if all(b.status.is_final for b in world.sim.backfills()):
            return
        world.clock.advance(3600)
    raise AssertionError("the simulator's backfills never finished")


def test_731_days_in_two_chunks_survive_kill_9_of_serve(world: World, tmp_path: Path) -> None:
    env = _env(world, free_port())
    url = f"http://127.0.0.1:{env['PORT']}/slack/events"
    log = tmp_path / "serve.log"
    first = _serve(env, log)
    procs = [first]
    try:
        assert world.slack is not None
        response_url = world.slack.response_url("command", channel=CHANNEL)
        ack = signing.slash_command(
            url,
            SECRET,
            text="transfer 456789 from 2024-01-01 to 2025-12-31",
            user_id=REQUESTER.user_id,
            team_id=TEAM,
            channel_id=CHANNEL,
            response_url=response_url,
        )
        assert ack.status_code == 200
        plan = wait_for(
            lambda: (row := _maybe(world, 1)) is not None and row.message_ts and row,
            timeout=30,
            what="the plan's card",
        )
        assert plan.days == 731
        signing.block_action(
            url,
            SECRET,
            action_id=ids.ACTION_CONFIRM,
            value=str(plan.id),
            user_id=REQUESTER.user_id,
            team_id=TEAM,
            channel_id=CHANNEL,
            message_ts=plan.message_ts or "",
        )
        wait_for(
            lambda: _row(world, 2).state is RequestState.SUBMITTED,
            timeout=30,
            what="the first chunk submitted",
        )
        [chunk] = world.sim.backfills()
        assert (chunk.range_start, chunk.range_end) == (date(2024, 12, 31), date(2025, 12, 31))

        # kill -9 between the steps: the first chunk running, the second QUEUED
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert _row(world, 3).state is RequestState.QUEUED
        _finish_backfills(world)
        assert len(world.sim.backfills()) == 1  # nothing ran while serve was down

        second = _serve(env, log)
        procs.append(second)
        wait_for(lambda: len(world.sim.backfills()) == 2, timeout=60, what="the second create")
        _finish_backfills(world)
        wait_for(
            lambda: _row(world, 1).state is RequestState.COMPLETED,
            timeout=60,
            what="the plan to complete",
        )
        assert sorted((b.range_start, b.range_end) for b in world.sim.backfills()) == [
            (date(2024, 1, 1), date(2024, 12, 30)),
            (date(2024, 12, 31), date(2025, 12, 31)),
        ]
        slack = world.slack

        def ends() -> list[str]:
            thread = slack.thread(CHANNEL, plan.message_ts or "")
            return [m["text"] for m in thread if f"<@{REQUESTER.user_id}> plan" in m["text"]]

        # the plan's end is announced after it is recorded (the announcer's turn of the
        # tick, or the next): wait for the post, not for the row
        wait_for(lambda: ends(), timeout=60, what="the plan's end in its thread")
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
        text = log.read_text()
        assert "Traceback" not in text, text
        assert len(ends()) == 1, [m["text"] for m in slack.thread(CHANNEL, plan.message_ts or "")]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
