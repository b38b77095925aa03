"""Everything the console runs on: settings, database, key, DTS API (or simulator), tracker.

With no configuration the console is a self-contained demo: a SQLite file and a generated
key in the data directory, the DTS simulator on a free loopback port running at an
accelerated pace, a demo workspace whose simulator token is stored encrypted like a real
one, and a tracker polling every second or so.  Those are console-only overrides of the
settings: a value the user set in the environment is left as it is.

With ``SUPERMETRICS_API_URL`` set, no simulator starts and the console uses the token
stored for its workspace (``python -m bot workspace set``), exactly as the Slack app would.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, SystemClock, zone
from bot.config import DEFAULT_SUPERMETRICS_API_URL, Settings
from bot.console.console_notifier import ConsoleNotifier
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.service import BackfillService
    from bot.simulator.server import RunningSimulator
    from bot.tracking.tracker import Tracker

log = logging.getLogger(__name__)

CONSOLE_TEAM = "TCONSOLE"
CONSOLE_USER = "UCONSOLE"
CONSOLE_CHANNEL = "CCONSOLE"
DEMO_SUPERMETRICS_TEAM = 1

# The demo simulator: at DEFAULT_SPEED a 31-day backfill takes about 15 s of real time.
DEFAULT_SPEED = 20.0
DEMO_SECONDS_PER_RUN = 10.0
DEMO_SCHEDULE_DELAY = 4.0
DEMO_START_DELAY = 6.0
# The demo transfer that fails on some days, so failures show: 10th and 20th of each month.
DEMO_FAILING_TRANSFER = "LinkedIn Ads"
DEMO_FAILING_DAYS = (10, 20)
DEMO_FAILURE = "Permission error: the ad account's access token has expired."
DEMO_FAILURE_MONTHS = 36

# Console-only settings (applied only where the user kept the default).
CONSOLE_OVERRIDES: dict[str, Any] = {
    "poll_min_seconds": 0.5,
    "poll_max_seconds": 2.0,
    "progress_reply_interval_seconds": 5.0,
    "tracker_tick_seconds": 0.25,
    "tracker_lease_seconds": 30.0,
}


class ShiftedClock:
    """Real time flowing from a chosen start (``--today``): demos and tests of a fixed date."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


def clock_for_today(today: date, tz_name: str) -> ShiftedClock:
    """Return a clock that starts at 09:00 on ``today`` in the user's timezone."""
    return ShiftedClock(datetime.combine(today, dtime(9, 0), tzinfo=zone(tz_name)))


def local_timezone_name(fallback: str) -> str:
    """Return this machine's IANA timezone name (from /etc/localtime), else ``fallback``."""
    try:
        target = Path("/etc/localtime").resolve()
    except OSError:
        return fallback
    parts = target.parts
    if "zoneinfo" in parts:
        name = "/".join(parts[parts.index("zoneinfo") + 1 :])
        for prefix in ("posix/", "right/"):
            name = name.removeprefix(prefix)
        if name and zone(name, "").key == name:
            return name
    return fallback


def console_settings(settings: Settings) -> Settings:
    """Return the settings with the console's overrides where the defaults are still set."""
    defaults = Settings()
    changes = {
        name: value
        for name, value in CONSOLE_OVERRIDES.items()
        if getattr(settings, name) == getattr(defaults, name)
    }
    return settings.with_overrides(**changes)


def uses_simulator(settings: Settings) -> bool:
    """True when no Supermetrics API URL was configured: the console brings its own."""
    return settings.supermetrics_api_url == DEFAULT_SUPERMETRICS_API_URL


def demo_failure_dates(today: date, days: Iterable[int] = DEMO_FAILING_DAYS) -> list[date]:
    """Return the failing dates of the demo transfer: some days of every recent month."""
    chosen = tuple(days)
    dates: list[date] = []
    year, month = today.year, today.month
    for _ in range(DEMO_FAILURE_MONTHS):
        dates.extend(date(year, month, day) for day in chosen)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(dates)


