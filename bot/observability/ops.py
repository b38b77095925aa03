"""The operator's endpoints: ``GET /metrics``, ``/healthz`` (liveness), ``/readyz`` (readiness).

``serve`` mounts ``OpsApp`` in front of the Slack app; ``worker`` serves it alone on
``METRICS_PORT`` with ``serve_ops``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.observability import metrics as metrics_module

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
OPS_PATHS = frozenset({METRICS_PATH, HEALTH_PATH, READY_PATH})

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


def _respond(
    start_response: StartResponse, status: str, body: bytes, content_type: str
) -> Iterable[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    return _respond(start_response, status, json.dumps(body).encode(), "application/json")


class OpsApp:
    """Answers the three ops paths; anything else goes to ``fallback`` (or 404)."""

    def __init__(
        self,
        *,
        database: Callable[[], str | None],
        fallback: Callable[[Environ, StartResponse], Iterable[bytes]] | None = None,
    ) -> None:
        self.database = database
        self.fallback = fallback
        self._was_ready = True

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in OPS_PATHS and environ.get("REQUEST_METHOD") in {"GET", "HEAD"}:
            if path == METRICS_PATH:
                registry = metrics_module.current().registry
                return _respond(
                    start_response, "200 OK", generate_latest(registry), CONTENT_TYPE_LATEST
                )
            if path == HEALTH_PATH:
                return _json(start_response, "200 OK", {"ok": True})
            return self.ready(start_response)
        if self.fallback is not None:
            return self.fallback(environ, start_response)
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    def ready(self, start_response: StartResponse) -> Iterable[bytes]:
        checks = metrics_module.current().health.checks(database=self.database)
        ok = all(check.ok for check in checks)
        body = {
            "ok": ok,
            "checks": {
                check.name: ({"ok": True} if check.ok else {"ok": False, "error": check.detail})
                for check in checks
            },
        }
        # probes come every few seconds: say so when readiness changes, not at each probe
        if ok != self._was_ready:
            self._was_ready = ok
            failing = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok)
            if ok:
                log.info("ready again")
            else:
                log.warning("not ready: %s", failing)
        return _json(start_response, "200 OK" if ok else "503 Service Unavailable", body)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds are not news."""


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@dataclass
class OpsServer:
    """The ops endpoints on their own port (``worker``); ``stop()`` closes it."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self, timeout: float = 5.0) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout)


def serve_ops(app: OpsApp, *, host: str = "0.0.0.0", port: int = 0) -> OpsServer:  # noqa: S104
    """Serve ``app`` on a background thread; returns once listening."""
    server = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="ops-http", daemon=True
    )
    thread.start()
    return OpsServer(server=server, thread=thread)
