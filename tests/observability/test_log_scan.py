"""Must show: no secret in any log line at DEBUG through a whole run, forged request included."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.observability.logs import redact, register_secret
from bot.observability.metrics import Metrics
from tests.observability.conftest import CapturedLogs
from tests.observability.flow import run_to_completion, start_fast_tracker, submit
from tests.slack.harness import CHANNEL, DTS_TOKEN, REQUESTER, SECRET, TEAM, harness
from tests.support import signing

FORGED_TEXT = "transfer 456789 for FORGED-BODY-MARKER"


def test_no_secret_or_body_in_any_log_line_of_a_whole_run(
    tmp_path: Path, metrics: Metrics, json_logs: CapturedLogs
) -> None:
    with harness(tmp_path) as bot:
        # a request signed with the wrong secret: refused, and Bolt logs why
        forged_body = signing.slash_command_body(
            text=FORGED_TEXT,
            user_id=REQUESTER.user_id,
            team_id=TEAM,
            channel_id=CHANNEL,
            response_url=bot.fake.response_url("forged"),
        )
        forged_headers = signing.forged_headers(forged_body)
        assert (
            signing.send(bot.url, forged_body, forged_headers, client=bot.http).status_code == 401
        )

        request = submit(bot)
        tracker = start_fast_tracker(bot)
        try:
            run_to_completion(bot, request.id)
        finally:
            tracker.stop(timeout=30)
        secrets = {
            "Slack bot token": bot.settings.slack_bot_token,
            "signing secret": SECRET,
            "Supermetrics token": DTS_TOKEN,
            "encryption key": bot.key,
            "forged signature": forged_headers["X-Slack-Signature"],
        }
        bodies = {
            "forged body": forged_body,
            "forged text": "FORGED-BODY-MARKER",
            "a form body": "response_url=http",
            "a verification token": "deprecated-verification-token",
            "an interactive payload": "payload=%7B",
        }

    text = json_logs.text
    lines = text.splitlines()
    assert len(lines) > 50, "the run logged at DEBUG"
    records = [json.loads(line) for line in lines]  # one JSON object per line, every line
    for what, value in {**secrets, **bodies}.items():
        assert value not in text, f"the {what} is in the logs"
    # the forged request was reported (one short line: no body, no signature)
    assert any("refused a request to /slack/events" in r["message"] for r in records)
    assert re.search(r"v0=[0-9a-f]{16}", text) is None

    # the lines carry the ids of what they are about
    def lines_with(*fields: str) -> list[dict[str, str]]:
        return [r for r in records if all(field in r for field in fields)]

    assert lines_with("slack_team", "slack_delivery"), "listener work names team and delivery"
    assert lines_with("request_id", "backfill_id", "slack_team", "supermetrics_team")
    dts = lines_with("supermetrics_team", "dts_request_id")
    assert dts and all(r["logger"] == "bot.supermetrics.client" for r in dts)
    assert {r["request_id"] for r in lines_with("request_id")} == {str(request.id)}


def test_redaction_covers_token_shapes_and_registered_values() -> None:
    register_secret("a-registered-secret-value")
    line = (
        "xoxb-123-456-abc xapp-1-A0-99-ff Bearer sk-live-123 v0=" + "a" * 64 + " "
        "token=abc&x=1 a-registered-secret-value "
        + "k" * 43
        + "= gAAAAABlongciphertext_____________"
    )
    scrubbed = redact(line)
    for leaked in ("xoxb-", "xapp-", "sk-live", "v0=aaaa", "token=abc", "registered", "kkkk"):
        assert leaked not in scrubbed, leaked
    assert "gAAAAAB" not in scrubbed
    assert "x=1" in scrubbed  # what is not secret stays readable
