"""One chaos scenario's world: the bot served over HTTP, its tracker, and its real peers.

Everything runs on the real clock, fast: the DTS simulator at 200x speed, polls 50 ms
apart, leases and the stuck-submission threshold at one second. The tracker is a thread
of this process (SQLite), or a ``python -m bot worker`` subprocess beside it (PostgreSQL,
two processes), which a scenario may kill -9 and start again.

Every log line of this process and of the worker is kept, to look for secrets in them.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from bot.clock import SystemClock
from bot.config import Settings
from bot.runtime import Runtime
from bot.service.background import polling_tracker
from bot.simulator.server import DtsSimulator, RunningSimulator, start_simulator
from bot.slack.server import RunningServer, WsgiApp, create_wsgi_app, serve_in_thread
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from bot.store.db import make_engine, make_session_factory, session_scope, upgrade_to_head
from bot.store.queries import set_workspace_token
from bot.supermetrics.client import DtsClient
from bot.tracking.tracker import Tracker
from bot.vault import TokenVault
from tests.support.fake_slack import FakeSlack, FakeUser

REPO = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "chaos-signing-secret-5ecret"
DTS_TOKEN = "chaos-dts-token-5ecret"
SLACK_TOKEN = "xoxb-chaos-bot-token-5ecret"
TEAM = "T0CHAOS"
CHANNEL = "C0CHAOS"
SM_TEAM = 1
ALICE = FakeUser("U0ALICE", name="alice", tz="UTC")
ADMIN = FakeUser("U0ADMIN", name="ada", tz="UTC", is_admin=True)

# the knobs every process of the world gets (as settings here, as env for the worker)
TUNING: dict[str, str] = {
    "SUPERMETRICS_TIMEOUT_SECONDS": "0.5",
    "SUPERMETRICS_MAX_RETRIES": "1",
    "SUPERMETRICS_RETRY_BUDGET_SECONDS": "3",
    "SUPERMETRICS_RETRY_AFTER_CAP_SECONDS": "2",
    "SLACK_TIMEOUT_SECONDS": "1",
    "POLL_MIN_SECONDS": "0.05",
    "POLL_MAX_SECONDS": "0.5",
    "PROGRESS_REPLY_INTERVAL_SECONDS": "0.3",
    "TRACKER_TICK_SECONDS": "0.03",
    "TRACKER_LEASE_SECONDS": "1",
    "TRACKER_MAX_FAILURES": "3",
    "SUBMIT_RECOVERY_SECONDS": "1",
    "ANNOUNCE_RETRY_BASE_SECONDS": "0.05",
    "ANNOUNCE_RETRY_MAX_SECONDS": "0.3",
    "RUN_TRACKER_IN_SERVER": "false",
    "TRANSFER_CACHE_SECONDS": "0",
}


class KeptLogs(logging.Handler):
    """Every record of this process, formatted (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._guard = threading.Lock()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record that cannot be formatted is still kept, raw
            line = repr(record.msg)
        with self._guard:
            self.lines.append(line)


@dataclass
class ChaosWorld:
    tmp: Path
    database_url: str
    worker_process: bool  # the tracker in a subprocess (PostgreSQL) or a thread here
    key: str = field(default_factory=lambda: Fernet.generate_key().decode())
    worker_logs: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.logs = KeptLogs()
        root = logging.getLogger()
        self._old_level = root.level
        root.setLevel(logging.DEBUG)
        root.addHandler(self.logs)
        clock = SystemClock()
        self.sim = DtsSimulator(clock=clock, token=DTS_TOKEN, team_id=SM_TEAM, speed=200.0)
        self.running_sim: RunningSimulator = start_simulator(self.sim)
        self.fake = FakeSlack(users=[ALICE, ADMIN], team_id=TEAM, token=SLACK_TOKEN).start()
        self.settings = Settings(
            data_dir=self.tmp,
            database_url=self.database_url,
            encryption_keys=(self.key,),
            slack_bot_token=SLACK_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.fake.base_url,
            supermetrics_api_url=self.running_sim.base_url,
            supermetrics_timeout_seconds=0.5,
            supermetrics_max_retries=1,
            supermetrics_retry_budget_seconds=3.0,
            supermetrics_retry_after_cap_seconds=2.0,
            slack_timeout_seconds=1,
            poll_min_seconds=0.05,
            poll_max_seconds=0.5,
            progress_reply_interval_seconds=0.3,
            tracker_tick_seconds=0.03,
            tracker_lease_seconds=1.0,
            tracker_max_failures=3,
            submit_recovery_seconds=1.0,
            announce_retry_base_seconds=0.05,
            announce_retry_max_seconds=0.3,
            run_tracker_in_server=False,
            transfer_cache_seconds=0.0,
        )
        upgrade_to_head(self.database_url)
        engine = make_engine(self.database_url)
        self.runtime = Runtime(
            settings=self.settings,
            engine=engine,
            session_factory=make_session_factory(engine),
            vault=TokenVault(self.settings.encryption_keys),
            dts=DtsClient.from_settings(self.settings, clock=clock),
            clock=clock,
        )
        with session_scope(self.runtime.session_factory) as session:
            set_workspace_token(
                session,
                slack_team_id=TEAM,
                supermetrics_team_id=SM_TEAM,
                token_ciphertext=self.runtime.vault.encrypt(DTS_TOKEN),
                set_by="chaos",
                now=clock.now(),
            )
        self.wsgi: WsgiApp = create_wsgi_app(self.runtime, client=build_web_client(self.settings))
        self.server: RunningServer = serve_in_thread(self.wsgi, threads=8)
        self.url = f"{self.server.url}/slack/events"
        self.http = httpx.Client(timeout=10.0)
        self._tracker: Tracker | None = None
        self._tracker_thread: threading.Thread | None = None
        self._tracker_stop = threading.Event()
        self._worker: subprocess.Popen[bytes] | None = None
        self._generation = 0
        self.start_tracker()

    # --- the tracker: a thread here, or a worker process -------------------------------

    def start_tracker(self) -> None:
        self._generation += 1
        if self.worker_process:
            self._start_worker()
            return
        self._tracker_stop = threading.Event()
        self._tracker = polling_tracker(
            self.runtime,
            notifier=SlackNotifier(build_web_client(self.settings)),
            owner=f"chaos-tracker-{self._generation}",
        )
        self._tracker_thread = threading.Thread(
            target=self._tracker.run_forever, args=(self._tracker_stop,), daemon=True
        )
        self._tracker_thread.start()

    def stop_tracker(self) -> None:
        """Stop the tracker: kill -9 for a worker process, a clean stop for a thread."""
        if self.worker_process:
            if self._worker is not None:
                self._worker.send_signal(signal.SIGKILL)
                self._worker.wait(timeout=10)
                self._worker = None
            return
        self._tracker_stop.set()
        if self._tracker_thread is not None:
            self._tracker_thread.join(timeout=10)
        if self._tracker is not None:
            self._tracker.dts.close()
        self._tracker = None

    def _start_worker(self) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOT_"))},
            **TUNING,
            "DATABASE_URL": self.database_url,
            "BOT_ENCRYPTION_KEY": self.key,
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_API_URL": self.fake.base_url,
            "SUPERMETRICS_API_URL": self.running_sim.base_url,
            "LOG_LEVEL": "DEBUG",
            "PYTHONPATH": str(REPO),
        }
        log_path = self.tmp / f"worker-{self._generation}.log"
        self.worker_logs.append(log_path)
        with log_path.open("wb") as sink:
            self._worker = subprocess.Popen(
                [sys.executable, "-m", "bot", "worker", "--owner", f"worker-{self._generation}"],
                cwd=REPO,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    # --- reading back -------------------------------------------------------------------

    def all_log_text(self) -> str:
        parts = list(self.logs.lines)
        parts += [path.read_text(errors="replace") for path in self.worker_logs if path.exists()]
        return "\n".join(parts)

    def channel_messages(self, channel: str = CHANNEL) -> list[dict[str, Any]]:
        """Every message in the channel: the top level and every thread."""
        found: list[dict[str, Any]] = []
        for message in self.fake.messages(channel):
            found.append(message)
            found += self.fake.thread(channel, str(message["ts"]))
        return found

    def close(self) -> None:
        try:
            self.stop_tracker()
        finally:
            self.http.close()
            self.server.stop()
            self.wsgi.bot.close()
            self.runtime.close()
            self.fake.stop()
            self.running_sim.stop()
            root = logging.getLogger()
            root.removeHandler(self.logs)
            root.setLevel(self._old_level)
