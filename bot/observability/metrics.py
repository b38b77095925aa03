"""The process's Prometheus metrics, every name prefixed ``backfill_bot_`` (README, Metrics).

One ``Metrics`` per process, with its own ``CollectorRegistry`` (never the library's global
one): ``current()`` is what instrumented code records into, ``install()`` swaps in a fresh
one (tests, one per test).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.observability.health import ProcessHealth

log = logging.getLogger(__name__)

PREFIX = "backfill_bot_"
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LAG_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
_TICK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_NUMBER = re.compile(r"/\d+(?=/|$)")


@dataclass(frozen=True)
class Backlog:
    """What the database says at scrape time: tracked requests by state, oldest unannounced."""

    tracked: dict[str, int] = field(default_factory=dict)
    oldest_unannounced_seconds: float | None = None


def endpoint_of(method: str, path: str) -> str:
    """``GET teams/1/backfills/10001`` → ``GET /teams/{id}/backfills/{id}`` (bounded labels)."""
    path = "/" + path.split("?", 1)[0].strip("/")
    return f"{method.upper()} {_NUMBER.sub('/{id}', path)}"


class _BacklogCollector(Collector):
    def __init__(self, read: Callable[[], Backlog]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        try:
            backlog = self._read()
        except Exception as exc:
            # a scrape must still answer; readiness reports the database itself
            log.warning("reading the backlog for /metrics failed: %s", type(exc).__name__)
            return
        tracked = GaugeMetricFamily(
            PREFIX + "tracked_backfills",
            "Requests whose backfill is being followed, by request state.",
            labels=["status"],
        )
        for status, count in sorted(backlog.tracked.items()):
            tracked.add_metric([status], count)
        yield tracked
        yield GaugeMetricFamily(
            PREFIX + "oldest_unannounced_event_age_seconds",
            "Age of the oldest status change not yet posted to Slack (0: none waiting).",
            value=backlog.oldest_unannounced_seconds or 0.0,
        )


class Metrics:
    """Every metric the bot records, on one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.health = ProcessHealth()
        self._backlog_lock = threading.Lock()
        self._backlog: _BacklogCollector | None = None
        r = self.registry
        self.commands = Counter(
            PREFIX + "commands",
            "Text commands, by sub-command and outcome (ok, refused, error).",
            ["command", "outcome"],
            registry=r,
        )
        self.confirmations = Counter(
            PREFIX + "confirmations",
            "Confirm clicks, by outcome (ok, refused: the person can fix it, error: ours).",
            ["outcome"],
            registry=r,
        )
        self.submissions = Counter(
            PREFIX + "submissions",
            "Create-backfill attempts, by outcome (created, rejected, failed) and error class.",
            ["outcome", "error_class"],
            registry=r,
        )
        self.dts_requests = Counter(
            PREFIX + "dts_requests",
            "Supermetrics DTS API calls, by endpoint and HTTP status (or timeout, network).",
            ["endpoint", "status"],
            registry=r,
        )
        self.dts_latency = Histogram(
            PREFIX + "dts_request_duration_seconds",
            "Supermetrics DTS API call latency, by endpoint.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.slack_calls = Counter(
            PREFIX + "slack_api_calls",
            "Slack Web API calls, by method and outcome (ok or Slack's error code).",
            ["method", "outcome"],
            registry=r,
        )
        self.announcement_lag = Histogram(
            PREFIX + "announcement_lag_seconds",
            "From a stored status change to its post in Slack, by event kind.",
            ["kind"],
            buckets=_LAG_BUCKETS,
            registry=r,
        )
        self.tracker_tick = Histogram(
            PREFIX + "tracker_tick_duration_seconds",
            "Duration of one tracker tick (expire, recover, poll, announce).",
            buckets=_TICK_BUCKETS,
            registry=r,
        )
        self.tracker_last_tick = Gauge(
            PREFIX + "tracker_last_tick_timestamp_seconds",
            "Unix time at which the last tracker tick of this process ended.",
            registry=r,
        )

    # --- recording ----------------------------------------

    def command(self, command: str, outcome: str) -> None:
        self.commands.labels(command=command, outcome=outcome).inc()

    def confirmation(self, outcome: str) -> None:
        self.confirmations.labels(outcome=outcome).inc()

    def submission(self, outcome: str, error_class: str = "") -> None:
        self.submissions.labels(outcome=outcome, error_class=error_class).inc()

    def dts_call(self, *, endpoint: str, status: str, seconds: float) -> None:
        self.dts_requests.labels(endpoint=endpoint, status=status).inc()
        self.dts_latency.labels(endpoint=endpoint).observe(max(seconds, 0.0))

    def slack_call(self, method: str, outcome: str) -> None:
        self.slack_calls.labels(method=method, outcome=outcome).inc()
        self.health.delivery.record(outcome)

    def announced(self, kind: str, lag_seconds: float) -> None:
        self.announcement_lag.labels(kind=kind).observe(max(lag_seconds, 0.0))

    def tick(self, seconds: float, *, ended_at: float) -> None:
        self.tracker_tick.observe(max(seconds, 0.0))
        self.tracker_last_tick.set(ended_at)

    def watch_backlog(self, read: Callable[[], Backlog]) -> None:
        """Read the backlog gauges from the database at each scrape (one reader a process)."""
        with self._backlog_lock:
            if self._backlog is not None:
                self.registry.unregister(self._backlog)
            self._backlog = _BacklogCollector(read)
            self.registry.register(self._backlog)

    def samples(self, name: str) -> Iterable[tuple[dict[str, str], float]]:
        """(labels, value) of every sample named ``name`` (tests, doctor)."""
        for metric in self.registry.collect():
            for sample in metric.samples:
                if sample.name == name:
                    yield dict(sample.labels), sample.value


_lock = threading.Lock()
_current: Metrics | None = None


def current() -> Metrics:
    """The process's metrics (made on first use)."""
    global _current
    with _lock:
        if _current is None:
            _current = Metrics()
        return _current


def install(metrics: Metrics | None = None) -> Metrics:
    """Make ``metrics`` (default: a fresh one) the process's; return it."""
    global _current
    with _lock:
        _current = metrics or Metrics()
        return _current
