"""The announce lease: one announcer per request across threads and processes, on SQLite
and PostgreSQL, with no database transaction open while Slack is called."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import SystemClock
from bot.messages.notifier import Block, Notifier
from bot.simulator.server import DtsSimulator, start_simulator
from bot.store.db import session_scope
from bot.tracking.announce_lease import take_announce_lease
from bot.tracking.announcer import ANNOUNCE_LEASE_SECONDS, Announcer
from tests.support.fake_slack import FakeSlack, FakeUser
from tests.tracking.conftest import SM_TEAM, SM_TOKEN, USER, TrackerEnv
from tests.tracking.workers import REPO, service_side


class HeldNotifier:
    """A real notifier whose first thread reply waits, mid-call, until released."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def post(
        self,
        *,
        slack_team_id: str,
        channel: str,
        text: str,
        blocks: Sequence[Block] = (),
        thread_ts: str | None = None,
    ) -> str:
        if thread_ts is not None and not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(60), "never released"
        return self.inner.post(
            slack_team_id=slack_team_id,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
        )

    def update(
        self, *, slack_team_id: str, channel: str, ts: str, text: str, blocks: Sequence[Block] = ()
    ) -> None:
        self.inner.update(
            slack_team_id=slack_team_id, channel=channel, ts=ts, text=text, blocks=blocks
        )

    def ephemeral(
        self,
        *,
        slack_team_id: str,
        channel: str,
        user: str,
        text: str,
        blocks: Sequence[Block] = (),
    ) -> None:
        self.inner.ephemeral(
            slack_team_id=slack_team_id, channel=channel, user=user, text=text, blocks=blocks
        )


def _lease(env: TrackerEnv, request_id: int) -> tuple[str | None, object]:
    row = env.request(request_id)
    return row.announce_owner, row.announce_until


def test_a_lease_held_by_a_dead_process_is_respected_until_it_expires(env: TrackerEnv) -> None:
    sub = env.submit(flush=False)
    with session_scope(env.session_factory) as session:
        assert take_announce_lease(
            session,
            request_id=sub.request_id,
            owner="dead-process",
            now=env.clock.now(),
            seconds=ANNOUNCE_LEASE_SECONDS,
        )
    assert env.tracker.announcer.flush() == 0
    env.clock.advance(ANNOUNCE_LEASE_SECONDS - 1)
    assert env.tracker.announcer.flush(request_id=sub.request_id) == 0
    assert env.replies(sub) == []

    env.clock.advance(2)  # expired: taken over
    assert env.tracker.announcer.flush() == 1
    assert len(env.replies(sub)) == 1
    assert _lease(env, sub.request_id) == (None, None)


def test_the_lease_is_given_back_after_a_slack_failure(env: TrackerEnv) -> None:
    sub = env.submit(flush=False)
    env.slack.fail_next("chat.postMessage", "channel_not_found")
    assert env.tracker.announcer.flush() == 0
    assert _lease(env, sub.request_id) == (None, None)
    assert env.replies(sub) == []
    env.clock.advance(60)
    assert env.tracker.announcer.flush() == 1
    assert len(env.replies(sub)) == 1


def _base_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("SLACK_")}


def _announce_held(
    env: TrackerEnv, request_id: int, out: list[int]
) -> tuple[HeldNotifier, threading.Thread]:
    """Start this process's announcer on the request; it stops inside its Slack call."""
    held = HeldNotifier(env.notifier)
    announcer = Announcer(
        settings=env.settings,
        session_factory=env.session_factory,
        notifier=held,
        clock=env.clock,
        owner="this-process",
    )
    thread = threading.Thread(
        target=lambda: out.append(announcer.flush(request_id=request_id)), name="held"
    )
    thread.start()
    return held, thread


def _worker_once(worker_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """One tick of another process: ``python -m bot worker --once``."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "worker", "--once"],
        cwd=REPO,
        env={**_base_env(), **worker_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_two_processes_on_one_sqlite_file_post_a_reply_once(tmp_path: Path) -> None:
    """This process is held inside the Slack post; a worker process ticks meanwhile."""
    sim = DtsSimulator(clock=SystemClock(), token=SM_TOKEN, team_id=SM_TEAM)
    running = start_simulator(sim)
    slack = FakeSlack(users=[FakeUser(USER)]).start()
    try:
        env, worker_env = service_side(
            tmp_path,
            sim=sim,
            api_url=running.base_url,
            slack=slack,
            poll_min_seconds=600.0,
            poll_max_seconds=1200.0,
        )
        try:
            sub = env.submit(flush=False)
            results: list[int] = []
            held, thread = _announce_held(env, sub.request_id, results)
            try:
                assert held.entered.wait(30), "the announcer never reached Slack"
                # the other process: its tick has to leave the request to us
                ticked = _worker_once(worker_env)
                assert ticked.returncode == 0, ticked.stderr
                assert "tracker tick done: 0 poll(s) and announcement(s)" in ticked.stdout
                assert env.replies(sub) == []
            finally:
                held.release.set()
                thread.join(30)
            assert results == [1]
            assert len(env.replies(sub)) == 1
            assert _lease(env, sub.request_id) == (None, None)
            # and once we are done, the other process finds nothing left to say
            again = _worker_once(worker_env)
            assert "tracker tick done: 0 poll(s) and announcement(s)" in again.stdout, again
            assert len(env.replies(sub)) == 1
        finally:
            for cleanup in env.cleanups:
                cleanup()
    finally:
        slack.stop()
        running.stop()


@pytest.mark.postgres
def test_no_row_lock_or_transaction_is_held_while_slack_is_called(
    tmp_path: Path, postgres_url: str
) -> None:
    sim = DtsSimulator(clock=SystemClock(), token=SM_TOKEN, team_id=SM_TEAM)
    running = start_simulator(sim)
    slack = FakeSlack(users=[FakeUser(USER)]).start()
    try:
        env, _worker_env = service_side(
            tmp_path, sim=sim, api_url=running.base_url, slack=slack, database_url=postgres_url
        )
        try:
            sub = env.submit(flush=False)
            results: list[int] = []
            held, thread = _announce_held(env, sub.request_id, results)
            try:
                assert held.entered.wait(30), "the announcer never reached Slack"
                assert _lease(env, sub.request_id)[0] == "this-process"
                with session_scope(env.session_factory) as session:
                    # a held row lock would make NOWAIT fail at once
                    session.execute(text("SET LOCAL lock_timeout = '1s'"))
                    locked = session.execute(
                        text("SELECT id FROM backfill_requests WHERE id = :id FOR UPDATE NOWAIT"),
                        {"id": sub.request_id},
                    ).scalar_one()
                    assert locked == sub.request_id
                    # and no other announcer gets in meanwhile
                    assert not take_announce_lease(
                        session,
                        request_id=sub.request_id,
                        owner="other-process",
                        now=env.clock.now(),
                        seconds=ANNOUNCE_LEASE_SECONDS,
                    )
            finally:
                held.release.set()
                thread.join(30)
            assert results == [1]
            assert len(env.replies(sub)) == 1
            assert _lease(env, sub.request_id) == (None, None)
        finally:
            for cleanup in env.cleanups:
                cleanup()
    finally:
        slack.stop()
        running.stop()
