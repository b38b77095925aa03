"""Two worker processes on one PostgreSQL database advance the same plans: every step is
submitted exactly once (the guarded QUEUED → SUBMITTING transition), chunks in order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.service.core import BackfillService
from bot.service.types import Actor
from bot.simulator.server import DtsSimulator, start_simulator
from bot.store.db import session_scope
from bot.store.models import RequestState
from bot.store.plans import load_plan
from tests.support.fake_slack import FakeSlack, FakeUser
from tests.tracking.conftest import CHANNEL, SM_TEAM, SM_TOKEN, TEAM, USER
from tests.tracking.workers import Gate, service_side, start_worker, stop, wait_for, wait_started

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PLANS = 8


def test_two_workers_on_postgres_never_submit_a_step_twice(
    tmp_path: Path, postgres_url: str
) -> None:
    # real time, 20x: a 2-day chunk takes about 1.5 s
    sim = DtsSimulator(clock=SystemClock(), token=SM_TOKEN, team_id=SM_TEAM, speed=20)
    sim.rate_limit = 10**9
    gates = [Gate(sim), Gate(sim)]
    fronts = [start_simulator(gate) for gate in gates]  # type: ignore[arg-type]
    slack = FakeSlack(users=[FakeUser(USER)]).start()
    processes = []
    cleanups: list[Callable[[], None]] = []
    try:
        env, worker_env = service_side(
            tmp_path,
            sim=sim,
            api_url=fronts[0].base_url,
            slack=slack,
            database_url=postgres_url,
            poll_min_seconds=0.2,
            poll_max_seconds=0.5,
            tracker_lease_seconds=3.0,
            tracker_tick_seconds=0.05,
            max_backfill_days=2,
        )
        cleanups += env.cleanups
        service = BackfillService(
            settings=env.settings,
            session_factory=env.session_factory,
            dts=env.dts,
            vault=env.vault,
            notifier=env.notifier,
            clock=SystemClock(),
        )
        actor = Actor(slack_team_id=TEAM, user_id=USER, channel_id=CHANNEL, tz="UTC")
        envs = [{**worker_env, "SUPERMETRICS_API_URL": front.base_url} for front in fronts]
        processes = [
            start_worker(envs[0], tmp_path / "worker-a.log"),
            start_worker(envs[1], tmp_path / "worker-b.log"),
        ]
        for name in ("worker-a.log", "worker-b.log"):
            wait_started(tmp_path / name)
        plan_ids = []
        for n in range(PLANS):
            first = date(2025, 1, 1) + timedelta(days=10 * n)
            last = first + timedelta(days=5)
            reply = service.handle_text(
                actor=actor, text=f"transfers 456789 and 456790 from {first} to {last}"
            )
            assert reply.request_id is not None
            plan_ids.append(reply.request_id)
        for plan_id in plan_ids:
            # confirm submits the first chunks; the workers race for every later one
            service.confirm(actor=actor, request_id=plan_id)

        def states() -> list[RequestState]:
            return [env.state(plan_id) for plan_id in plan_ids]

        wait_for(
            lambda: all(state.is_final for state in states()),
            timeout=120,
            what="every plan to end",
        )
        assert states() == [RequestState.COMPLETED] * PLANS
        created = Counter((b.transfer_id, b.range_start, b.range_end) for b in sim.backfills())
        assert len(created) == PLANS * 2 * 3  # two transfers, three 2-day chunks each
        assert set(created.values()) == {1}, "a step was submitted twice"
        with session_scope(env.session_factory) as session:
            for plan_id in plan_ids:
                rows = load_plan(session, plan_request_id=plan_id)
                assert rows is not None
                for step, link in zip(rows.steps, rows.links, strict=True):
                    if link.after_request_id is None:
                        continue
                    before = next(s for s in rows.steps if s.id == link.after_request_id)
                    # the chunk after started only once the one before had finished
                    assert before.finished_at is not None and step.submitted_at is not None
                    assert step.submitted_at >= before.finished_at
        for process in processes:
            assert stop(process) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)
        for cleanup in cleanups:
            cleanup()
        slack.stop()
        for front in fronts:
            front.stop()
