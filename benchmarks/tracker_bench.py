"""Tracking 10,000 active backfills, per-backfill polling against team-batched polling,
side by side in one run: DTS calls per backfill and per team per hour, the lag from a
status change in the simulator to its announcement, and database time per polling tick.

Not a test: it prints figures.  Simulated time: a FrozenClock drives the DTS simulator
and the tracker; each tick advances it by TRACKER_TICK_SECONDS, as if every tick kept up
(the wall time a tick really takes is printed beside, so you can see whether it would).
The simulator runs at real speed (runs of 1-10 minutes, queues of 0.5-2.5 minutes each)
with the API's documented budget of 5,000 requests per hour per token.  The ranges are as
long as those the parser's corpus resolves to (``--days corpus``; ``--days 3-14`` for a
uniform spread), the backfills are seeded in steady state (each is running in proportion
to how long it runs, anywhere in its run) and held at their number: when one's timetable
ends a new one is submitted in its team (``--no-hold``: submitted up to 40 minutes before
the start, none replaced, the earlier workload).  Lags count only changes that happened
while the tracker ran.  Each layout (backfills over teams) and each polling mode starts
from the same seeded backfills in a fresh database.
The simulator is reached in-process through an httpx transport (``--http`` serves it on
loopback instead); announcements go to an in-memory notifier, so the Slack side costs
nothing here and the figures are the tracker's and the database's own.

    .venv/bin/python benchmarks/tracker_bench.py                 # SQLite and PostgreSQL
    .venv/bin/python benchmarks/tracker_bench.py --layouts 1000/10 --minutes 6 --warmup 2
    .venv/bin/python benchmarks/tracker_bench.py --databases sqlite --modes team
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from bot.supermetrics.models import Backfill, Transfer  # noqa: E402
from bot.tracking.polling_client import build_polling_client  # noqa: E402
from bot.tracking.tracker import Tracker  # noqa: E402
from bot.vault import TokenVault  # noqa: E402
from tests.support.world import RecordingNotifier  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "commands.jsonl"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
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


def team_token(team: int) -> str:
    return f"{TOKEN}-{team}"


def build_simulator(
    clock: FrozenClock, *, teams: int, per_team: int, rate_limit: int
) -> DtsSimulator:
    """A simulator with ``teams`` teams, each with its own token and transfers."""
    transfers = max(1, per_team // 20)
    catalogue = [Transfer(500000 + n, f"Bench {n}", "ACTIVE") for n in range(transfers)]
    sim = DtsSimulator(
        clock=clock, token=team_token(1), team_id=1, transfers=catalogue, rate_limit=rate_limit
    )
    for team in range(2, teams + 1):
        sim.add_team(team, token=team_token(team), transfers=catalogue)
    return sim


def corpus_days(path: Path = CORPUS) -> list[int]:
    """The lengths (in days) of the ranges the parser's corpus resolves to: what people
    ask for, so the benchmark's backfills last as long as real ones would."""
    lengths: list[int] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        case = json.loads(line) if line.strip() else {}
        if case.get("range_start") and case.get("range_end"):
            first = date.fromisoformat(case["range_start"])
            last = date.fromisoformat(case["range_end"])
            lengths.append((last - first).days + 1)
    return lengths


@dataclass(frozen=True)
class Days:
    """How long the submitted ranges are: ``draw`` one length; ``longest`` bounds them."""

    draw: Callable[[random.Random], int]
    longest: int


def day_sampler(spec: str) -> Days:
    """``corpus`` (the corpus's range lengths) or ``A-B`` (uniform, inclusive)."""
    if spec == "corpus":
        lengths = corpus_days()
        return Days(lambda rng: rng.choice(lengths), max(lengths))
    low, _, high = spec.partition("-")
    first, last = int(low), int(high or low)
    return Days(lambda rng: rng.randint(first, last), last)


