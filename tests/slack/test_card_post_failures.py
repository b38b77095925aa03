"""When the confirmation card can't be posted, or its answer comes late (issue 17: 7).

Either the card is there exactly once, with its request PENDING, or the person is told
plainly that nothing happened and the request is closed with no card left in the channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.messages import ids
from tests.slack.harness import CHANNEL, SlackHarness, action_ids, harness


@pytest.fixture
def quick_bot(tmp_path: Path) -> Iterator[SlackHarness]:
    """The bot with a 1 s Slack timeout, so a late answer is lost quickly."""
    with harness(tmp_path, slack_timeout_seconds=1) as h:
        yield h


def _cards(bot: SlackHarness) -> list[dict[str, object]]:
    return [m for m in bot.fake.messages(CHANNEL) if ids.ACTION_CONFIRM in action_ids(m)]


def test_rate_limited_twice_the_card_is_posted_after_retry_after(bot: SlackHarness) -> None:
    bot.fake.rate_limit_next("chat.postMessage", retry_after=1, count=2)
    bot.command("transfer 456789 for last month")
    row, card = bot.posted_card()
    assert row.state == "PENDING"
    assert len(_cards(bot)) == 1
    assert ids.ACTION_CONFIRM in action_ids(card)


def test_a_card_whose_answer_was_lost_is_kept_not_left_live_for_a_dismissed_request(
    quick_bot: SlackHarness,
) -> None:
    bot = quick_bot
    bot.fake.answer_late_next("chat.postMessage", 2.5)
    bot.command("transfer 456789 for last month")
    row, _card = bot.posted_card()
    assert row.state == "PENDING"
    assert [m["ts"] for m in _cards(bot)] == [row.message_ts]
    bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    bot.wait_request(row.id, "SUBMITTED")


def test_a_card_that_cannot_be_posted_says_plainly_that_nothing_happened(
    bot: SlackHarness,
) -> None:
    bot.wsgi.bot.listeners.service.deps.sleep = lambda _seconds: None
    bot.fake.fail_next("chat.postMessage", "ratelimited", count=40, status=429)
    bot.command("transfer 456789 for last month", name="refused")
    said = bot.wait(lambda: bot.response_texts("refused"), "the answer")[0]
    assert "nothing was requested or submitted" in said
    assert "try again" not in said.lower().replace("send the request again", "")
    [row] = bot.requests()
    assert row.state == "DISMISSED"
    assert _cards(bot) == []
