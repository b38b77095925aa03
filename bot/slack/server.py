"""``python -m bot serve``: the Slack app over HTTP (waitress) or Socket Mode, plus the tracker.

HTTP: POST /slack/events (commands, interactivity and events share one URL, as in the
manifest) and GET /healthz; with "Add to Slack" also GET /slack/install and
/slack/oauth_redirect (Bolt's OAuth flow, ``bot.slack.oauth``). Bolt's WSGI adapter under
waitress, a pure-Python threaded server: each ack is quick (the work runs after it), so a
thread pool of ``WEB_THREADS`` absorbs bursts without the per-worker memory of a pre-fork
server (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import text

from bot.config import Settings, load_settings, require
from bot.errors import BotError
from bot.observability.logs import configure_for
from bot.observability.ops import METRICS_PATH, READY_PATH, OpsApp, serve_ops
from bot.runtime import Runtime, build_runtime
from bot.service import BackfillService
from bot.service.background import database_check, watch_backlog
from bot.slack import gate
from bot.slack.app import SlackBot, create_slack_bot
from bot.slack.gate import RefusalLog
from bot.slack.installations import TeamClients
from bot.slack.oauth import INSTALL_PATH, REDIRECT_PATH
from bot.slack.slack_notifier import SlackNotifier, build_web_client

if TYPE_CHECKING:
    from bot.supermetrics.client import DtsClient
    from bot.tracking.tracker import Tracker

log = logging.getLogger("bot.serve")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
OAUTH_PATHS = frozenset({INSTALL_PATH, REDIRECT_PATH})

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


class WsgiApp:
    """Routes /slack/events to Bolt (once ``gate.admit`` lets it in) and answers /healthz."""

    def __init__(self, bot: SlackBot, runtime: Runtime) -> None:
        self.bot = bot
        self.runtime = runtime
        self._slack = SlackRequestHandler(bot.app, path=EVENTS_PATH)
        self.refusals = RefusalLog()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in {"GET", "HEAD"}:
            return self._health(start_response)
        if path in OAUTH_PATHS and environ.get("REQUEST_METHOD") == "GET":
            if not self.runtime.settings.multi_workspace:
                return _plain(start_response, "404 Not Found", b"not found")
            # a person's browser, not Slack: nothing is signed; Bolt's OAuth flow checks the
            # state it issued, and no body is read
            return self._slack(environ, start_response)
        if path != EVENTS_PATH:
            return _plain(start_response, "404 Not Found", b"not found")
        settings = self.runtime.settings
        admitted = gate.admit(
            environ,
            secret=settings.slack_signing_secret,
            max_bytes=settings.slack_max_body_bytes,
            now=time.time(),
        )
        if isinstance(admitted, gate.Refusal):
            self.refusals.refused(admitted)
            return _plain(start_response, admitted.status_line, b"")
        verified = dict(environ)
        verified["wsgi.input"] = io.BytesIO(admitted)
        verified["CONTENT_LENGTH"] = str(len(admitted))
        with self.bot.listeners.gate.acking():
            # Bolt builds the whole response before returning it (a list), so the ack
            # is complete when this block ends
            try:
                return self._slack(verified, start_response)
            except Exception as exc:
                # a signed body of a shape Slack never sends, which Bolt's matchers index
                # without checking: a 400, never a 500 (and never its body in the log)
                log.warning(
                    "a signed request Bolt could not read: %s; answered 400", type(exc).__name__
                )
                log.debug("what Bolt raised", exc_info=True)
                return _plain(start_response, "400 Bad Request", b"")

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        body: dict[str, object]
        try:
            with self.runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            status, body = "200 OK", {"ok": True}
        except Exception as exc:
            log.warning("health check: database unavailable: %s", type(exc).__name__)
            status, body = "503 Service Unavailable", {"ok": False, "error": "database"}
        raw = json.dumps(body).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))]
        )
        return [raw]


def _plain(start_response: StartResponse, status: str, body: bytes) -> Iterable[bytes]:
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


def create_wsgi_app(
    runtime: Runtime,
    *,
    service: BackfillService | None = None,
    client: WebClient | None = None,
) -> WsgiApp:
    """The WSGI app for tests, the benchmark and ``serve`` (``.bot.close()`` when done)."""
    bot = create_slack_bot(runtime=runtime, service=service, client=client)
    return WsgiApp(bot, runtime)


def with_ops(wsgi: WsgiApp) -> OpsApp:
    """``wsgi`` behind the operator's endpoints: /metrics, /healthz (liveness), /readyz."""
    return OpsApp(database=database_check(wsgi.runtime), fallback=wsgi)


@dataclass
class RunningServer:
    """A waitress server on a thread; ``stop()`` closes it and joins the thread."""

    server: Any
    thread: threading.Thread
    port: int
    stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        from waitress import wasyncore

        socket_map = self.server._map
        # close every socket, the open connections too, from inside the server's own loop
        # (via its wake-up pipe): the loop sees an empty map at once and ends, and no
        # socket is closed from this thread while the loop may still select on it (that
        # raced into EBADF when a slow machine let the first join time out)
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.thread.join(timeout * 4)
        self.server.task_dispatcher.shutdown()


def serve_in_thread(
    wsgi: Callable[..., Any], *, host: str = "127.0.0.1", port: int = 0, threads: int = 16
) -> RunningServer:
    """Start waitress on a background thread (tests, benchmark); returns once listening."""
    from waitress.server import create_server

    server = create_server(
        wsgi,
        host=host,
        port=port,
        threads=threads,
        ident="backfill-bot",
        expose_tracebacks=False,
        max_request_body_size=_waitress_body_cap(wsgi),
    )
    bound = int(server.effective_port)  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, name=f"waitress-{bound}", daemon=True)
    thread.start()
    return RunningServer(server=server, thread=thread, port=bound)


