"""Two worker processes on one PostgreSQL database advance the same plans: every step is
submitted exactly once (the guarded QUEUED → SUBMITTING transition), chunks in order."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.service.types import Actor
from bot.store.db import session_scope
from bot.store.models import RequestState
from bot.store.plans import load_plan
from tests.tracking.conftest import CHANNEL, TEAM, USER
from tests.tracking.workers import running_workers, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PLANS = 8


def test_two_workers_on_postgres_never_submit_a_step_twice(
    tmp_path: Path, postgres_url: str
) -> None:
    # real time, 20x: a 2-day chunk takes about 1.5 s
    with running_workers(
        tmp_path,
        speed=20,
        fronts=2,
        database_url=postgres_url,
        poll_min_seconds=0.2,
        poll_max_seconds=0.5,
        tracker_lease_seconds=3.0,
        tracker_tick_seconds=0.05,
        max_backfill_days=2,
    ) as workers:
        env, sim = workers.env, workers.sim
        sim.rate_limit = 10**9
        service = workers.service()
        actor = Actor(slack_team_id=TEAM, user_id=USER, channel_id=CHANNEL, tz="UTC")
        processes = [
            workers.start("worker-a.log", front=0),
            workers.start("worker-b.log", front=1),
        ]
        workers.wait_started("worker-a.log", "worker-b.log")
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
