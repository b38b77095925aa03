"""Must show: /metrics after command → confirm → completed backfill; /readyz without a tracker."""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.observability.metrics import Metrics
from tests.observability.flow import (
    ops_url,
    run_to_completion,
    scrape,
    start_fast_tracker,
    submit,
    value,
)
from tests.slack.harness import harness
from tests.support.waiting import wait_for

P = "backfill_bot_"


def test_metrics_follow_a_backfill_and_readiness_follows_the_tracker(
    tmp_path: Path, metrics: Metrics
) -> None:
    with harness(tmp_path) as bot, ops_url(bot) as url:
        request = submit(bot)

        mid = scrape(url)
        assert value(mid, P + "commands_total", command="request", outcome="ok") == 1
        assert value(mid, P + "confirmations_total", outcome="ok") == 1
        assert value(mid, P + "submissions_total", outcome="created") == 1
        assert value(mid, P + "submissions_total", outcome="rejected") == 0
        created = "POST /teams/{id}/transfers/{id}/backfills"
        assert value(mid, P + "dts_requests_total", endpoint=created) == 1
        assert value(mid, P + "dts_request_duration_seconds_count", endpoint=created) == 1
        assert value(mid, P + "slack_api_calls_total", method="users.info", outcome="ok") == 1
        assert value(mid, P + "tracked_backfills", status="SUBMITTED") == 1
        assert value(mid, P + "tracked_backfills", status="RUNNING") == 0
        # nothing has ticked yet in this process: no tracker, no tick
        assert value(mid, P + "tracker_tick_duration_seconds_count") == 0

        # /readyz with no tracker in this process: the database and Slack decide
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": {"ok": True}, "slack": {"ok": True}}

        tracker = start_fast_tracker(bot)
        try:
            done = run_to_completion(bot, request.id)
            assert done.runs_completed == 31
            ready = httpx.get(f"{url}/readyz", timeout=10)
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["tracker"] == {"ok": True}
        finally:
            tracker.stop(timeout=30)

        after = scrape(url)
        poll = "GET /teams/{id}/backfills/{id}"
        assert value(after, P + "dts_requests_total", endpoint=poll, status="200") >= 2
        assert value(after, P + "dts_request_duration_seconds_count", endpoint=poll) >= 2
        posts = value(after, P + "slack_api_calls_total", method="chat.postMessage", outcome="ok")
        assert posts >= 3  # the card, the submitted reply, the completed reply
        assert value(after, P + "slack_api_calls_total", method="chat.update", outcome="ok") >= 1
        # every status change was announced: the lag histogram saw each of them
        lag_count = value(after, P + "announcement_lag_seconds_count", kind="state")
        assert lag_count >= 3  # SUBMITTED, RUNNING, COMPLETED at least
        assert value(after, P + "announcement_lag_seconds_bucket", kind="state", le="+Inf") == (
            lag_count
        )
        assert value(after, P + "tracker_tick_duration_seconds_count") >= 1
        assert value(after, P + "tracker_last_tick_timestamp_seconds") > 0
        assert value(after, P + "tracked_backfills") == 0  # COMPLETED is not followed
        assert value(after, P + "oldest_unannounced_event_age_seconds") == 0
        # the counters from before did not move backwards or double
        assert value(after, P + "submissions_total", outcome="created") == 1

        # the tracker stopped: not ready, and says why; still alive
        stopped = httpx.get(f"{url}/readyz", timeout=10)
        assert stopped.status_code == 503
        assert stopped.json()["checks"]["tracker"] == {
            "ok": False,
            "error": "the tracker has stopped",
        }
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200


def test_readyz_fails_while_every_slack_call_fails(tmp_path: Path, metrics: Metrics) -> None:
    with harness(tmp_path) as bot, ops_url(bot) as url:
        bot.fake.fail_next("users.info", "invalid_auth", count=5)
        for _ in range(5):
            bot.command("help")
        wait_for(lambda: len(bot.fake.calls_to("users.info")) >= 5, what="five users.info calls")
        wait_for(lambda: httpx.get(f"{url}/readyz").status_code == 503, what="not ready")
        body = httpx.get(f"{url}/readyz").json()
        assert body["checks"]["slack"]["ok"] is False
        assert "invalid_auth" in body["checks"]["slack"]["error"]
        assert body["checks"]["database"] == {"ok": True}
        # one call that gets through makes it ready again
        bot.command("help", name="again")
        wait_for(lambda: httpx.get(f"{url}/readyz").status_code == 200, what="ready again")


def test_readyz_fails_on_an_unmigrated_database(tmp_path: Path, metrics: Metrics) -> None:
    with harness(tmp_path) as bot, ops_url(bot) as url:
        with bot.runtime.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM alembic_version")
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 503
        error = ready.json()["checks"]["database"]["error"]
        assert "python -m bot migrate" in error
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
