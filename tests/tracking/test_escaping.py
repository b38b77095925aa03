"""What the API or a person wrote stays literal in thread replies: no mentions, no links."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from bot.messages.thread_replies import expired_card, finished_reply, status_reply
from bot.store.models import RequestState
from tests.tracking.conftest import TRANSFER, TrackerEnv

NASTY = "<!channel> failed & <http://x|y>"
ESCAPED = "&lt;!channel&gt; failed &amp; &lt;http://x|y&gt;"


def _all_text(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_run_errors_are_escaped_in_the_finished_reply() -> None:
    message = finished_reply(
        status="FAILED",
        request_id=7,
        backfill_id=70,
        requester="U1",
        duration=timedelta(minutes=3),
        runs_total=2,
        runs_completed=1,
        runs_failed=1,
        error_report=[{"date": "2026-01-02", "error": NASTY}],
    )
    text = _all_text(message.blocks)
    assert f"• 2026-01-02 (1 day): {ESCAPED}" in text
    assert "<!channel>" not in text and "<http://x|y>" not in text
    assert "<!channel>" not in message.text


def test_an_unknown_status_is_escaped() -> None:
    message = status_reply(
        status="<!here>", backfill_id=1, runs_total=1, runs_completed=0, runs_failed=0
    )
    assert "<!here>" not in message.text + _all_text(message.blocks)
    assert "&lt;!here&gt;" in message.text


def test_the_command_and_notes_are_escaped_on_an_expired_card() -> None:
    message = expired_card(
        transfer_id=456789,
        transfer_name="Ads <b> & more",
        range_start=date(2026, 1, 1),
        range_end=date(2026, 1, 31),
        days=31,
        requester="U1",
        command_text=f"transfer 456789 {NASTY}",
        notes=[f"Read {NASTY} as January."],
    )
    text = _all_text(message.blocks)
    assert f"Run `/backfill transfer 456789 {ESCAPED}` again" in text
    assert f"• Read {ESCAPED} as January." in text
    assert "Ads &lt;b&gt; &amp; more" in text
    assert "<!channel>" not in text and "<http://x|y>" not in text


def test_an_api_error_text_reaches_slack_escaped(env: TrackerEnv) -> None:
    env.sim.fail_dates(TRANSFER, [date(2026, 1, 2)], error=NASTY)
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    env.run_until(lambda: env.state(sub.request_id) is RequestState.FAILED)
    row = env.request(sub.request_id)
    [finished] = [
        msg
        for msg in env.slack.thread(row.message_channel, row.message_ts)
        if msg["text"].startswith(":x:")
    ]
    text = _all_text(finished["blocks"])
    assert ESCAPED in text
    assert "<!channel>" not in text and "<http://x|y>" not in text
