"""A Slack post that landed but whose answer was lost is not posted again (issue 17: 6).

The fake Slack takes the post at once and answers after the client's timeout (1 s here),
the way a slow network loses an answer; the announcer must find its marker in the
thread (conversations.replies with metadata) instead of posting the reply twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.store.models import RequestState
from tests.tracking.conftest import CHANNEL, TrackerEnv

STATUSES = ("submitted by", "is scheduled", "is running", ":white_check_mark:")


@pytest.fixture
def tracker_settings_overrides() -> dict[str, Any]:
    return {"slack_timeout_seconds": 1}


def test_a_reply_whose_answer_was_lost_is_posted_once(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    env.slack.answer_late_next("chat.postMessage", 2.5)
    env.tick(5)  # SCHEDULED: posted, but the answer comes after the timeout
    assert env.state(sub.request_id) is RequestState.SCHEDULED
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)
    env.tick(5)
    replies = env.replies(sub)
    assert [sum(status in reply for reply in replies) for status in STATUSES] == [1, 1, 1, 1]
    reads = env.slack.calls_to("conversations.replies")
    assert reads, "the thread was read back before posting again"
    assert all(call.args.get("channel") == CHANNEL for call in reads)


def test_thread_replies_carry_their_event_as_metadata(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)
    env.tick(5)
    markers = [
        message.get("metadata", {}).get("event_payload", {}).get("marker", "")
        for message in env.slack.thread(CHANNEL, sub.ts)
    ]
    assert len(markers) == 4 and len(set(markers)) == 4
    assert all(marker.startswith(f"request-{sub.request_id}-event-") for marker in markers)
