"""The Bolt app: ``build_app`` wires the listeners and the ONE error handler.

``process_before_response=True``: Bolt answers Slack as soon as the listener has acked
(its default hops to a thread and back first); the listener only acks and hands the slow
part to the ack queue (``Listeners.later``), so every request is acked within Slack's 3 s
whatever Supermetrics, Slack or the database is doing. Figures: benchmarks/README.md.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.service import BackfillService
from bot.slack import actions, backfill_form, commands, home, oauth, view_submissions
from bot.slack.ack_queue import AckFirstWork
from bot.slack.home import HomeRefresher, home_publisher
from bot.slack.listener_kit import Listeners
from bot.slack.oauth import Workspaces, build_workspaces
from bot.slack.responder import Responder
from bot.slack.slack_directory import SlackDirectory
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from bot.slack.user_directory import UserDirectory
from bot.tracking.announcer import Announcer

log = logging.getLogger("bot.slack")


class _ClientCarriesTheToken(logging.Filter):
    """Drop Bolt's start-up notice that SLACK_BOT_TOKEN "will be unused".

    Bolt reads SLACK_BOT_TOKEN from the environment whenever ``token`` is falsy (so
    ``token=None`` cannot silence it) and warns when a ``client`` is given too.  Our client
    is built from the same setting (``build_web_client``), so the notice is always false.
    """

    NOTICE = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.NOTICE


def _bolt_logger() -> logging.Logger:
    """Bolt's base logger: its own name, the notice filtered, everything else as before."""
    logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _ClientCarriesTheToken) for f in logger.filters):
        logger.addFilter(_ClientCarriesTheToken())
    return logger


# Few workers on purpose: the work shares the GIL with the threads acking Slack, and
# ``AckFirstWork`` already lets acks go first; more threads only add contention. Enough
# to overlap the work's waits on Slack, Supermetrics and the database in a lull.
WORK_THREADS = 4

GIL_SWITCH_INTERVAL = 0.001
_tuned = threading.Lock()
_tuned_already = False


def tune_interpreter_for_acks() -> None:
    """Process-wide settings for a process that acks Slack; the first call does it.

    Both keep the GIL free for the threads acking Slack: the import-time heap is frozen so
    full collections stop pausing every thread, and a CPU-bound work thread yields the GIL
    after 1 ms instead of 5 (figures in benchmarks/README.md).
    """
    global _tuned_already
    with _tuned:
        if _tuned_already:
            return
        _tuned_already = True
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        gc.collect()
        gc.freeze()


@dataclass
class SlackBot:
    """The app and what it owns (worker threads), so a server can shut them down."""

    app: App
    listeners: Listeners
    work: AckFirstWork
    background_pool: ThreadPoolExecutor
    workspaces: Workspaces
    home: HomeRefresher  # also given to the tracker's announcer (serve's start_tracker)

    def close(self) -> None:
        """Finish the work already acked (each item is bounded by its HTTP timeouts)."""
        self.home.close()
        self.work.close()
        self.background_pool.shutdown(wait=True, cancel_futures=False)


def register(app: App, listeners: Listeners, home_tab: HomeRefresher) -> None:
    """Wire every listener and the one error handler (no import-time side effects)."""
    commands.register(app, listeners)
    actions.register(app, listeners)
    view_submissions.register(app, listeners)
    home.register(app, listeners, home_tab)
    backfill_form.register(app, listeners)

    @app.error
    def on_error(error: Exception, body: Mapping[str, Any]) -> None:
        listeners.responder.report(error, body)


def create_slack_bot(
    *,
    runtime: Runtime,
    service: BackfillService | None = None,
    client: WebClient | None = None,
    users: UserDirectory | None = None,
    token_verification: bool = False,
) -> SlackBot:
    """Build the Bolt app around the service (built from the runtime when not given)."""
    settings = runtime.settings
    client = client or build_web_client(settings)
    workspaces = build_workspaces(runtime, client)
    notifier = SlackNotifier(workspaces.clients)
    if service is None:
        service = BackfillService(
            settings=settings,
            session_factory=runtime.session_factory,
            dts=runtime.dts,
            vault=runtime.vault,
            notifier=notifier,
            clock=runtime.clock,
            directory=SlackDirectory(workspaces.clients),
        )
    work = AckFirstWork(workers=WORK_THREADS)
    background_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-background")
    app = App(
        signing_secret=settings.slack_signing_secret,
        # carries SLACK_BOT_TOKEN (build_web_client); with "Add to Slack" no token, and
        # Bolt gives each request a client with its workspace's installation
        client=client,
        oauth_flow=workspaces.oauth_flow,
        process_before_response=True,
        # auth.test at start-up would make the server depend on Slack being reachable
        token_verification_enabled=token_verification,
        # the WSGI app verifies signatures first (bot/slack/gate.py); Bolt's middleware
        # would log a refused body in full, and Socket Mode needs none
        request_verification_enabled=False,
        # Bolt runs nothing here (no lazy listeners, process_before_response): given so
        # it never starts a pool of its own
        listener_executor=background_pool,
        name="backfill-bot",
        logger=_bolt_logger(),
    )
    listeners = Listeners(
        settings=settings,
        service=service,
        responder=Responder(
            client=workspaces.clients,
            notifier=notifier,
            users=users or UserDirectory(workspaces.clients),
        ),
        session_factory=runtime.session_factory,
        clock=runtime.clock,
        gate=work,
        background=background_pool,
    )
    home_tab = HomeRefresher(
        home_publisher(service, listeners.responder, notifier),
        interval=settings.home_refresh_seconds,
    )
    # the service's announcer posts the first reply: its status change refreshes the Home
    if isinstance(service.deps.announcer, Announcer):
        service.deps.announcer.on_status_change = home_tab.changed
    register(app, listeners, home_tab)
    oauth.register(app, workspaces, runtime)
    tune_interpreter_for_acks()  # after building, so the app's own objects are frozen too
    return SlackBot(
        app=app,
        listeners=listeners,
        work=work,
        background_pool=background_pool,
        workspaces=workspaces,
        home=home_tab,
    )


def build_app(
    *,
    runtime: Runtime,
    service: BackfillService | None = None,
    client: WebClient | None = None,
) -> App:
    """The Bolt app alone (its worker threads end with the process)."""
    return create_slack_bot(runtime=runtime, service=service, client=client).app