@dataclass(frozen=True)
class Pace:
    """One backfill's timetable in the simulator: runs of 1-10 minutes, queues of
    0.5-2.5 minutes each before it is scheduled and before it starts."""

    days: int
    seconds_per_run: float
    schedule_delay: float
    start_delay: float

    @property
    def lifetime(self) -> float:
        return self.schedule_delay + self.start_delay + self.days * self.seconds_per_run


LONGEST_RUN = 600.0
LONGEST_QUEUES = 300.0


def draw_pace(rng: random.Random, days: Days) -> Pace:
    return Pace(
        days=days.draw(rng),
        seconds_per_run=rng.uniform(60, LONGEST_RUN),
        schedule_delay=rng.uniform(30, 150),
        start_delay=rng.uniform(30, 150),
    )


def confirmed_request(
    session: Any,
    *,
    team: int,
    transfer_id: int,
    first: date,
    last: date,
    now: datetime,
    card: dict[str, str],
) -> BackfillRequest:
    """A request as the service leaves it once confirmed: PENDING, in workspace T<team>,
    with ``card`` (its message or thread in C1) and who confirmed it."""
    row = create_request(
        session,
        slack_team_id=f"T{team}",
        channel_id="C1",
        user_id="U1",
        user_tz="UTC",
        text=f"transfer {transfer_id} from {first} to {last}",
        transfer_id=transfer_id,
        transfer_name=None,
        range_start=first,
        range_end=last,
        days=(last - first).days + 1,
        notes=[],
        now=now,
        expires_at=now + timedelta(hours=24),
    )
    update_request(
        session,
        request_id=row.id,
        now=now,
        values={"message_channel": "C1", **card, "confirmed_by": "U1"},
    )
    return row


def mark_submitted(
    session: Any,
    *,
    request_id: int,
    backfill: Backfill,
    submitted_at: datetime,
    next_poll: datetime,
    now: datetime,
    expected: RequestState = RequestState.PENDING,
) -> None:
    """The request's backfill was created: SUBMITTED, tracked from ``next_poll``; its
    first reply was the service's, at submission, so the change is not announced."""
    transition(
        session,
        request_id=request_id,
        expected=expected,
        to=RequestState.SUBMITTED,
        actor="U1",
        now=now,
        announce=False,
        values={
            "submitted_at": submitted_at,
            "backfill_id": backfill.backfill_id,
            "dts_status": backfill.status.value,
            "runs_total": backfill.runs_total,
            "next_poll_at": next_poll,
        },
    )


def timetable(sim: DtsSimulator, backfill_id: int) -> dict[str, datetime]:
    """When the simulator's backfill is scheduled, starts running and ends (its own
    timetable, read from the simulator's record): the moments the lags count from."""
    record = sim._records[backfill_id]
    created = record.created_at
    return {
        "SCHEDULED": created + timedelta(seconds=record.schedule_at / record.speed),
        "RUNNING": created + timedelta(seconds=record.start_at / record.speed),
        "end": created
        + timedelta(
            seconds=(record.start_at + record.total * record.seconds_per_run) / record.speed
        ),
    }


