"""The Bolt app: ``build_app`` wires the listeners and the ONE error handler.

``process_before_response=True``: Bolt answers Slack as soon as the listener has acked
(its default would first hop to a thread and back, ~15 ms per ack); the listener only
acks and hands the slow part to our work queue (``Listeners.later``, ``AckFirstWork``),
so every request is acked within Slack's 3 s whatever Supermetrics, Slack or the
database is doing, and as fast as a bare Bolt app acks.
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
from bot.slack import actions, commands, view_submissions
from bot.slack.listener_kit import AckFirstWork, Listeners
from bot.slack.responder import Responder
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from bot.slack.user_directory import UserDirectory

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

    Both concern what holds the GIL while requests wait to be acked (measured with
    benchmarks/ack_bench.py, 50 concurrent commands, this app against a bare Bolt app):

    - The cyclic GC: the app's import-time heap (SQLAlchemy, dateparser, the Slack SDK:
      ~100k objects) made each full collection a 35-45 ms pause of every thread, several
      times a run, landing in the p99 of the acks (the bare app's heap: ~30k objects,
      ~4 ms). Frozen after start-up, it is no longer scanned: full collections take ~2 ms.
    - The switch interval: when traffic outlasts ``AckFirstWork.max_wait``, overdue work
      runs beside the acks, and a CPU-bound thread keeps the GIL for up to the switch
      interval before a waiting ack thread gets it: 5 ms by default, several times the CPU
      of a whole ack. With 1 ms, 2-second bursts acked at p99 ~1.1x the bare app's
      instead of ~1.6x (``--requests 4000``).
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

    def close(self) -> None:
        """Finish the work already acked (each item is bounded by its HTTP timeouts)."""
        self.work.close()
        self.background_pool.shutdown(wait=True, cancel_futures=False)


def register(app: App, listeners: Listeners) -> None:
    """Wire every listener and the one error handler (no import-time side effects)."""
    commands.register(app, listeners)
    actions.register(app, listeners)
    view_submissions.register(app, listeners)

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
    notifier = SlackNotifier(client)
    if service is None:
        service = BackfillService(
            settings=settings,
            session_factory=runtime.session_factory,
            dts=runtime.dts,
            vault=runtime.vault,
            notifier=notifier,
            clock=runtime.clock,
        )
    work = AckFirstWork(workers=WORK_THREADS)
    background_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-background")
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=client,  # carries the bot token (build_web_client)
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
        responder=Responder(client=client, notifier=notifier, users=users or UserDirectory(client)),
        session_factory=runtime.session_factory,
        clock=runtime.clock,
        gate=work,
        background=background_pool,
    )
    register(app, listeners)
    tune_interpreter_for_acks()  # after building, so the app's own objects are frozen too
    return SlackBot(app=app, listeners=listeners, work=work, background_pool=background_pool)


def build_app(
    *,
    runtime: Runtime,
    service: BackfillService | None = None,
    client: WebClient | None = None,
) -> App:
    """The Bolt app alone (its worker threads end with the process)."""
    return create_slack_bot(runtime=runtime, service=service, client=client).app
