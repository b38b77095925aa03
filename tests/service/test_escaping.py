"""Nothing a person or the API writes can become a mention or a link in Slack mrkdwn.

Slack reads ``<!channel>``, ``<@U…>`` and ``<https://…|label>`` in mrkdwn; the bot's own
mentions are ``<@U…>`` and ``<#C…>``. Everything else must reach Slack escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.errors import TransferLookupError
from bot.messages.blocks import error_text, escape_mrkdwn, transfer_label, unescape_mrkdwn
from bot.service import Actor
from bot.supermetrics.errors import ErrorBody, Operation, error_for_status
from bot.supermetrics.models import Transfer
from tests.service.conftest import TEAM, ServiceWorld

ALICE = Actor(slack_team_id=TEAM, user_id="U0ALICE", channel_id="C0GEN", tz="UTC")
HOSTILE = "Ads <!channel> & <https://evil.example|click here>"
_OWN_MARKUP = re.compile(r"<@[UW][A-Z0-9]+>|<#C[A-Z0-9]+>")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")


def texts(node: Any) -> Iterator[str]:
    """Every mrkdwn string under a "text" key, however deep (plain_text is never parsed)."""
    if isinstance(node, dict):
        if node.get("type") == "plain_text":
            return
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from texts(item)


def assert_inert(text: str) -> None:
    """Only the bot's own mentions may use angle brackets; every & starts an entity."""
    rest = _OWN_MARKUP.sub("", text)
    assert "<" not in rest and ">" not in rest, text
    assert "&" not in _ENTITY.sub("", rest), text


def _everything_posted(world: ServiceWorld) -> list[str]:
    found: list[str] = []
    for message in world.notifier.messages.values():
        found.append(message["text"])
        found += texts(message["blocks"])
    return found


def test_escape_round_trip() -> None:
    assert escape_mrkdwn("a <b> & c") == "a &lt;b&gt; &amp; c"
    assert unescape_mrkdwn(escape_mrkdwn("x &lt; <y> & z")) == "x &lt; <y> & z"
    assert transfer_label(7, "<!here>") == "&lt;!here&gt; (#7)"
    assert transfer_label(None, "A & B") == "A &amp; B"


def test_list_footer_placeholder_is_not_a_link(world: ServiceWorld) -> None:
    world.service.handle_text(actor=ALICE, text="transfer 456789 yesterday")
    reply = world.service.handle_text(actor=ALICE, text="list")
    shown = [reply.text, *texts(list(reply.blocks))]
    for text in shown:
        assert_inert(text)
    assert any("`/backfill status &lt;id&gt;`" in text for text in shown)


def test_transfer_names_from_the_api_are_shown_literally(world: ServiceWorld) -> None:
    world.sim.add_team(1, token="demo-token", transfers=[Transfer(456800, HOSTILE, "ACTIVE")])
    world.service.handle_text(actor=ALICE, text="transfer 456800 yesterday")
    # by name: several transfers match "ads", so the chooser lists their names
    world.service.handle_text(actor=ALICE, text="ads yesterday")
    posted = _everything_posted(world)
    assert len(world.notifier.messages) == 2
    for text in posted:
        assert_inert(text)
    joined = "\n".join(posted)
    assert "Ads &lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt; (#456800)" in joined
    assert 'you mean by "ads"' in joined


def test_the_users_text_is_echoed_literally(world: ServiceWorld) -> None:
    with pytest.raises(TransferLookupError) as caught:
        world.service.handle_text(actor=ALICE, text="Snap & Chat <!here> yesterday")
    message = caught.value.user_message
    assert_inert(message)
    assert "Snap &amp; Chat" in message
    assert '"Facebook Ads - daily"' in message  # suggestions still listed


def test_api_error_descriptions_are_quoted_literally() -> None:
    body = ErrorBody(
        code="BAD<CODE>",
        message="Unprocessable",
        description="Overlaps <!channel> & <https://evil.example|this>",
        request_id="req<1>",
    )
    operation = Operation(action="create the backfill", not_found="transfer 1")
    for status in (401, 403, 422, 500):
        error = error_for_status(status, body, operation=operation, retry_after=None)
        # the client keeps the API's words as sent; whoever renders mrkdwn makes them literal
        assert error.quotes_outside_text
        assert_inert(error_text(error))
        assert error.description == body.description  # kept as sent, for logs
    rejected = error_for_status(422, body, operation=operation, retry_after=None)
    assert "Overlaps &lt;!channel&gt; &amp; &lt;https://evil.example|this&gt;." in (
        error_text(rejected)
    )