@dataclass
class ConsoleEnvironment:
    """The running pieces, and how to stop them."""

    settings: Settings
    runtime: Runtime
    service: BackfillService
    tracker: Tracker
    notifier: ConsoleNotifier
    clock: Clock
    slack_team_id: str
    simulator: RunningSimulator | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start_tracker(self) -> None:
        """Run the tracker in a background thread, as ``serve`` does."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._track, name="console-tracker", daemon=True)
        self._thread.start()

    def _track(self) -> None:
        try:
            self.tracker.run_forever(self._stop)
        except Exception:  # the console must say so rather than go quiet
            log.exception("the tracker stopped")
            self.notifier.say("! The tracker stopped unexpectedly; see the log above.")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        try:
            self.tracker.dts.close()
            self.runtime.close()
        finally:
            if self.simulator is not None:
                self.simulator.stop()
                self.simulator = None

    def __enter__(self) -> ConsoleEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_default_sqlite(settings: Settings) -> bool:
    return not settings.database_url


def _prepare_database(settings: Settings) -> None:
    """Create and migrate the embedded SQLite file; other databases must be migrated."""
    from bot.store.db import upgrade_to_head

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Can't create the data directory {settings.data_dir} ({exc.strerror}). "
            "Set BOT_DATA_DIR to a writable directory."
        ) from exc
    if _is_default_sqlite(settings):
        upgrade_to_head(settings.resolved_database_url())


def highest_backfill_id(settings: Settings) -> int | None:
    """Return the highest backfill id any stored request has, or None (none, or no schema)."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.db import make_engine
    from bot.store.models import BackfillRequest

    engine = make_engine(settings.resolved_database_url())
    try:
        with engine.connect() as connection:
            highest = connection.execute(select(func.max(BackfillRequest.backfill_id))).scalar()
    except SQLAlchemyError:
        return None  # an unmigrated database: build_runtime says what to do about it
    finally:
        engine.dispose()
    return int(highest) if highest is not None else None


def first_backfill_id(highest: int | None) -> int:
    """The simulator's first id: above every stored one, so `status <id>` stays unambiguous."""
    from bot.simulator.server import FIRST_BACKFILL_ID

    return max(FIRST_BACKFILL_ID, (highest or 0) + 1)


def _start_simulator(clock: Clock, speed: float, token: str, first_id: int) -> RunningSimulator:
    from bot.simulator.server import DtsSimulator, start_simulator

    sim = DtsSimulator(
        clock=clock,
        token=token,
        team_id=DEMO_SUPERMETRICS_TEAM,
        speed=speed,
        schedule_delay=DEMO_SCHEDULE_DELAY,
        start_delay=DEMO_START_DELAY,
        seconds_per_run=DEMO_SECONDS_PER_RUN,
        first_backfill_id=first_id,
    )
    sim.max_calls = 10_000  # a long console session keeps only the recent request log
    return start_simulator(sim)


def _failing_transfer_id() -> int | None:
    from bot.simulator.state import DEFAULT_TRANSFERS

    for transfer in DEFAULT_TRANSFERS:
        if transfer.display_name == DEMO_FAILING_TRANSFER:
            return transfer.transfer_id
    return None


