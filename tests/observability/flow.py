"""One backfill from command to completion through the real Slack app, and the ops endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.messages import ids
from bot.runtime import Runtime
from bot.service.background import watch_backlog
from bot.slack.server import InProcessTracker, serve_in_thread, start_tracker, with_ops
from bot.slack.slack_notifier import build_web_client
from bot.store.models import BackfillRequest
from tests.slack.harness import CHANNEL, SlackHarness
from tests.support.waiting import wait_for

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@contextmanager
def ops_url(bot: SlackHarness) -> Iterator[str]:
    """The harness's Slack app behind the ops endpoints, as ``serve`` mounts them."""
    watch_backlog(bot.runtime)
    server = serve_in_thread(with_ops(bot.wsgi), threads=4)
    try:
        yield server.url
    finally:
        server.stop()


def scrape(url: str) -> Samples:
    response = httpx.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples named ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


def submit(bot: SlackHarness) -> BackfillRequest:
    """`/backfill transfer 456789 for last month`, then Confirm: the request, SUBMITTED."""
    bot.command("transfer 456789 for last month")
    row, _ = bot.posted_card()
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    return bot.wait_request(row.id, "SUBMITTED")


def start_fast_tracker(bot: SlackHarness) -> InProcessTracker:
    """The tracker ``serve`` runs in-process, ticking every 50 ms of real time."""
    settings = replace(bot.settings, tracker_tick_seconds=0.05)
    runtime = Runtime(
        settings=settings,
        engine=bot.runtime.engine,
        session_factory=bot.runtime.session_factory,
        vault=bot.runtime.vault,
        dts=bot.runtime.dts,
        clock=bot.clock,
    )
    return start_tracker(runtime, build_web_client(settings))


def run_to_completion(bot: SlackHarness, request_id: int) -> BackfillRequest:
    """Move the simulated clock on until the backfill completed and the thread says so."""

    def completed() -> BackfillRequest | None:
        row = bot.request(request_id)
        if row.state == "COMPLETED" and any(
            "completed" in reply["text"] for reply in bot.fake.thread(CHANNEL, row.message_ts or "")
        ):
            return row
        bot.clock.advance(20)
        return None

    return wait_for(completed, timeout=60, interval=0.05, what="the backfill to complete")
