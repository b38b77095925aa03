"""Mentions, DMs, retried events, signatures, sub-commands and transfers by name."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot.messages import ids
from bot.supermetrics.models import Transfer
from tests.slack.harness import (
    CHANNEL,
    REQUESTER,
    SECRET,
    TEAM,
    SlackHarness,
    action_ids,
    block_text,
)
from tests.support import signing


def test_mention_in_a_channel_posts_the_card_there(any_bot: SlackHarness) -> None:
    bot = any_bot
    event = signing.app_mention(
        user_id=REQUESTER.user_id,
        channel_id=CHANNEL,
        text="<@U0BOT> backfill transfer 456789 yesterday",
        ts=bot.next_ts(),
    )
    ack = signing.event(bot.url, SECRET, event=event, team_id=TEAM, event_id="Ev0MENTION")
    assert ack.status_code == 200
    row, card = bot.posted_card()
    # yesterday for someone in Helsinki at 17:00 local time on 10 February
    assert (row.range_start, row.range_end) == (date(2026, 2, 9), date(2026, 2, 9))
    assert row.message_channel == CHANNEL
    assert ids.ACTION_CONFIRM in action_ids(card)


def test_direct_message_answers_in_the_dm(any_bot: SlackHarness) -> None:
    bot = any_bot
    dm = "D0ALICE"
    event = signing.direct_message(
        user_id=REQUESTER.user_id, channel_id=dm, text="help", ts=bot.next_ts()
    )
    signing.event(bot.url, SECRET, event=event, team_id=TEAM, event_id="Ev0DM")
    [message] = bot.wait(lambda: bot.fake.messages(dm), "the help message in the DM")
    assert "/backfill status 12" in message["text"]


def test_bot_messages_and_edits_in_a_dm_are_ignored(
    bot: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    dm = "D0ALICE"
    edited = dict(
        signing.direct_message(user_id=REQUESTER.user_id, channel_id=dm, text="help", ts="1.1"),
        subtype="message_changed",
    )
    from_bot = dict(
        signing.direct_message(user_id=REQUESTER.user_id, channel_id=dm, text="help", ts="1.2"),
        bot_id="B0OTHER",
    )
    for number, event in enumerate((edited, from_bot)):
        ack = signing.event(bot.url, SECRET, event=event, team_id=TEAM, event_id=f"Ev0IGN{number}")
        assert ack.status_code == 200
    # a real message afterwards is answered; the two before it never were
    real = signing.direct_message(user_id=REQUESTER.user_id, channel_id=dm, text="help", ts="1.3")
    signing.event(bot.url, SECRET, event=real, team_id=TEAM, event_id="Ev0REAL")
    bot.wait(lambda: bot.fake.messages(dm), "the answer to the real message")
    assert len(bot.fake.messages(dm)) == 1


def test_an_event_retried_by_slack_is_handled_once(
    any_bot: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    bot = any_bot
    caplog.set_level(logging.INFO, logger="bot.slack")
    event = signing.app_mention(
        user_id=REQUESTER.user_id,
        channel_id=CHANNEL,
        text="<@U0BOT> transfer 456789 last month",
        ts=bot.next_ts(),
    )
    first = signing.event(bot.url, SECRET, event=event, team_id=TEAM, event_id="Ev0RETRY")
    retry = signing.event(
        bot.url, SECRET, event=event, team_id=TEAM, event_id="Ev0RETRY", retry_num=1
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    bot.wait(lambda: "Ev0RETRY already handled" in caplog.text, "the retry to be recognised")
    bot.posted_card()
    assert len(bot.requests()) == 1
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("kind", ["forged", "missing", "stale"])
def test_bad_signatures_are_refused_and_change_nothing(bot: SlackHarness, kind: str) -> None:
    body = signing.slash_command_body(
        text="transfer 456789 for last month",
        user_id=REQUESTER.user_id,
        team_id=TEAM,
        channel_id=CHANNEL,
        response_url=bot.fake.response_url("command"),
    )
    headers = {
        "forged": signing.forged_headers(body),
        "missing": signing.unsigned_headers(),
        "stale": signing.signed_headers(SECRET, body, timestamp=signing.old_timestamp()),
    }[kind]
    response = signing.send(bot.url, body, headers, client=bot.http)
    assert response.status_code == 401
    assert bot.fake.calls == [] and bot.fake.responses == []
    # a correctly signed request afterwards is served: the refusal was about the signature
    bot.command("help")
    bot.wait(bot.response_texts, "the help answer")
    assert len(bot.fake.responses) == 1
    assert bot.requests() == []
    assert bot.fake.calls_to("chat.postMessage") == []


def test_health_check(bot: SlackHarness) -> None:
    response = bot.http.get(f"{bot.server.url}/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert bot.http.get(f"{bot.server.url}/nothing-here").status_code == 404


def test_help_list_and_status(bot: SlackHarness) -> None:
    bot.command("help")
    help_text = bot.wait(bot.response_texts, "help")[0]
    assert "transfer 456789 for last month" in help_text

    bot.command("transfer 456789 for last month")
    row, _ = bot.posted_card()
    bot.command("list", name="list")
    listing = bot.response_body("list")
    assert f"*#{row.id}*" in block_text(listing) and "PENDING" in block_text(listing)

    bot.command(f"status {row.id}", name="status")
    status = bot.response_body("status")
    assert f"Request #{row.id}" in status["text"] and "PENDING" in status["text"]
    assert "2026-01-01 → 2026-01-31" in block_text(status)
    assert all(p.body.get("response_type") == "ephemeral" for p in bot.fake.responses)


def test_command_errors_are_explained_privately(bot: SlackHarness) -> None:
    bot.command("transfer 456789 for next week")
    text = bot.wait(bot.response_texts, "the explanation")[0]
    assert "future" in text.lower() or "after today" in text.lower()
    assert bot.requests() == []


def test_transfer_by_unique_name(bot: SlackHarness) -> None:
    bot.command("Google Ads for last month")
    row, card = bot.posted_card()
    assert (row.transfer_id, row.transfer_name) == (456790, "Google Ads")
    assert "Google Ads (#456790)" in block_text(card)


def test_transfer_name_matching_several_asks_which(bot: SlackHarness) -> None:
    bot.command("ads daily for last month")
    row, card = bot.posted_card()
    assert row.transfer_id is None and row.transfer_name == "ads daily"
    choices = [a for a in action_ids(card) if a.startswith(ids.ACTION_CHOOSE_TRANSFER)]
    assert len(choices) == 2
    assert "Facebook Ads - daily" in block_text(card) and "FB ads - daily" in block_text(card)

    bot.click(ids.ACTION_CHOOSE_TRANSFER, f"{row.id}:456792", message_ts=row.message_ts or "")
    chosen = bot.wait(
        lambda: r if (r := bot.request(row.id)).transfer_id == 456792 else None, "the choice"
    )
    assert chosen.transfer_name == "FB ads - daily" and chosen.state == "PENDING"
    card = bot.wait(
        lambda: c if ids.ACTION_CONFIRM in action_ids(c := bot.card(row.id)) else None,
        "the confirmation card",
    )
    assert "FB ads - daily (#456792)" in block_text(card)


def test_transfer_name_matching_nothing_lists_some_names(bot: SlackHarness) -> None:
    bot.command("Snapchat for last month")
    text = bot.wait(bot.response_texts, "the explanation")[0]
    assert 'named "Snapchat"' in text and "Google Ads" in text
    assert bot.requests() == []


def test_names_with_ampersands_and_angle_brackets_round_trip(bot: SlackHarness) -> None:
    """Slack sends &, < and > as entities; the card shows them escaped exactly once."""
    bot.sim.add_team(1, token="demo-token", transfers=[Transfer(456801, "Ads & <More>", "ACTIVE")])
    # what Slack sends when someone types: Ads & <More> for last month
    bot.command("Ads &amp; &lt;More&gt; for last month")
    row, card = bot.posted_card()
    assert (row.transfer_id, row.transfer_name) == (456801, "Ads & <More>")
    assert row.text == "Ads & <More> for last month"
    assert "Ads &amp; &lt;More&gt; (#456801)" in block_text(card)
    assert "Ads &amp; &lt;More&gt; (#456801)" in card["text"]

    bot.command("list", name="list")
    listing = bot.response_body("list")
    assert "`/backfill status &lt;id&gt;`" in block_text(listing)
    assert "<id>" not in block_text(listing)
