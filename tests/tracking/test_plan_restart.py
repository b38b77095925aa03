"""A plan across a kill -9: the worker that tracks the first chunk dies; the next one
submits the second chunk when the first completes, and nothing is created twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.service.types import Actor
from bot.store.db import session_scope
from bot.store.models import RequestState
from bot.store.plans import load_plan
from tests.tracking.conftest import CHANNEL, TEAM, USER
from tests.tracking.workers import kill, running_workers, stop, wait_for

pytestmark = pytest.mark.slow


def test_a_plan_resumes_after_kill_9_between_its_steps(tmp_path: Path) -> None:
    # real time, 10x: a day's run takes 1 s, a 10-day chunk about 11 s
    with running_workers(
        tmp_path,
        speed=10,
        poll_min_seconds=0.3,
        poll_max_seconds=1.0,
        tracker_lease_seconds=2.0,
        tracker_tick_seconds=0.1,
        max_backfill_days=10,
    ) as workers:
        env, sim = workers.env, workers.sim
        service = workers.service()
        actor = Actor(slack_team_id=TEAM, user_id=USER, channel_id=CHANNEL, tz="UTC")
        # the worker ticks before the chunk starts its real-time run (a slow start on a
        # loaded machine would otherwise find it finished)
        first = workers.start("worker-a.log")
        workers.wait_started("worker-a.log")
        service.handle_text(actor=actor, text="transfer 456789 from 2026-01-01 to 2026-01-20")
        with session_scope(env.session_factory) as session:
            rows = load_plan(session, plan_request_id=1)
            assert rows is not None and len(rows.steps) == 2
            first_id, second_id = (step.id for step in rows.steps)
        service.confirm(actor=actor, request_id=1)
        # the confirm or the worker's tick submits the first chunk (whichever wins)
        wait_for(lambda: len(sim.backfills()) == 1, timeout=30, what="the first create")
        assert [(b.range_start, b.range_end) for b in sim.backfills()] == [
            (date(2026, 1, 11), date(2026, 1, 20))
        ]
        wait_for(
            lambda: (
                env.state(first_id)
                in {RequestState.CREATED, RequestState.SCHEDULED, RequestState.RUNNING}
            ),
            timeout=30,
            what="the worker to observe the first chunk",
        )
        kill(first)  # between the steps: the first still running, the second QUEUED
        assert env.state(second_id) is RequestState.QUEUED
        wait_for(
            lambda: all(b.status.is_final for b in sim.backfills()),
            timeout=30,
            what="the first chunk to finish at Supermetrics",
        )
        assert len(sim.backfills()) == 1  # nobody submitted the second while no one ran

        second = workers.start("worker-b.log")
        wait_for(
            lambda: env.state(1) is RequestState.COMPLETED,
            timeout=60,
            what="the plan to complete",
        )
        assert stop(second) == 0
        assert sorted((b.range_start, b.range_end) for b in sim.backfills()) == [
            (date(2026, 1, 1), date(2026, 1, 10)),
            (date(2026, 1, 11), date(2026, 1, 20)),
        ]
        log = workers.log("worker-b.log")
        assert "Traceback" not in log, log
