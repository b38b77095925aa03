"""Two worker processes on one PostgreSQL database, 200 active backfills, one worker killed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.store.db import session_scope
from bot.store.models import FINAL_STATES, RequestState
from bot.store.queries import list_requests
from tests.tracking.conftest import TEAM
from tests.tracking.test_worker_restart import check_threads, settled
from tests.tracking.workers import kill, running_workers, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TRANSFERS = (456789, 456790, 456791, 456792)
BACKFILLS = 200


def test_two_workers_share_200_backfills_and_survive_losing_one(
    tmp_path: Path, postgres_url: str
) -> None:
    # real time, 10x: a 3-day backfill takes 4 s (CREATED 0.5 s, SCHEDULED 0.5 s, 1 s a day);
    # one API front per worker over the same simulated state: each can be held alone
    with running_workers(
        tmp_path,
        speed=10,
        fronts=2,
        database_url=postgres_url,
        poll_min_seconds=0.5,
        poll_max_seconds=2.0,
        progress_reply_interval_seconds=1.0,
        tracker_lease_seconds=3.0,
        tracker_tick_seconds=0.2,
        tracker_batch_size=40,
    ) as workers:
        env, sim, gates = workers.env, workers.sim, workers.gates
        sim.rate_limit = 10**9  # this test is about sharing work, not about budgets
        sim.fail_dates(456792, [date(2025, 1, 2)], error="Source API quota exceeded")
        processes = [
            workers.start("worker-a.log", front=0),
            workers.start("worker-b.log", front=1),
        ]
        workers.wait_started("worker-a.log", "worker-b.log")
        for n in range(BACKFILLS):
            transfer = TRANSFERS[n % len(TRANSFERS)]
            first = date(2025, 1, 1) + timedelta(days=3 * (n // len(TRANSFERS)))
            env.submit(first, first + timedelta(days=2), transfer_id=transfer, transfer_name=None)

        def requests() -> list[tuple[int, RequestState]]:
            with session_scope(env.session_factory) as session:
                rows = list_requests(session, slack_team_id=TEAM, limit=BACKFILLS + 10)
                return [(row.id, RequestState(row.state)) for row in rows]

        def finished() -> int:
            return sum(state in FINAL_STATES for _, state in requests())

        wait_for(lambda: finished() >= BACKFILLS // 4, timeout=40, what="a quarter to finish")
        assert gates[0].served > 0 and gates[1].served > 0  # both workers take part
        # kill worker A while it waits inside a DTS call: its claims are leased, not lost
        gates[0].close()
        wait_for(lambda: gates[0].waiting > 0, timeout=10, what="worker A to call the API")
        kill(processes[0])
        gates[0].open()
        assert finished() < BACKFILLS, "killed too late"
        served_by_b = gates[1].served

        wait_for(lambda: finished() == BACKFILLS, timeout=50, what="every backfill to finish")
        wait_for(lambda: settled(env), timeout=20, what="every announcement")
        assert gates[1].served > served_by_b
        assert stop(processes[1]) == 0
        rows = requests()
        assert len(rows) == BACKFILLS
        states = {state for _, state in rows}
        assert states == {RequestState.COMPLETED, RequestState.FAILED}
        check_threads(env, [request_id for request_id, _ in rows])
        for name in ("worker-a.log", "worker-b.log"):
            assert "Traceback" not in workers.log(name)
