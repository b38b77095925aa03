"""``python -m bot worker`` as a real process: killed mid-backfill, a new one carries on."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.store.db import session_scope
from bot.store.models import FINAL_STATES, RequestState
from bot.store.queries import list_events, pending_announcements
from tests.tracking.conftest import TrackerEnv
from tests.tracking.workers import kill, running_workers, stop, wait_for

pytestmark = pytest.mark.slow

MARKERS = {
    "SUBMITTED": "submitted by",
    "SCHEDULED": "is scheduled",
    "RUNNING": "is running",
    "progress": ": RUNNING ",
    "COMPLETED": ":white_check_mark:",
    "FAILED": ":x:",
    "CANCELLED": ":no_entry_sign:",
}


def reply_kinds(texts: list[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    for text in texts:
        kinds = [kind for kind, marker in MARKERS.items() if marker in text]
        assert len(kinds) == 1, f"unrecognised reply {text!r}"
        found[kinds[0]] += 1
    return found


def announced_kinds(session: Any, request_id: int) -> Counter[str]:
    """What the stored events say should have been said in the thread."""
    expected: Counter[str] = Counter()
    for event in list_events(session, request_id=request_id):
        if not event.needs_announcement:
            continue
        if event.kind == "state" and event.to_state in {
            RequestState.SUBMITTED,
            RequestState.SCHEDULED,
            RequestState.RUNNING,
            *FINAL_STATES,
        }:
            expected[str(event.to_state)] += 1
        elif event.kind == "progress" and (event.payload or {}).get("reply"):
            expected["progress"] += 1
    return expected


def check_threads(env: TrackerEnv, request_ids: list[int]) -> None:
    """Every announced change is in its thread exactly once; every backfill ended once."""
    with session_scope(env.session_factory) as session:
        assert pending_announcements(session) == []
        for request_id in request_ids:
            expected = announced_kinds(session, request_id)
            row = env.request(request_id)
            texts = [m["text"] for m in env.slack.thread(row.message_channel, row.message_ts)]
            kinds = reply_kinds(texts)
            assert kinds == expected, (request_id, texts)
            assert kinds["SUBMITTED"] == 1
            assert sum(kinds[s] for s in ("COMPLETED", "FAILED", "CANCELLED")) == 1
            assert all(count == 1 for kind, count in kinds.items() if kind != "progress")
            progress = [t for t in texts if MARKERS["progress"] in t]
            assert len(progress) == len(set(progress)), "a progress reply was posted twice"


def test_a_killed_worker_is_replaced_and_every_status_is_announced_once(
    tmp_path: Path,
) -> None:
    # real time, 20x: a day's run takes 0.5 s, CREATED/SCHEDULED 0.25 s each
    with running_workers(
        tmp_path,
        speed=20,
        poll_min_seconds=0.3,
        poll_max_seconds=1.0,
        progress_reply_interval_seconds=1.0,
        tracker_lease_seconds=2.0,
        tracker_tick_seconds=0.1,
    ) as workers:
        env, gate = workers.env, workers.gates[0]
        first = workers.start("worker-a.log")
        workers.wait_started("worker-a.log")
        # SQLite is for one process: the worker announces everything, SUBMITTED included
        subs = [
            env.submit(
                date(2026, 1, 1) + timedelta(days=8 * n),
                date(2026, 1, 8) + timedelta(days=8 * n),
                flush=False,
            )
            for n in range(4)
        ]
        ids = [sub.request_id for sub in subs]

        def states() -> list[RequestState]:
            return [env.state(request_id) for request_id in ids]

        wait_for(
            lambda: sum(state is RequestState.RUNNING for state in states()) >= 2,
            timeout=30,
            what="two backfills running",
        )
        # hold the worker inside its next DTS call, then kill it there
        gate.close()
        wait_for(lambda: gate.waiting > 0, timeout=10, what="the worker to call the API")
        kill(first)
        gate.open()
        assert not all(state in FINAL_STATES for state in states()), "killed too late"

        second = workers.start("worker-b.log")
        wait_for(
            lambda: all(state is RequestState.COMPLETED for state in states()),
            timeout=45,
            what="every backfill to complete",
        )
        wait_for(lambda: settled(env), timeout=15, what="every announcement")
        assert stop(second) == 0  # SIGTERM: a clean exit
        check_threads(env, ids)
        log = workers.log("worker-b.log")
        assert "Traceback" not in log, log


def settled(env: TrackerEnv) -> bool:
    with session_scope(env.session_factory) as session:
        return not pending_announcements(session)


def test_the_worker_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    from tests.tracking.workers import REPO

    result = subprocess.run(
        [sys.executable, "-m", "bot", "worker", "--once"],
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
            "BOT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            # valid configuration (the worker needs a bot token), so the schema decides
            "SLACK_BOT_TOKEN": "xoxb-not-used",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "python -m bot migrate" in result.stderr
