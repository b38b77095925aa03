"""Two-person approval with two ``python -m bot serve`` processes sharing one PostgreSQL
database: clicks land on either process, 10 concurrent Approve clicks split across both
make exactly one backfill, Reject on one process after the form opened on the other."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.cli import policy as policy_cli
from bot.clock import SystemClock
from bot.messages import ids
from bot.messages.approvals import REASON_ACTION
from bot.simulator.server import DtsSimulator, start_simulator
from bot.store.db import make_engine, make_session_factory, session_scope, upgrade_to_head
from bot.store.models import BackfillRequest
from bot.store.queries import set_workspace_token
from bot.vault import TokenVault
from tests.support import signing
from tests.support.fake_slack import FakeSlack, FakeUser
from tests.support.ports import free_port
from tests.support.waiting import wait_for
from tests.tracking.conftest import postgres_url  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TEAM = "T0000FAKE"
CHANNEL = "C0GENERAL"
SECRET = "pg-signing-secret"
SM_TOKEN = "demo-token"
REQUESTER = FakeUser("U0ALICE", name="alice")
OTHER = FakeUser("U0BOB", name="bob")
APPROVER = FakeUser("U0APPROVER", name="appro")


class Served:
    """Two serve processes, the fake Slack, the simulator and the database they share."""

    def __init__(self, tmp: Path, url: str) -> None:
        self.tmp = tmp
        self.slack = FakeSlack(users=[REQUESTER, OTHER, APPROVER]).start()
        self.sim = DtsSimulator(clock=SystemClock(), token=SM_TOKEN, team_id=1, speed=1)
        self.running = start_simulator(self.sim)
        key = Fernet.generate_key().decode()
        upgrade_to_head(url)
        self.engine = make_engine(url)
        self.factory = make_session_factory(self.engine)
        with session_scope(self.factory) as session:
            set_workspace_token(
                session,
                slack_team_id=TEAM,
                supermetrics_team_id=1,
                token_ciphertext=TokenVault((key,)).encrypt(SM_TOKEN),
                set_by="test",
                now=SystemClock().now(),
            )
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOT_"))},
            "DATABASE_URL": url,
            "BOT_DATA_DIR": str(tmp),
            "BOT_ENCRYPTION_KEY": key,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": self.slack.token,
            "SLACK_API_URL": self.slack.base_url,
            "SUPERMETRICS_API_URL": self.running.base_url,
            "SUPERMETRICS_MAX_RETRIES": "0",
            "RUN_TRACKER_IN_SERVER": "false",
            "WEB_THREADS": "8",
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []
        self.http = httpx.Client(timeout=20.0)

    def start(self, count: int = 2) -> None:
        for n in range(count):
            port = free_port()
            with (self.tmp / f"serve-{n}.log").open("ab") as log:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
                        cwd=ROOT,
                        env={**self.env, "PORT": str(port)},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            self.urls.append(f"http://127.0.0.1:{port}")
        for process, url in zip(self.processes, self.urls, strict=True):

            def healthy(process: Any = process, url: str = url) -> bool:
                assert process.poll() is None, self.logs()
                try:
                    return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(healthy, timeout=60, interval=0.1, what=f"serve at {url}")

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.tmp.glob("serve-*.log"))

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.http.close()
        self.engine.dispose()
        self.running.stop()
        self.slack.stop()

    # --- what Slack sends, to process ``to`` ----------------------------------------

    def events_url(self, to: int) -> str:
        return f"{self.urls[to]}/slack/events"

    def command(self, text: str, *, user: FakeUser, to: int) -> None:
        ack = signing.slash_command(
            self.events_url(to),
            SECRET,
            text=text,
            user_id=user.user_id,
            team_id=TEAM,
            channel_id=CHANNEL,
            response_url=self.slack.response_url(f"cmd-{text}", channel=CHANNEL),
            client=self.http,
        )
        assert ack.status_code == 200

    def click(
        self,
        action: str,
        row: BackfillRequest,
        *,
        user: FakeUser,
        to: int,
        client: httpx.Client | None = None,
    ) -> int:
        return signing.block_action(
            self.events_url(to),
            SECRET,
            action_id=action,
            value=str(row.id),
            user_id=user.user_id,
            team_id=TEAM,
            channel_id=CHANNEL,
            message_ts=row.message_ts or "",
            client=client or self.http,
        ).status_code

    # --- what is stored and seen -------------------------------------------------------

    def rows(self) -> list[BackfillRequest]:
        with session_scope(self.factory) as session:
            found = list(session.query(BackfillRequest).order_by(BackfillRequest.id))
            for row in found:
                session.expunge(row)
            return found

    def card_posted(self, count: int) -> BackfillRequest:
        def ready() -> BackfillRequest | None:
            rows = self.rows()
            return rows[count - 1] if len(rows) >= count and rows[count - 1].message_ts else None

        return wait_for(ready, timeout=90, what=f"card of request {count}")

    def state(self, request_id: int, state: str) -> BackfillRequest:
        def reached() -> BackfillRequest | None:
            row = next(r for r in self.rows() if r.id == request_id)
            return row if row.state == state else None

        return wait_for(reached, timeout=90, what=f"request {request_id} {state}")

    def said_to(self, user: FakeUser, count: int) -> list[str]:
        def enough() -> list[str] | None:
            texts = [str(e["text"]) for e in self.slack.ephemerals if e["user"] == user.user_id]
            return texts if len(texts) >= count else None

        return wait_for(enough, timeout=90, what=f"{count} answers to {user.user_id}")


@pytest.fixture
def served(tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:  # noqa: F811
    world = Served(tmp_path, postgres_url)
    try:
        monkeypatch.setenv("DATABASE_URL", postgres_url)
        assert (
            policy_cli.main(
                [
                    "set",
                    "--slack-team",
                    TEAM,
                    "--approval-over-days",
                    "31",
                    "--approver",
                    APPROVER.user_id,
                ]
            )
            == 0
        )
        world.start()
        yield world
    finally:
        world.close()


def _in_threads(count: int, work: Callable[[int], int]) -> list[int]:
    start = threading.Barrier(count)
    results: list[int] = []

    def run(n: int) -> None:
        start.wait(timeout=20)
        results.append(work(n))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_approval_across_two_serve_processes_on_postgres(served: Served) -> None:
    served.command("transfer 456789 last 90 days", user=REQUESTER, to=0)
    row = served.card_posted(1)
    assert row.days == 90
    assert served.click(ids.ACTION_CONFIRM, row, user=REQUESTER, to=1) == 200
    served.state(row.id, "AWAITING_APPROVAL")
    assert served.sim.backfills() == []
    wait_for(lambda: served.slack.messages(APPROVER.user_id), timeout=30, what="the DM")

    served.click(ids.ACTION_APPROVE, row, user=REQUESTER, to=0)
    assert "someone else must approve it" in served.said_to(REQUESTER, 2)[-1]
    served.click(ids.ACTION_APPROVE, row, user=OTHER, to=1)
    assert served.said_to(OTHER, 1) == [
        f"Only <@{APPROVER.user_id}> can approve backfills over 31 days. Nothing was changed."
    ]
    assert served.rows()[0].state == "AWAITING_APPROVAL" and served.sim.backfills() == []

    def approve(n: int) -> int:
        with httpx.Client(timeout=30.0) as client:
            return served.click(ids.ACTION_APPROVE, row, user=APPROVER, to=n % 2, client=client)

    assert _in_threads(10, approve) == [200] * 10
    done = served.state(row.id, "SUBMITTED")
    [backfill] = served.sim.backfills()
    assert done.backfill_id == backfill.backfill_id and done.approved_by == APPROVER.user_id

    # Reject: the form opens on one process, the reason arrives at the other
    served.command("transfer 456790 last 90 days", user=REQUESTER, to=1)
    second = served.card_posted(2)
    served.click(ids.ACTION_CONFIRM, second, user=REQUESTER, to=0)
    served.state(second.id, "AWAITING_APPROVAL")
    served.click(ids.ACTION_REJECT, second, user=APPROVER, to=0)
    [view] = wait_for(served.slack.views, timeout=30, what="the reason modal")
    ack = signing.view_submission(
        served.events_url(1),
        SECRET,
        callback_id=ids.VIEW_REJECT,
        private_metadata=view["private_metadata"],
        values={
            ids.BLOCK_REJECT_REASON: {
                REASON_ACTION: {"type": "plain_text_input", "value": "not this quarter"}
            }
        },
        user_id=APPROVER.user_id,
        team_id=TEAM,
        client=served.http,
    )
    assert ack.status_code == 200
    rejected = served.state(second.id, "REJECTED")
    assert rejected.state_reason == f"Rejected by <@{APPROVER.user_id}>: not this quarter"
    assert len(served.sim.backfills()) == 1

    # a 7-day request skips approval
    served.command("transfer 456791 last 7 days", user=REQUESTER, to=0)
    third = served.card_posted(3)
    served.click(ids.ACTION_CONFIRM, third, user=REQUESTER, to=1)
    assert served.state(third.id, "SUBMITTED").approved_by is None
    assert len(served.sim.backfills()) == 2
    assert served.slack.violations == []