class Submitter:
    """Backfills submitted through the bot, as the service leaves them: a request row in
    SUBMITTED with its backfill id, and the backfill in the simulator.  Every backfill has
    its own pace (runs of 1-10 minutes, queues of 0.5-5 minutes).  With ``hold``, each
    backfill is followed by a new one of its team when the simulator's timetable ends it,
    so the tracker follows the same number throughout (people keep submitting)."""

    def __init__(
        self,
        factory: Any,
        sim: DtsSimulator,
        vault: TokenVault,
        clock: FrozenClock,
        *,
        teams: int,
        per_team: int,
        rng: random.Random,
        days: Days,
        poll_min: float = 15.0,
    ) -> None:
        self.factory = factory
        self.sim = sim
        self.vault = vault
        self.clock = clock
        self.teams = teams
        self.transfers = max(1, per_team // 20)
        self.rng = rng
        self.days = days
        self.poll_min = poll_min
        self.cards: dict[str, dict[str, Any]] = {}
        self.submitted = 0
        # ranges of one transfer never overlap: each transfer's next free first day
        self._cursor: dict[tuple[int, int], date] = {}
        self._per_team: dict[int, int] = {}
        self._ends: list[tuple[datetime, int, int]] = []  # (end, number, team)
        self.holding = False

    def store_tokens(self) -> None:
        now = self.clock.now()
        with session_scope(self.factory) as session:
            for team in range(1, self.teams + 1):
                set_workspace_token(
                    session,
                    slack_team_id=f"T{team}",
                    supermetrics_team_id=team,
                    token_ciphertext=self.vault.encrypt(team_token(team)),
                    set_by="U1",
                    now=now,
                )

    def seed(self, count: int, *, steady: bool) -> None:
        """``count`` backfills in every phase.  ``steady``: as if people had been submitting
        at a constant rate for ever (a backfill is among those running now in proportion to
        how long it runs, and is anywhere in its run); otherwise submitted up to 40 minutes
        before now, whatever their length."""
        now = self.clock.now()
        longest = self.days.longest * LONGEST_RUN + LONGEST_QUEUES
        for chunk_start in range(0, count, 500):
            with session_scope(self.factory) as session:
                for n in range(chunk_start, min(count, chunk_start + 500)):
                    pace = draw_pace(self.rng, self.days)
                    if steady:
                        while self.rng.random() * longest > pace.lifetime:
                            pace = draw_pace(self.rng, self.days)
                        age = self.rng.uniform(0, pace.lifetime)
                    else:
                        age = self.rng.uniform(0, 2400)
                    next_poll = now + timedelta(seconds=self.rng.uniform(0, 15))
                    self.submit(
                        session,
                        team=1 + n % self.teams,
                        at=now - timedelta(seconds=age),
                        poll=next_poll,
                        pace=pace,
                    )

    def replace_finished(self) -> int:
        """Submit, now, one backfill for each whose timetable ended since the last call."""
        now = self.clock.now()
        teams: list[int] = []
        while self._ends and self._ends[0][0] <= now:
            teams.append(heapq.heappop(self._ends)[2])
        if teams:
            with session_scope(self.factory) as session:
                for team in teams:
                    # the service polls a new backfill first after poll_min
                    poll = now + timedelta(seconds=self.poll_min)
                    pace = draw_pace(self.rng, self.days)
                    self.submit(session, team=team, at=now, poll=poll, pace=pace)
        return len(teams)

    def hold(self) -> None:
        """From now on, replace every backfill whose timetable ends."""
        self.holding = True
        for info in self.cards.values():
            heapq.heappush(self._ends, (info["end"], info["number"], info["team"]))

    def submit(self, session: Any, *, team: int, at: datetime, poll: datetime, pace: Pace) -> None:
        now = self.clock.now()
        number = self.submitted
        self.submitted += 1
        k = self._per_team.get(team, 0)  # the backfill's number within its team
        self._per_team[team] = k + 1
        transfer_id = 500000 + k % self.transfers
        first = self._cursor.get((team, transfer_id), date(2015, 1, 1))
        last = first + timedelta(days=pace.days - 1)
        self._cursor[(team, transfer_id)] = last + timedelta(days=1)
        self.sim.seconds_per_run = pace.seconds_per_run
        self.sim.schedule_delay = pace.schedule_delay
        self.sim.start_delay = pace.start_delay
        self.clock.set(at)
        backfill = self.sim.create(transfer_id, first, last, team_id=team)
        self.clock.set(now)
        ts = f"1{number:09d}.000100"
        row = confirmed_request(
            session,
            team=team,
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
            submitted_at=at,
            next_poll=poll,
            now=now,
        )
        times = timetable(self.sim, backfill.backfill_id)
        self.cards[ts] = {"request_id": row.id, "number": number, "team": team, **times}
        if self.holding:
            heapq.heappush(self._ends, (times["end"], number, team))


@dataclass
class Result:
    database: str
    backfills: int
    teams: int
    mode: str
    finished: int
    calls: int
    calls_per_backfill_hour: float
    steady_per_backfill_hour: float
    steady_lists_per_backfill_hour: float
    calls_per_team_hour: float
    lag_p50: float
    lag_p99: float
    steady_lag_p50: float
    steady_lag_p99: float
    lags: int
    db_p50_ms: float
    db_p99_ms: float
    steady_db_p50_ms: float
    steady_db_p90_ms: float
    steady_db_p99_ms: float
    wall_p50_ms: float
    wall_p99_ms: float
    wall_seconds: float


def run_case(
    args: argparse.Namespace, *, database: str, backfills: int, teams: int, mode: str
) -> Result:
    """Seed a fresh database and simulator, track for ``args.minutes``, measure."""
    rng = random.Random(args.seed)
    clock = FrozenClock(START)
    sim = build_simulator(
        clock, teams=teams, per_team=max(1, backfills // teams), rate_limit=args.rate_limit
    )
    with tempfile.TemporaryDirectory() as tmp:
        bench = open_bench(
            sim,
            clock,
            Path(tmp),
            database_url=args.postgres_url if database == "postgresql" else "",
            http=args.http,
            tracker_batch_size=args.batch,
            tracker_tick_seconds=args.tick,
            tracker_polling=mode,
            poll_min_seconds=args.poll_min,
            poll_max_seconds=args.poll_max,
        )
        factory, vault = bench.factory, bench.vault
        notifier, tracker = bench.notifier, bench.tracker
        label = f"{database}, {backfills} backfills over {teams} teams, {mode} polling"
        print(f"{label}: seeding…", flush=True)
        submitter = Submitter(
            factory,
            sim,
            vault,
            clock,
            teams=teams,
            per_team=max(1, backfills // teams),
            rng=rng,
            days=day_sampler(args.days),
            poll_min=args.poll_min,
        )
        submitter.store_tokens()
        submitter.seed(backfills, steady=args.hold)
        if args.hold:
            submitter.hold()
        cards = submitter.cards  # grows as backfills are replaced
        # The simulator's timetables, the recorded replies and the seeding's objects live
        # in this process only because the API and Slack are simulated in it, and they grow
        # as it runs; frozen before every tick (as the worker freezes its start-up heap),
        # the collector's full passes over them (115-270 ms, seen in the worst ticks) are
        # not counted as the tracker's time.  A tick's own objects are collected as usual.
        gc.collect()
        calls_before = len(sim.calls)
        ticks = int(args.minutes * 60 / args.tick)
        warmup_ticks = int(args.warmup * 60 / args.tick)
        warmup_end = START + timedelta(minutes=args.warmup)
        calls_at_warmup = calls_before
        active_at_warmup = backfills
        tick_wall: list[float] = []
        tick_db: list[float] = []
        replaced = 0
        wall_started = time.perf_counter()
        for n in range(ticks):
            if n == warmup_ticks:
                calls_at_warmup = len(sim.calls)
                active_at_warmup = count_active(factory)
            clock.advance(args.tick)
            replaced += submitter.replace_finished()  # the service's work, not the tick's
            gc.freeze()
            t0 = time.perf_counter()
            tracker.run_once()
            tick_wall.append(time.perf_counter() - t0)
            tick_db.append(tracker.last_tick.db_seconds)
        wall = time.perf_counter() - wall_started
        calls = len(sim.calls) - calls_before
        steady_calls = len(sim.calls) - calls_at_warmup
        # the team lists among them: GET /teams/{id}/backfills (the rest are single reads)
        steady_lists = sum(
            1
            for method, path in sim.calls[calls_at_warmup:]
            if method == "GET" and path.endswith("/backfills")
        )

        # lag: from the simulator's own change time to the reply in the thread
        all_lags: list[float] = []
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
                    all_lags.append(lag)
                    if info[key] >= warmup_end:
                        steady_lags.append(lag)
                    break
        with session_scope(factory) as session:
            finished = (
                session.scalar(
                    select(func.count()).where(BackfillRequest.state.in_(list(FINAL_STATES)))
                )
                or 0
            )
        hours = args.minutes / 60
        steady_hours = (args.minutes - args.warmup) / 60
        active_at_end = count_active(factory)
        active = max((active_at_warmup + active_at_end) / 2, 1)
        result = Result(
            database=database,
            backfills=backfills,
            teams=teams,
            mode=mode,
            finished=finished,
            calls=calls,
            calls_per_backfill_hour=calls / backfills / hours,
            steady_per_backfill_hour=(
                steady_calls / active / steady_hours if steady_hours > 0 else float("nan")
            ),
            steady_lists_per_backfill_hour=(
                steady_lists / active / steady_hours if steady_hours > 0 else float("nan")
            ),
            calls_per_team_hour=calls / teams / hours,
            lag_p50=percentile(all_lags, 0.5),
            lag_p99=percentile(all_lags, 0.99),
            steady_lag_p50=percentile(steady_lags, 0.5),
            steady_lag_p99=percentile(steady_lags, 0.99),
            lags=len(all_lags),
            db_p50_ms=percentile(tick_db, 0.5) * 1000,
            db_p99_ms=percentile(tick_db, 0.99) * 1000,
            steady_db_p50_ms=percentile(tick_db[warmup_ticks:], 0.5) * 1000,
            steady_db_p90_ms=percentile(tick_db[warmup_ticks:], 0.9) * 1000,
            steady_db_p99_ms=percentile(tick_db[warmup_ticks:], 0.99) * 1000,
            wall_p50_ms=percentile(tick_wall, 0.5) * 1000,
            wall_p99_ms=percentile(tick_wall, 0.99) * 1000,
            wall_seconds=wall,
        )
        print(
            f"  {ticks} ticks in {wall:.0f} s; {calls} DTS calls; mean DB time per tick "
            f"{statistics.fmean(tick_db) * 1000:.1f} ms; {replaced} backfills submitted to "
            f"replace those that ended; {active_at_end} active at the end",
            flush=True,
        )
        gc.unfreeze()
        bench.close()
    return result


def print_table(results: Sequence[Result], args: argparse.Namespace) -> None:
    header = (
        "| database | backfills / teams | polling | DTS calls per backfill per hour "
        "(after warm-up) | calls per team per hour | lag p50 / p99 (after warm-up) | "
        "DB time per tick p50 / p99 (after warm-up p50 / p90 / p99) | tick wall p99 | finished |"
    )
    print()
    print(
        f"{args.minutes:g} simulated minutes, {args.warmup:g} of warm-up, ticks of "
        f"{args.tick:g} s, POLL_MIN_SECONDS {args.poll_min:g}, POLL_MAX_SECONDS {args.poll_max:g}, "
        "budget "
        f"{args.rate_limit} calls per hour per team, TRACKER_BATCH_SIZE {args.batch}, "
        f"range lengths {args.days}, "
        + ("active backfills held (each one that ends is replaced)" if args.hold else "no new ones")
    )
    print()
    print(header)
    print("|" + " --- |" * 9)
    for r in results:
        print(
            f"| {r.database} | {r.backfills} / {r.teams} | {r.mode} | "
            f"{r.calls_per_backfill_hour:.1f} ({r.steady_per_backfill_hour:.1f}, of which "
            f"lists {r.steady_lists_per_backfill_hour:.1f}) | "
            f"{r.calls_per_team_hour:.0f} | "
            f"{r.lag_p50:.1f} / {r.lag_p99:.1f} s ({r.steady_lag_p50:.1f} / "
            f"{r.steady_lag_p99:.1f} s, n={r.lags}) | "
            f"{r.db_p50_ms:.1f} / {r.db_p99_ms:.1f} ms ({r.steady_db_p50_ms:.1f} / "
            f"{r.steady_db_p90_ms:.1f} / {r.steady_db_p99_ms:.1f} ms) | "
            f"{r.wall_p99_ms:.0f} ms | "
            f"{r.finished} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--layouts",
        default="10000/100,10000/10,100/100",
        help="comma-separated BACKFILLS/TEAMS (default: 10000/100,10000/10,100/100)",
    )
    parser.add_argument("--modes", default="backfill,team", help="TRACKER_POLLING values")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--minutes", type=float, default=15.0, help="simulated minutes")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="simulated minutes before steady-state figures"
    )
    parser.add_argument("--batch", type=int, default=500, help="TRACKER_BATCH_SIZE")
    parser.add_argument("--tick", type=float, default=1.0, help="TRACKER_TICK_SECONDS")
    parser.add_argument("--poll-min", type=float, default=15.0, help="POLL_MIN_SECONDS")
    parser.add_argument("--poll-max", type=float, default=300.0, help="POLL_MAX_SECONDS")
    parser.add_argument(
        "--rate-limit", type=int, default=5000, help="the API's budget per team and hour"
    )
    parser.add_argument(
        "--days",
        default="corpus",
        help="range lengths: 'corpus' (those of tests/fixtures/commands.jsonl) or A-B (uniform)",
    )
    parser.add_argument(
        "--hold",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="submit a new backfill in its team whenever one's timetable ends (default: on)",
    )
    parser.add_argument("--http", action="store_true", help="serve the simulator on loopback")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    layouts = []
    for raw in args.layouts.split(","):
        count, _, teams = raw.partition("/")
        layouts.append((int(count), int(teams or 1)))
    results = []
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        for backfills, teams in layouts:
            for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
                results.append(
                    run_case(args, database=database, backfills=backfills, teams=teams, mode=mode)
                )
    print_table(results, args)
    return 0


@dataclass
class Bench:
    """A fresh database and a tracker on it, polling the simulator; ``close`` undoes it."""

    factory: Any
    vault: TokenVault
    dts: Any
    notifier: RecordingNotifier
    tracker: Tracker
    engine: Any
    running: Any = None
    admin: Any = None
    schema: str | None = None

    def close(self) -> None:
        self.dts.close()
        if self.running is not None:
            self.running.stop()
        self.engine.dispose()
        if self.schema:
            self.admin.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
            self.admin.close()


def open_bench(
    sim: DtsSimulator,
    clock: FrozenClock,
    tmp: Path,
    *,
    database_url: str,
    http: bool,
    **settings: Any,
) -> Bench:
    """Migrate a database (for a PostgreSQL ``database_url`` a new schema of it, dropped
    by ``close``; for none an SQLite file in ``tmp``) and build a tracker with these
    ``Settings`` on it, reaching ``sim`` in-process (``http``: over loopback) and
    announcing to an in-memory notifier."""
    url = database_url or f"sqlite:///{tmp / 'bench.db'}"
    schema = None
    admin: Any = None
    if url.startswith("postgresql"):
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
        admin.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{url}?options=-csearch_path%3D{schema}"
    config = Settings(
        data_dir=tmp,
        database_url=url,
        encryption_keys=(Fernet.generate_key().decode(),),
        **settings,
    )
    upgrade_to_head(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    vault = TokenVault(config.encryption_keys)
    running = None
    if http:
        running = start_simulator(sim)
        dts = build_polling_client(
            config.with_overrides(supermetrics_api_url=running.base_url), clock=clock
        )
    else:
        dts = build_polling_client(
            config.with_overrides(supermetrics_api_url="http://sim.invalid/v1"),
            transport=SimTransport(sim),
            clock=clock,
        )
    notifier = RecordingNotifier(clock, known_messages_only=False)
    tracker = attach_recovery(
        Tracker(
            settings=config,
            session_factory=factory,
            dts=dts,
            vault=vault,
            notifier=notifier,
            clock=clock,
            owner="bench",
        )
    )
    return Bench(factory, vault, dts, notifier, tracker, engine, running, admin, schema)


if __name__ == "__main__":
    sys.exit(main())
