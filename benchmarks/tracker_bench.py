"""Tracking 10,000 active backfills: DTS calls per backfill per hour, database time per
polling tick, and the lag from a status change in the simulator to its announcement.

Not a test: it prints figures.  Simulated time: a FrozenClock drives the DTS simulator
and the tracker; each tick advances it by TRACKER_TICK_SECONDS, as if every tick kept up
(the wall time a tick really takes is printed beside, so you can see whether it would).
The backfills were submitted up to 40 minutes before the start, so they are in every
phase; lags count only changes that happened while the tracker ran.
The simulator is reached in-process through an httpx transport (``--http`` serves it on
loopback instead); announcements go to an in-memory notifier, so the Slack side costs
nothing here and the figures are the tracker's and the database's own.

    .venv/bin/python benchmarks/tracker_bench.py                      # 10k, SQLite, 15 min
    .venv/bin/python benchmarks/tracker_bench.py --backfills 2000 --minutes 60
    .venv/bin/python benchmarks/tracker_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from bot.clock import FrozenClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.service.background import attach_recovery  # noqa: E402
from bot.simulator.server import DtsSimulator, start_simulator  # noqa: E402
from bot.store.db import (  # noqa: E402
    make_engine,
    make_session_factory,
    session_scope,
    upgrade_to_head,
)
from bot.store.models import (  # noqa: E402
    FINAL_STATES,
    TRACKED_STATES,
    BackfillRequest,
    RequestState,
)
from bot.store.queries import (  # noqa: E402
    create_request,
    set_workspace_token,
    transition,
    update_request,
)
from bot.supermetrics.models import Transfer  # noqa: E402
from bot.tracking.polling_client import build_polling_client  # noqa: E402
from bot.tracking.tracker import Tracker  # noqa: E402
from bot.vault import TokenVault  # noqa: E402
from tests.support.world import RecordingNotifier  # noqa: E402

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOKEN = "bench-token"
STATUS_MARKERS = {
    "SCHEDULED": "is scheduled",
    "RUNNING": "is running",
    "COMPLETED": "completed",
    "FAILED": "failed",
}


class SimTransport(httpx.BaseTransport):
    """The simulator answered in-process: the same requests and answers, no sockets."""

    def __init__(self, sim: DtsSimulator) -> None:
        self.sim = sim

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {key.lower(): value for key, value in request.headers.items()}
        answer = self.sim.handle(
            request.method, request.url.raw_path.decode(), headers, request.read()
        )
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)


def count_active(factory: Any) -> int:
    """Requests the tracker still follows."""
    with session_scope(factory) as session:
        return (
            session.scalar(
                select(func.count()).where(BackfillRequest.state.in_(list(TRACKED_STATES)))
            )
            or 0
        )


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def seed(
    factory: Any,
    sim: DtsSimulator,
    vault: TokenVault,
    clock: FrozenClock,
    count: int,
    transfers: int,
    rng: random.Random,
) -> dict[str, dict[str, Any]]:
    """Create ``count`` submitted requests and their backfills; return them by card ts."""
    now = clock.now()
    with session_scope(factory) as session:
        set_workspace_token(
            session,
            slack_team_id="T1",
            supermetrics_team_id=1,
            token_ciphertext=vault.encrypt(TOKEN),
            set_by="U1",
            now=now,
        )
    by_card: dict[str, dict[str, Any]] = {}
    for chunk_start in range(0, count, 500):
        with session_scope(factory) as session:
            for n in range(chunk_start, min(count, chunk_start + 500)):
                transfer_id = 500000 + n % transfers
                days = rng.randint(3, 14)
                first = date(2024, 1, 1) + timedelta(days=15 * (n // transfers))
                last = first + timedelta(days=days - 1)
                # every backfill has its own pace: runs of 1-10 minutes, queues of 0.5-5 min
                sim.seconds_per_run = rng.uniform(60, 600)
                sim.schedule_delay = rng.uniform(30, 150)
                sim.start_delay = rng.uniform(30, 150)
                # active backfills are in every phase: submitted up to 40 minutes ago
                submitted = now - timedelta(seconds=rng.uniform(0, 2400))
                clock.set(submitted)
                backfill = sim.create(transfer_id, first, last)
                clock.set(now)
                row = create_request(
                    session,
                    slack_team_id="T1",
                    channel_id="C1",
                    user_id="U1",
                    user_tz="UTC",
                    text=f"transfer {transfer_id} from {first} to {last}",
                    transfer_id=transfer_id,
                    transfer_name=None,
                    range_start=first,
                    range_end=last,
                    days=days,
                    notes=[],
                    now=now,
                    expires_at=now + timedelta(hours=24),
                )
                ts = f"1{n:09d}.000100"
                update_request(
                    session,
                    request_id=row.id,
                    now=now,
                    values={"message_channel": "C1", "message_ts": ts, "confirmed_by": "U1"},
                )
                transition(
                    session,
                    request_id=row.id,
                    expected=RequestState.PENDING,
                    to=RequestState.SUBMITTED,
                    actor="U1",
                    now=now,
                    # its first reply was the service's, at submission
                    announce=False,
                    values={
                        "submitted_at": submitted,
                        "backfill_id": backfill.backfill_id,
                        "dts_status": backfill.status.value,
                        "runs_total": backfill.runs_total,
                        "next_poll_at": now + timedelta(seconds=rng.uniform(0, 15)),
                    },
                )
                record = sim._records[backfill.backfill_id]  # the simulator's own timetable
                created = record.created_at
                by_card[ts] = {
                    "request_id": row.id,
                    "SCHEDULED": created + timedelta(seconds=record.schedule_at / record.speed),
                    "RUNNING": created + timedelta(seconds=record.start_at / record.speed),
                    "end": created
                    + timedelta(
                        seconds=(record.start_at + record.total * record.seconds_per_run)
                        / record.speed
                    ),
                }
    return by_card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backfills", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=15.0, help="simulated minutes")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="simulated minutes before steady-state figures"
    )
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--batch", type=int, default=500, help="TRACKER_BATCH_SIZE")
    parser.add_argument("--tick", type=float, default=1.0, help="TRACKER_TICK_SECONDS")
    parser.add_argument("--http", action="store_true", help="serve the simulator on loopback")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    clock = FrozenClock(START)
    transfers = max(1, args.backfills // 20)
    sim = DtsSimulator(
        clock=clock,
        token=TOKEN,
        team_id=1,
        transfers=[Transfer(500000 + n, f"Bench {n}", "ACTIVE") for n in range(transfers)],
        rate_limit=10**9,  # one workspace here; budgets are covered by the tests
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url
        schema = None
        if url.startswith("postgresql"):
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            import psycopg

            admin = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
            admin.execute(f'CREATE SCHEMA "{schema}"')
            url = f"{url}?options=-csearch_path%3D{schema}"
        url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(
            data_dir=Path(tmp),
            database_url=url,
            encryption_keys=(Fernet.generate_key().decode(),),
            tracker_batch_size=args.batch,
            tracker_tick_seconds=args.tick,
        )
        upgrade_to_head(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        vault = TokenVault(settings.encryption_keys)
        running = None
        if args.http:
            running = start_simulator(sim)
            dts = build_polling_client(
                settings.with_overrides(supermetrics_api_url=running.base_url), clock=clock
            )
        else:
            dts = build_polling_client(
                settings.with_overrides(supermetrics_api_url="http://sim.invalid/v1"),
                transport=SimTransport(sim),
                clock=clock,
            )
        notifier = RecordingNotifier(clock, known_messages_only=False)
        tracker = attach_recovery(
            Tracker(
                settings=settings,
                session_factory=factory,
                dts=dts,
                vault=vault,
                notifier=notifier,
                clock=clock,
                owner="bench",
            )
        )
        print(
            f"seeding {args.backfills} submitted backfills "
            f"({'PostgreSQL' if schema else 'SQLite'})…",
            flush=True,
        )
        started = time.perf_counter()
        cards = seed(factory, sim, vault, clock, args.backfills, transfers, rng)
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
        calls_before = len(sim.calls)

        ticks = int(args.minutes * 60 / args.tick)
        warmup_ticks = int(args.warmup * 60 / args.tick)
        warmup_end = START + timedelta(minutes=args.warmup)
        calls_at_warmup = calls_before
        active_at_warmup = args.backfills
        tick_wall: list[float] = []
        tick_db: list[float] = []
        polled = 0
        wall_started = time.perf_counter()
        for n in range(ticks):
            if n == warmup_ticks:
                calls_at_warmup = len(sim.calls)
                active_at_warmup = count_active(factory)
            clock.advance(args.tick)
            t0 = time.perf_counter()
            tracker.run_once()
            tick_wall.append(time.perf_counter() - t0)
            tick_db.append(tracker.last_tick.db_seconds)
            polled += tracker.last_tick.polled
            if n % max(1, ticks // 10) == 0:
                elapsed = time.perf_counter() - wall_started
                print(
                    f"  t+{(n + 1) * args.tick / 60:5.1f} min: {polled} polls, "
                    f"{len(notifier.posts)} replies, wall {elapsed:.0f} s",
                    flush=True,
                )
        wall = time.perf_counter() - wall_started
        calls = len(sim.calls) - calls_before
        steady_calls = len(sim.calls) - calls_at_warmup

        # lag: from the simulator's own change time to the reply in the thread
        lags: dict[str, list[float]] = {key: [] for key in ("SCHEDULED", "RUNNING", "end")}
        steady_lags: list[float] = []
        for post in notifier.posts:
            info = cards.get(post.thread_ts or "")
            if info is None or "submitted by" in post.text:
                continue
            for status, marker in STATUS_MARKERS.items():
                if marker in post.text:
                    key = status if status in ("SCHEDULED", "RUNNING") else "end"
                    if info[key] < START:
                        break  # it changed before the tracker was started: not a lag
                    lag = (post.at - info[key]).total_seconds()
                    lags[key].append(lag)
                    if info[key] >= warmup_end:
                        steady_lags.append(lag)
                    break
        with session_scope(factory) as session:
            final = (
                session.scalar(
                    select(func.count()).where(BackfillRequest.state.in_(list(FINAL_STATES)))
                )
                or 0
            )
        hours = args.minutes / 60
        steady_hours = (args.minutes - args.warmup) / 60
        all_lags = [value for values in lags.values() for value in values]
        rows = [
            ("backfills tracked", f"{args.backfills} ({final} finished during the run)"),
            ("batch per tick", f"{args.batch} (TRACKER_BATCH_SIZE)"),
            ("simulated time", f"{args.minutes:g} min in {ticks} ticks of {args.tick:g} s"),
            ("wall time", f"{wall:.1f} s ({wall / ticks * 1000:.1f} ms per tick)"),
            (
                "DTS calls",
                f"{calls} = {calls / args.backfills / hours:.1f} per backfill per hour overall",
            ),
        ]
        if steady_hours > 0:
            # per backfill still active: the average of the counts at both ends
            active = max((active_at_warmup + count_active(factory)) / 2, 1)
            rate = steady_calls / active / steady_hours
            rows.append(
                (f"  after {args.warmup:g} min warm-up", f"{rate:.1f} per active backfill per hour")
            )
        rows += [
            (
                "tick wall time",
                f"p50 {percentile(tick_wall, 0.5) * 1000:.1f} ms, "
                f"p99 {percentile(tick_wall, 0.99) * 1000:.1f} ms, "
                f"max {max(tick_wall) * 1000:.1f} ms",
            ),
            (
                "tracker DB time per tick",
                f"p50 {percentile(tick_db, 0.5) * 1000:.1f} ms, "
                f"p99 {percentile(tick_db, 0.99) * 1000:.1f} ms, "
                f"mean {statistics.fmean(tick_db) * 1000:.1f} ms",
            ),
            ("thread replies / card updates", f"{len(notifier.posts)} / {len(notifier.updates)}"),
        ]
        for key, values in [*lags.items(), ("all", all_lags), ("after warm-up", steady_lags)]:
            label = {"end": "COMPLETED/FAILED"}.get(key, key)
            rows.append(
                (
                    f"change -> reply lag, {label}",
                    f"p50 {percentile(values, 0.5):.1f} s, "
                    f"p99 {percentile(values, 0.99):.1f} s (n={len(values)})",
                )
            )
        print()
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name.ljust(width)}  {value}")
        dts.close()
        if running is not None:
            running.stop()
        engine.dispose()
        if schema:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
            admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
