"""How the DTS simulator and client scale: 10,000 tracked backfills.

Prints figures; asserts nothing about speed (that belongs here, not in tests).
Run: .venv/bin/python benchmarks/dts_simulator_bench.py [--backfills 10000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from bot.clock import FrozenClock
from bot.simulator.server import DtsSimulator, start_simulator
from bot.supermetrics.client import DtsClient
from bot.supermetrics.models import Transfer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backfills", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2_000)
    args = parser.parse_args()

    clock = FrozenClock(datetime(2024, 6, 1, tzinfo=UTC))
    transfers = [Transfer(100_000 + i, f"Transfer {i}", "ACTIVE") for i in range(50)]
    sim = DtsSimulator(clock=clock, transfers=transfers, rate_limit=10**9)
    base = date(2000, 1, 1)

    started = time.perf_counter()
    ids = []
    for i in range(args.backfills):
        transfer = transfers[i % len(transfers)].transfer_id
        day = base + timedelta(days=(i // len(transfers)) * 8)
        ids.append(sim.create(transfer, day, day + timedelta(days=6)).backfill_id)
    create_s = time.perf_counter() - started
    print(
        f"create {args.backfills} backfills (overlap-checked): {create_s:.2f} s "
        f"({args.backfills / create_s:,.0f}/s)"
    )

    started = time.perf_counter()
    snapshots = sim.backfills()
    print(f"snapshot all {len(snapshots)}: {(time.perf_counter() - started) * 1000:.1f} ms")

    clock.advance(45)  # all RUNNING
    with start_simulator(sim) as running, DtsClient(base_url=running.base_url, clock=clock) as dts:
        team = dts.team(team_id=1, token="demo-token")
        latencies = []
        for n in range(args.requests):
            t0 = time.perf_counter()
            team.get_backfill(backfill_id=ids[(n * 7919) % len(ids)])
            latencies.append(time.perf_counter() - t0)
        latencies.sort()
        total = sum(latencies)
        print(
            f"GET backfill over loopback x{args.requests}: {args.requests / total:,.0f} req/s, "
            f"p50 {statistics.median(latencies) * 1000:.2f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.2f} ms"
        )

        t0 = time.perf_counter()
        listed = team.list_incomplete_backfills()
        print(
            f"list incomplete with {len(ids)} open: {len(listed)} returned in "
            f"{(time.perf_counter() - t0) * 1000:.1f} ms"
        )

        t0 = time.perf_counter()
        team.create_backfill(
            transfer_id=transfers[0].transfer_id,
            range_start=date(2099, 1, 1),
            range_end=date(2099, 1, 31),
        )
        print(
            f"create over loopback with {len(ids)} existing: "
            f"{(time.perf_counter() - t0) * 1000:.1f} ms"
        )

    clock.advance(86400)  # all COMPLETED: the list prunes them lazily
    t0 = time.perf_counter()
    first = sim.handle("GET", "/v1/teams/1/backfills", {"authorization": "Bearer demo-token"}, b"")
    t1 = time.perf_counter()
    sim.handle("GET", "/v1/teams/1/backfills", {"authorization": "Bearer demo-token"}, b"")
    t2 = time.perf_counter()
    print(
        f"list after all finished: first {(t1 - t0) * 1000:.1f} ms (prunes), "
        f"then {(t2 - t1) * 1000:.2f} ms; status {first.status}"
    )


if __name__ == "__main__":
    main()