def _waitress_body_cap(wsgi: Callable[..., Any]) -> int:
    """Waitress buffers a body before the app sees it: refuse oversized ones while reading."""
    runtime = getattr(wsgi, "runtime", None)
    limit = runtime.settings.slack_max_body_bytes if runtime is not None else 0
    # waitress refuses a Content-Length >= its cap, so one byte of headroom
    return (limit or gate.DEFAULT_MAX_BODY_BYTES) + 1


# --- python -m bot serve -------------------------------------------------------------


def check_settings(settings: Settings) -> None:
    """Refuse to start without what Slack needs, saying what to set (one line)."""
    require(settings, "serve")


@dataclass
class InProcessTracker:
    """The tracker on a thread of ``serve``, with the polling client it owns."""

    tracker: Tracker
    thread: threading.Thread
    stop_event: threading.Event
    dts: DtsClient

    def stop(self, timeout: float) -> None:
        """Let the current tick finish, then close the tracker's DTS client."""
        self.stop_event.set()
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("the tracker did not stop within %.0fs; closing its client anyway", timeout)
        self.dts.close()


def start_tracker(
    runtime: Runtime,
    client: WebClient | TeamClients,
    *,
    on_status_change: Callable[[str, str], None] | None = None,
) -> InProcessTracker:
    """Run the tracker on a thread, polling with its own no-wait client (``polling_tracker``).

    ``client``: the bot's, or each workspace's (``SlackBot.workspaces.clients``);
    ``on_status_change``: told of each announced status change (the App Home refresher)."""
    from bot.service.background import polling_tracker

    tracker = polling_tracker(runtime, notifier=SlackNotifier(client))
    tracker.announcer.on_status_change = on_status_change
    stop = threading.Event()
    thread = threading.Thread(target=tracker.run_forever, args=(stop,), name="tracker")
    thread.start()
    return InProcessTracker(tracker=tracker, thread=thread, stop_event=stop, dts=tracker.dts)


def warm_up_parser() -> None:
    """Pay the parser's first-call cost (dateparser's import) before taking requests."""
    from bot.parsing import warm_up

    started = time.perf_counter()
    try:
        warm_up()
    except Exception:
        # a slower first command is better than no server
        log.exception("warming up the parser failed; the first command will be slower")
        return
    log.info("parser warmed up in %.2fs", time.perf_counter() - started)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot serve", description=__doc__)
    parser.add_argument("--host", default="0.0.0.0", help="interface to listen on (HTTP mode)")  # noqa: S104
    parser.add_argument("--port", type=int, default=None, help="port (default $PORT or 3000)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_for(settings)
        check_settings(settings)
        runtime = build_runtime(settings, allow_generate_key=False, check_schema=True)
    except BotError as exc:
        print(f"serve: {exc.user_message}", file=sys.stderr)
        return 2
    warm_up_parser()
    client = build_web_client(settings)
    wsgi = create_wsgi_app(runtime, client=client)
    watch_backlog(runtime)
    tracker: InProcessTracker | None = None
    if settings.run_tracker_in_server:
        tracker = start_tracker(
            runtime, wsgi.bot.workspaces.clients, on_status_change=wsgi.bot.home.changed
        )
    try:
        if settings.slack_app_token:
            # no Slack requests come in over HTTP; the operator's endpoints still do
            ops = serve_ops(
                OpsApp(database=database_check(runtime)),
                host=args.host,
                port=args.port or settings.port,
            )
            try:
                _run_socket_mode(wsgi.bot, settings)
            finally:
                ops.stop()
        else:
            _run_http(with_ops(wsgi), settings, host=args.host, port=args.port or settings.port)
    finally:
        if tracker is not None:
            tracker.stop(timeout=settings.tracker_tick_seconds + 30)
        wsgi.bot.close()
        runtime.close()
    return 0


def _run_http(wsgi: OpsApp, settings: Settings, *, host: str, port: int) -> None:
    from waitress.server import create_server

    server = create_server(
        wsgi,
        host=host,
        port=port,
        threads=settings.web_threads,
        ident="backfill-bot",
        expose_tracebacks=False,
        max_request_body_size=_waitress_body_cap(wsgi),
    )

    def shutdown(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: shutting down", signum)
        server.close()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    log.info(
        "serving %s, %s, %s and %s on %s:%s",
        EVENTS_PATH,
        HEALTH_PATH,
        READY_PATH,
        METRICS_PATH,
        host,
        port,
    )
    try:
        server.run()
    except (OSError, ValueError) as exc:
        # waitress raises these when the socket is closed under it by the signal handler
        if not isinstance(exc, OSError) or exc.errno not in (9, None):
            log.info("server stopped: %s", exc)


def _run_socket_mode(
    bot: SlackBot, settings: Settings, *, stop: threading.Event | None = None
) -> None:
    """Connect out to Slack and serve until SIGTERM / SIGINT (or ``stop``), then disconnect."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    stop = stop or threading.Event()

    def shutdown(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: disconnecting from Slack", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
    handler = SocketModeHandler(bot.app, app_token=settings.slack_app_token)
    log.info("connecting to Slack in Socket Mode")
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        log.info("connected to Slack in Socket Mode")
        stop.wait()
    finally:
        handler.close()  # type: ignore[no-untyped-call]
    log.info("disconnected from Slack")
