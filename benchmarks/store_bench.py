"""Store throughput: request creation, transitions, lease claims, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/store_bench.py [--rows 500] [--postgres URL | --no-postgres]

Prints operations per second; nothing is asserted (tests never time things).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.store.db import make_engine, make_session_factory, session_scope, upgrade_to_head
from bot.store.models import RequestState
from bot.store.queries import claim_due, create_request, release, transition

NOW = datetime(2024, 3, 1, tzinfo=UTC)


def _timed(label: str, count: int, work: Callable[[], None]) -> None:
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    print(f"  {label:<44} {count / elapsed:9.0f}/s  ({elapsed * 1000:7.1f} ms for {count})")


def bench(url: str, rows: int) -> None:
    upgrade_to_head(url)
    engine = make_engine(url, pool_size=8, max_overflow=0)
    factory = make_session_factory(engine)
    ids: list[int] = []

    def create() -> None:
        for _ in range(rows):
            with session_scope(factory) as session:
                ids.append(
                    create_request(
                        session, slack_team_id="T0001", channel_id="C1", user_id="U1",
                        user_tz=None, text="backfill 1 for january", transfer_id=1,
                        transfer_name=None, range_start=date(2024, 1, 1),
                        range_end=date(2024, 1, 31), days=31, notes=[], now=NOW,
                        expires_at=NOW + timedelta(days=1),
                    ).id
                )  # fmt: skip

    def move(expected: RequestState, to: RequestState, values: dict[str, object]) -> None:
        for request_id in ids:
            with session_scope(factory) as session:
                transition(
                    session, request_id=request_id, expected=expected, to=to,
                    actor="bench", now=NOW, values=values,
                )  # fmt: skip

    def contended() -> None:
        barrier = threading.Barrier(8)

        def run(index: int) -> None:
            barrier.wait(timeout=30)
            for request_id in ids[index::8]:
                with session_scope(factory) as session:
                    transition(
                        session, request_id=request_id, expected=RequestState.SUBMITTED,
                        to=RequestState.RUNNING, actor="bench", now=NOW,
                    )  # fmt: skip

        threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)

    def claim_and_release() -> None:
        owner = "bench"
        while True:
            with session_scope(factory) as session:
                batch = claim_due(session, now=NOW, owner=owner, lease_seconds=60, limit=50)
                for request in batch:
                    release(
                        session, request_id=request.id, owner=owner,
                        next_poll_at=NOW + timedelta(hours=1),
                    )  # fmt: skip
            if not batch:
                return

    _timed("create_request (one transaction each)", rows, create)
    _timed("transition PENDING->SUBMITTING", rows, lambda: move(
        RequestState.PENDING, RequestState.SUBMITTING, {}))  # fmt: skip
    _timed("transition ->SUBMITTED (+ next_poll_at)", rows, lambda: move(
        RequestState.SUBMITTING, RequestState.SUBMITTED, {"next_poll_at": NOW}))  # fmt: skip
    _timed("transition ->RUNNING, 8 threads", rows, contended)
    _timed("claim_due(limit=50) + release, per row", rows, claim_and_release)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite (WAL, file in {tmp}):")
        bench(f"sqlite:///{tmp}/bench.db", args.rows)
    if not args.no_postgres:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin_url = args.postgres.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
            try:
                print(f"PostgreSQL ({args.postgres}, schema {schema}):")
                bench(f"{args.postgres}?options=-csearch_path%3D{schema}", args.rows)
            finally:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