def _seed_demo_workspace(
    runtime: Runtime, *, slack_team_id: str, user_id: str, token: str, now: datetime
) -> None:
    """Store the demo workspace and its token; close what a previous demo run left open."""
    from bot.store.db import session_scope
    from bot.store.models import TRACKED_STATES, RequestState
    from bot.store.queries import (
        configure_workspace,
        list_requests,
        mark_announced,
        pending_announcements,
        set_workspace_token,
        transition,
    )

    with session_scope(runtime.session_factory) as session:
        configure_workspace(session, slack_team_id=slack_team_id, now=now, admins=[user_id])
        set_workspace_token(
            session,
            slack_team_id=slack_team_id,
            supermetrics_team_id=DEMO_SUPERMETRICS_TEAM,
            token_ciphertext=runtime.vault.encrypt(token),
            set_by=user_id,
            now=now,
        )
        # the previous run's simulator, and every backfill it knew, is gone
        stale = {*TRACKED_STATES, RequestState.SUBMITTING, RequestState.PENDING}
        for request in list_requests(
            session, slack_team_id=slack_team_id, states=stale, limit=10_000
        ):
            pending = request.state == RequestState.PENDING
            transition(
                session,
                request_id=request.id,
                expected=request.state,
                to=RequestState.EXPIRED if pending else RequestState.CANCELLED,
                actor="console",
                now=now,
                reason="The console's demo simulator restarted; this request ended with it.",
            )
            for event in pending_announcements(session, request_id=request.id, limit=10_000):
                mark_announced(session, event_id=event.id, now=now)


def build_environment(
    settings: Settings,
    *,
    notifier: ConsoleNotifier,
    clock: Clock | None = None,
    speed: float = DEFAULT_SPEED,
    slack_team_id: str = CONSOLE_TEAM,
    user_id: str = CONSOLE_USER,
    failing_days: Iterable[int] = DEMO_FAILING_DAYS,
) -> ConsoleEnvironment:
    """Start the console's runtime, service, tracker (not yet running) and simulator."""
    from bot.runtime import build_runtime
    from bot.service import BackfillService
    from bot.service.background import polling_tracker

    clock = clock or SystemClock()
    settings = console_settings(settings)
    simulator = None
    token = ""
    _prepare_database(settings)
    if uses_simulator(settings):
        # earlier runs' requests keep their backfill ids: the new simulator starts above them
        first_id = first_backfill_id(highest_backfill_id(settings))
        token = "demo-" + secrets.token_urlsafe(24)
        simulator = _start_simulator(clock, speed, token, first_id)
        settings = settings.with_overrides(supermetrics_api_url=simulator.base_url)
        failing = _failing_transfer_id()
        today = clock.now().date()
        if failing is not None:
            simulator.sim.fail_dates(failing, demo_failure_dates(today, failing_days), DEMO_FAILURE)
    try:
        runtime = build_runtime(settings, clock=clock, allow_generate_key=True, check_schema=True)
    except BaseException:
        if simulator is not None:
            simulator.stop()
        raise
    try:
        if simulator is not None:
            _seed_demo_workspace(
                runtime, slack_team_id=slack_team_id, user_id=user_id, token=token, now=clock.now()
            )
        service = BackfillService(
            settings=settings,
            session_factory=runtime.session_factory,
            dts=runtime.dts,
            vault=runtime.vault,
            notifier=notifier,
            clock=clock,
        )
        tracker = polling_tracker(
            runtime, notifier=notifier, owner=f"console-{secrets.token_hex(4)}"
        )
    except BaseException:
        runtime.close()
        if simulator is not None:
            simulator.stop()
        raise
    return ConsoleEnvironment(
        settings=settings,
        runtime=runtime,
        service=service,
        tracker=tracker,
        notifier=notifier,
        clock=clock,
        slack_team_id=slack_team_id,
        simulator=simulator,
    )


def describe(env: ConsoleEnvironment) -> Iterator[str]:
    """Yield the lines that tell the user what the console is running against."""
    from bot.store.db import safe_url

    yield f"Database: {safe_url(env.settings.resolved_database_url())}"
    if env.simulator is not None:
        yield (
            f"Supermetrics: built-in simulator at {env.simulator.base_url} "
            f"(demo workspace {env.slack_team_id}; {DEMO_FAILING_TRANSFER} fails on the "
            + " and ".join(f"{day}th" for day in DEMO_FAILING_DAYS)
            + " of each month)"
        )
    else:
        yield (
            f"Supermetrics: {env.settings.supermetrics_api_url} "
            f"(token of workspace {env.slack_team_id})"
        )
