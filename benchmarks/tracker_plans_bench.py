"""Plans in the tracker's tick: DTS calls per backfill per hour with some backfills the first
chunk of a plan (``--plan-every N``), against the same second chunks submitted by hand
(``--by-hand``) and against none; also database time per tick and status change → reply lag.
(The side-by-side of per-backfill and team-batched polling is ``tracker_bench.py``.)

Not a test: it prints figures.  Simulated time: a FrozenClock drives the DTS simulator
and the tracker; each tick advances it by TRACKER_TICK_SECONDS, as if every tick kept up
(the wall time a tick really takes is printed beside, so you can see whether it would).
The backfills were submitted up to 40 minutes before the start, so they are in every
phase; lags count only changes that happened while the tracker ran.
The simulator is reached in-process through an httpx transport (``--http`` serves it on
loopback instead); announcements go to an in-memory notifier, so the Slack side costs
nothing here and the figures are the tracker's and the database's own.

    .venv/bin/python benchmarks/tracker_plans_bench.py                      # 10k, SQLite, 15 min
    .venv/bin/python benchmarks/tracker_plans_bench.py --backfills 2000 --minutes 60
    .venv/bin/python benchmarks/tracker_plans_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.tracker_bench import (  # noqa: E402
    START,
    STATUS_MARKERS,
    build_simulator,
    confirmed_request,
    count_active,
    mark_submitted,
    open_bench,
    percentile,
    team_token,
    timetable,
)
from bot.clock import FrozenClock  # noqa: E402
from bot.simulator.server import DtsSimulator  # noqa: E402
from bot.store.db import session_scope  # noqa: E402
from bot.store.models import FINAL_STATES, BackfillRequest, RequestState  # noqa: E402
from bot.store.plans import NewStep, add_steps  # noqa: E402
from bot.store.queries import (  # noqa: E402
    set_workspace_token,
    transition,
    update_request,
)
from bot.vault import TokenVault  # noqa: E402

BACKFILL_NAMED = re.compile(r"[Bb]ackfill #(\d+)")


def seed(
    factory: Any,
    sim: DtsSimulator,
    vault: TokenVault,
    clock: FrozenClock,
    count: int,
    transfers: int,
    rng: random.Random,
    plan_every: int = 0,
    by_hand: dict[int, tuple[int, date, date, str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Create ``count`` submitted requests and their backfills; return them by card ts.

    With ``plan_every`` N, every N-th one is the first step of a plan of two chunks: its
    second chunk (the days before) waits QUEUED until the first ends, then the tracker's
    tick submits it (``advance_plans``) and tracks it like any other."""
    now = clock.now()
    with session_scope(factory) as session:
        set_workspace_token(
            session,
            slack_team_id="T1",
            supermetrics_team_id=1,
            token_ciphertext=vault.encrypt(team_token(1)),
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
                older: tuple[date, date] | None = None
                if plan_every > 0 and n % plan_every == 0:
                    # a plan of two chunks over these days: the newer half is submitted,
                    # the older half waits for it (both inside this backfill's own slot,
                    # so no other backfill of the transfer overlaps them)
                    half = days // 2
                    older = (first, first + timedelta(days=half - 1))
                    first, days = first + timedelta(days=half), days - half
                # every backfill has its own pace: runs of 1-10 minutes, queues of 0.5-5 min
                sim.seconds_per_run = rng.uniform(60, 600)
                sim.schedule_delay = rng.uniform(30, 150)
                sim.start_delay = rng.uniform(30, 150)
                # active backfills are in every phase: submitted up to 40 minutes ago
                submitted = now - timedelta(seconds=rng.uniform(0, 2400))
                clock.set(submitted)
                backfill = sim.create(transfer_id, first, last)
                clock.set(now)
                ts = f"1{n:09d}.000100"
                in_plan = plan_every > 0 and n % plan_every == 0 and by_hand is None
                if in_plan:
                    assert older is not None
                    row = _seed_plan(session, transfer_id, (first, last), older, ts, now)
                else:
                    row = confirmed_request(
                        session,
                        team=1,
                        transfer_id=transfer_id,
                        first=first,
                        last=last,
                        now=now,
                        card={"message_ts": ts},
                    )
                mark_submitted(
                    session,
                    request_id=row.id,
                    backfill=backfill,
                    submitted_at=submitted,
                    next_poll=now + timedelta(seconds=rng.uniform(0, 15)),
                    now=now,
                    expected=RequestState.QUEUED if in_plan else RequestState.PENDING,
                )
                if by_hand is not None and older is not None:
                    # the same second chunk, which a person submits once the first ends
                    by_hand[row.id] = (transfer_id, *older, ts)
                by_card[ts] = {
                    "request_id": row.id,
                    "backfill_id": backfill.backfill_id,
                    **timetable(sim, backfill.backfill_id),
                }
    return by_card


def submit_by_hand(
    factory: Any,
    dts: Any,
    clock: FrozenClock,
    waiting: dict[int, tuple[int, date, date, str]],
) -> int:
    """Without plans: a person submits the second chunk once the first has ended (the
    same create call, then the request tracked like any other). Return how many."""
    if not waiting:
        return 0
    now = clock.now()
    with session_scope(factory) as session:
        ended = list(
            session.scalars(
                select(BackfillRequest.id).where(
                    BackfillRequest.id.in_(list(waiting)),
                    BackfillRequest.state.in_(list(FINAL_STATES)),
                )
            )
        )
    team = dts.team(team_id=1, token=team_token(1))
    for first_id in ended:
        transfer_id, start, end, ts = waiting.pop(first_id)
        backfill = team.create_backfill(transfer_id=transfer_id, range_start=start, range_end=end)
        with session_scope(factory) as session:
            row = confirmed_request(
                session,
                team=1,
                transfer_id=transfer_id,
                first=start,
                last=end,
                now=now,
                card={"thread_ts": ts},
            )
            mark_submitted(
                session,
                request_id=row.id,
                backfill=backfill,
                submitted_at=now,
                next_poll=now + timedelta(seconds=15),
                now=now,
            )
    return len(ended)


def _seed_plan(
    session: Any,
    transfer_id: int,
    newer: tuple[date, date],
    older: tuple[date, date],
    ts: str,
    now: datetime,
) -> BackfillRequest:
    """A confirmed plan of two chunks of the transfer; return its first (submitted) step."""
    earlier_start, last = older[0], newer[1]
    plan = confirmed_request(
        session,
        team=1,
        transfer_id=transfer_id,
        first=earlier_start,
        last=last,
        now=now,
        card={"message_ts": ts},
    )
    steps = [
        NewStep(transfer_id, None, newer[0], newer[1], None),
        NewStep(transfer_id, None, older[0], older[1], 0),
    ]
    first_step, _second = add_steps(session, plan=plan, steps=steps, now=now)
    transition(
        session,
        request_id=plan.id,
        expected=RequestState.PENDING,
        to=RequestState.QUEUED,
        actor="U1",
        now=now,
    )
    update_request(
        session,
        request_id=first_step,
        now=now,
        values={"message_channel": "C1", "thread_ts": ts, "confirmed_by": "U1"},
    )
    row = session.get(BackfillRequest, first_step)
    assert row is not None
    return row


def _call_kinds(calls: Sequence[tuple[str, str]]) -> str:
    polls = sum(1 for method, path in calls if method == "GET" and "/backfills/" in path)
    creates = sum(1 for method, _path in calls if method == "POST")
    return f"{polls} polls, {creates} creates, {len(calls) - polls - creates} other"


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
    parser.add_argument(
        "--plan-every",
        type=int,
        default=0,
        help="every N-th backfill is the first of a two-chunk plan (0: no plans)",
    )
    parser.add_argument(
        "--by-hand",
        action="store_true",
        help="with --plan-every: no plans; the second chunks are submitted as a person would",
    )
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    clock = FrozenClock(START)
    transfers = max(1, args.backfills // 20)
    # one workspace here; budgets are covered by the tests
    sim = build_simulator(clock, teams=1, per_team=args.backfills, rate_limit=10**9)
    with tempfile.TemporaryDirectory() as tmp:
        bench = open_bench(
            sim,
            clock,
            Path(tmp),
            database_url=args.database_url,
            http=args.http,
            tracker_batch_size=args.batch,
            tracker_tick_seconds=args.tick,
        )
        factory, vault, dts = bench.factory, bench.vault, bench.dts
        notifier, tracker = bench.notifier, bench.tracker
        print(
            f"seeding {args.backfills} submitted backfills "
            f"({'PostgreSQL' if bench.schema else 'SQLite'})…",
            flush=True,
        )
        started = time.perf_counter()
        waiting: dict[int, tuple[int, date, date, str]] | None = {} if args.by_hand else None
        cards = seed(
            factory, sim, vault, clock, args.backfills, transfers, rng, args.plan_every, waiting
        )
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
            if waiting is not None:
                submit_by_hand(factory, dts, clock, waiting)
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
        with session_scope(factory) as session:
            # plan steps the tracker's ticks submitted during the run
            created = (
                session.scalar(
                    select(func.count()).where(
                        BackfillRequest.backfill_id.is_not(None),
                        BackfillRequest.submitted_at >= START,
                    )
                )
                or 0
            )
        tracked = args.backfills + created

        # lag: from the simulator's own change time to the reply in the thread
        lags: dict[str, list[float]] = {key: [] for key in ("SCHEDULED", "RUNNING", "end")}
        steady_lags: list[float] = []
        for post in notifier.posts:
            info = cards.get(post.thread_ts or "")
            if info is None or "submitted by" in post.text:
                continue
            named = BACKFILL_NAMED.search(post.text)
            if named is not None and int(named.group(1)) != info["backfill_id"]:
                continue  # a plan's other step, in the same thread
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
            (
                "plan steps submitted by ticks",
                f"{created} (a plan of two chunks every {args.plan_every} backfills)"
                if args.plan_every and not args.by_hand
                else f"0 ({created} second chunks submitted by hand)"
                if args.by_hand
                else "0 (no plans)",
            ),
            ("DTS calls per backfill tracked", f"{calls / tracked:.2f} (creates included)"),
            ("  of which", _call_kinds(sim.calls[calls_before:])),
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
        bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
