"""Runs in a separate process (multiprocessing spawn): contend for one state transition."""

from __future__ import annotations

import threading
from typing import Any

from bot.store.db import make_engine, make_session_factory, session_scope
from bot.store.models import RequestState
from bot.store.queries import transition
from tests.store.conftest import NOW


def contend(url: str, request_id: int, threads: int, start: Any, results: Any, tag: str) -> None:
    """Try the PENDING -> SUBMITTING move from ``threads`` threads once ``start`` opens."""
    engine = make_engine(url, pool_size=threads, max_overflow=0)
    factory = make_session_factory(engine)
    wins: list[bool] = []
    errors: list[str] = []
    lock = threading.Lock()
    go = threading.Event()

    def attempt(index: int) -> None:
        go.wait(timeout=60)
        try:
            with session_scope(factory) as session:
                won = transition(
                    session,
                    request_id=request_id,
                    expected=RequestState.PENDING,
                    to=RequestState.SUBMITTING,
                    actor=f"{tag}-{index}",
                    now=NOW,
                )
            with lock:
                wins.append(won)
        except Exception as exc:  # reported to the parent, which fails the test
            with lock:
                errors.append(repr(exc))

    workers = [threading.Thread(target=attempt, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    try:
        start.wait(timeout=60)
    finally:
        go.set()
        for worker in workers:
            worker.join(timeout=60)
        engine.dispose()
    results.put((tag, sum(wins), len(wins), errors))
