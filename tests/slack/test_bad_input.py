"""Bad input at the edge: NUL, huge ids, long names, huge commands, mentions in threads
(issue 17: 10, 12). On both databases: PostgreSQL is the one that refused them."""

from __future__ import annotations

from bot.supermetrics.models import Transfer
from tests.slack.harness import CHANNEL, DTS_TOKEN, REQUESTER, SECRET, SM_TEAM, TEAM, SlackHarness
from tests.support import signing

DATABASE_TROUBLE = "database"
MAX_COMMAND_CHARS = 4000  # bot.service.core.MAX_COMMAND_CHARS: Slack's guidance for text


def _answer(bot: SlackHarness, text: str, name: str) -> str:
    bot.command(text, name=name)
    [said] = bot.wait(lambda: bot.response_texts(name), f"the answer to {text[:30]!r}")
    return said


def test_a_nul_in_a_command_is_dropped_and_the_card_posted(any_bot: SlackHarness) -> None:
    bot = any_bot
    bot.command("transfer 456789\x00 for last month\x00")
    row, _ = bot.posted_card()
    assert "\x00" not in row.text
    assert row.transfer_id == 456789


def test_ids_above_int32_are_answered_not_database_errors(any_bot: SlackHarness) -> None:
    bot = any_bot
    for number, text in enumerate(("status 2147483648", "cancel 2147483648")):
        said = _answer(bot, text, f"big-{number}")
        assert DATABASE_TROUBLE not in said, said
        assert "2147483648" in said
    said = _answer(bot, "status 99999999999999999999", "beyond-int64")
    assert "whole numbers from 1 to 9223372036854775807" in said


def test_a_transfer_name_of_256_characters_is_stored_in_full(any_bot: SlackHarness) -> None:
    bot = any_bot
    name = "N" * 256
    bot.sim.add_team(SM_TEAM, token=DTS_TOKEN, transfers=[Transfer(999001, name, "ACTIVE")])
    bot.command("transfer 999001 for last month")
    row, _card = bot.posted_card()
    assert row.transfer_name == name


def test_a_command_longer_than_slack_allows_is_refused_before_parsing(bot: SlackHarness) -> None:
    from bot.service.core import MAX_COMMAND_CHARS as limit

    assert limit == MAX_COMMAND_CHARS
    said = _answer(bot, "transfer 456789 for last month " + "x" * MAX_COMMAND_CHARS, "long")
    assert f"up to {MAX_COMMAND_CHARS:,} characters" in said
    assert bot.requests() == []


def test_a_mention_inside_a_thread_is_answered_in_that_thread(bot: SlackHarness) -> None:
    parent = bot.fake.post_as_user(CHANNEL, REQUESTER.user_id, "we lost January's data")
    event = dict(
        signing.app_mention(
            user_id=REQUESTER.user_id,
            channel_id=CHANNEL,
            text="<@U0BOT> backfill transfer 456789 for last month",
            ts=bot.next_ts(),
        ),
        thread_ts=parent,
    )
    signing.event(bot.url, SECRET, event=event, team_id=TEAM, event_id="Ev0THREAD")
    row, card = bot.posted_card()
    assert card.get("thread_ts") == parent
    assert row.thread_ts == parent
    assert [m["ts"] for m in bot.fake.messages(CHANNEL)] == [parent]
