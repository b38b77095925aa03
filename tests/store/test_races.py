"""Concurrency: one confirm wins among many; leases never hand one row to two workers."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable

import pytest

from bot.store.db import make_engine, make_session_factory, session_scope
from bot.store.models import RequestState
from bot.store.queries import claim_due, get_request, list_events, transition
from tests.store import race_worker
from tests.store.conftest import NOW, Database
from tests.store.helpers import new_request, tracked_request

THREADS = 20


def _run_threads(count: int, target: Callable[[int], None]) -> list[str]:
    """Run ``target(i)`` on ``count`` threads released together; return their errors."""
    barrier = threading.Barrier(count)
    errors: list[str] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            target(index)
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    return errors


def _assert_single_winner(db: Database, request_id: int) -> None:
    with session_scope(db.factory) as session:
        request = get_request(session, request_id=request_id)
        assert request is not None and request.state is RequestState.SUBMITTING
        assert request.version == 2
        moves = [e for e in list_events(session, request_id=request_id) if e.kind == "state"]
        assert [(e.from_state, e.to_state) for e in moves] == [("PENDING", "SUBMITTING")]


def test_twenty_threads_one_confirm(db: Database) -> None:
    with session_scope(db.factory) as session:
        request_id = new_request(session, now=NOW).id
    engine = make_engine(db.url, pool_size=THREADS, max_overflow=0)
    factory = make_session_factory(engine)
    wins: list[bool] = []

    def confirm(index: int) -> None:
        with session_scope(factory) as session:
            # read first, as the service does (permission checks), then the guarded write:
            # on SQLite this must wait for the lock, not fail on a stale snapshot
            assert get_request(session, request_id=request_id) is not None
            wins.append(
                transition(
                    session,
                    request_id=request_id,
                    expected=RequestState.PENDING,
                    to=RequestState.SUBMITTING,
                    actor=f"U{index:04d}",
                    now=NOW,
                    values={"confirmed_by": f"U{index:04d}"},
                )
            )

    try:
        errors = _run_threads(THREADS, confirm)
    finally:
        engine.dispose()
    assert errors == []
    assert len(wins) == THREADS and wins.count(True) == 1
    _assert_single_winner(db, request_id)


def _race_in_processes(db: Database, processes: int, threads_each: int) -> None:
    with session_scope(db.factory) as session:
        request_id = new_request(session, now=NOW).id
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [
        context.Process(
            target=race_worker.contend,
            args=(db.url, request_id, threads_each, start, results, f"p{index}"),
        )
        for index in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        start.wait(timeout=120)  # every process has its threads waiting
        reports = [results.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=5)
    assert [errors for _, _, _, errors in reports] == [[]] * processes
    assert sum(attempts for _, _, attempts, _ in reports) == processes * threads_each
    assert sum(won for _, won, _, _ in reports) == 1
    _assert_single_winner(db, request_id)


@pytest.mark.postgres
def test_two_processes_one_confirm_on_postgres(postgres_db: Database) -> None:
    _race_in_processes(postgres_db, processes=2, threads_each=THREADS // 2)


def test_two_processes_one_confirm_on_sqlite(sqlite_db: Database) -> None:
    _race_in_processes(sqlite_db, processes=2, threads_each=THREADS // 2)


def test_concurrent_claims_never_share_a_row(db: Database) -> None:
    rows = 30
    with session_scope(db.factory) as session:
        ids = {tracked_request(session, now=NOW, backfill_id=i).id for i in range(rows)}
    workers = 6
    engine = make_engine(db.url, pool_size=workers, max_overflow=0)
    factory = make_session_factory(engine)
    claims: Counter[int] = Counter()
    owners: dict[int, str] = {}
    lock = threading.Lock()

    def work(index: int) -> None:
        owner = f"worker-{index}"
        for _ in range(rows):  # bounded: each round claims at least one row or stops
            with session_scope(factory) as session:
                batch = claim_due(session, now=NOW, owner=owner, lease_seconds=60, limit=3)
            if not batch:
                return
            with lock:
                for request in batch:
                    claims[request.id] += 1
                    owners[request.id] = owner

    try:
        errors = _run_threads(workers, work)
    finally:
        engine.dispose()
    assert errors == []
    assert set(claims) == ids
    assert set(claims.values()) == {1}
    with session_scope(db.factory) as session:
        for request_id, owner in owners.items():
            request = get_request(session, request_id=request_id)
            assert request is not None and request.lease_owner == owner
