"""What an anonymous or foreign caller can do to /slack/events: nothing (issue 17, 1-3, 11).

Each refused request is followed by a signed one, and the test waits for that one's
answer: the work after the ack runs in arrival order, so anything the refused request
had set off would have happened by then.
"""

from __future__ import annotations

import json
import logging
import socket
from urllib.parse import urlencode

import pytest

from bot.messages import ids
from tests.slack.harness import CHANNEL, REQUESTER, SECRET, TEAM, SlackHarness
from tests.support import signing
from tests.support.fake_slack import FakeUser

SM_TOKEN = "sm-token-Very-Secret-123"


def _answered(bot: SlackHarness, name: str) -> None:
    """Send a signed ``help`` and wait for its answer (everything before it has run)."""
    bot.command("help", name=name)
    bot.wait(lambda: bot.response_texts(name), f"the answer to {name}")


def _setup_body(response_url: str) -> str:
    values = {
        ids.BLOCK_SETUP_TEAM: {"team": {"type": "plain_text_input", "value": "7"}},
        ids.BLOCK_SETUP_TOKEN: {"token": {"type": "plain_text_input", "value": SM_TOKEN}},
    }
    payload = signing.view_submission_payload(
        callback_id=ids.VIEW_SETUP,
        private_metadata=CHANNEL,
        values=values,
        user_id=REQUESTER.user_id,
        team_id=TEAM,
    )
    payload["response_url"] = response_url
    return signing.payload_body(payload)


def test_unsigned_request_with_a_malformed_timestamp_is_401_and_does_nothing(
    bot: SlackHarness,
) -> None:
    trap = bot.fake.response_url("trap", channel=CHANNEL)
    body = signing.slash_command_body(
        text="transfer 456789 for last month",
        user_id=REQUESTER.user_id,
        team_id=TEAM,
        channel_id=CHANNEL,
        response_url=trap,
    )
    for timestamp in ("not-a-number", "", "1e9", "-5", "12abc"):
        headers = {
            "Content-Type": signing.FORM,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=" + "0" * 64,
        }
        ack = signing.send(bot.url, body, headers, client=bot.http)
        assert ack.status_code == 401, (timestamp, ack.status_code)
    _answered(bot, "after")
    assert bot.fake.responses_to("trap") == []
    assert bot.requests() == []
    assert bot.fake.calls_to("chat.postMessage") == []


def test_a_refused_setup_form_never_logs_its_body_and_refusals_are_rate_limited(
    bot: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    trap = bot.fake.response_url("trap", channel=CHANNEL)
    body = _setup_body(trap)
    for _ in range(20):
        forged = signing.send(bot.url, body, signing.forged_headers(body), client=bot.http)
        assert forged.status_code == 401
    big = "text=" + "x" * 200_000
    for _ in range(5):
        unsigned = signing.send(bot.url, big, signing.unsigned_headers(), client=bot.http)
        assert unsigned.status_code == 401
    _answered(bot, "after")
    logged = [record.getMessage() for record in caplog.records]
    everything = "\n".join(logged)
    assert SM_TOKEN not in everything
    assert urlencode({"t": SM_TOKEN})[2:] not in everything
    assert "xxxxxxxxxx" not in everything
    refusals = [line for line in logged if "refused a request" in line]
    assert 1 <= len(refusals) <= 2, refusals
    assert all(len(line) < 200 for line in refusals)
    assert bot.fake.responses_to("trap") == []


def test_a_guest_admin_from_another_workspace_cannot_confirm(bot: SlackHarness) -> None:
    guest = FakeUser("U0GUEST", name="gus", is_admin=True, home_team_id="T0OTHERCO")
    bot.fake.add_user(guest)
    bot.command("transfer 456789 for last month")
    row, _ = bot.posted_card()
    payload = signing.block_action_payload(
        action_id=ids.ACTION_CONFIRM,
        value=str(row.id),
        user_id=guest.user_id,
        team_id=TEAM,
        channel_id=CHANNEL,
        message_ts=row.message_ts or "",
    )
    payload["user"]["team_id"] = guest.home_team_id
    body = signing.payload_body(payload)
    ack = signing.send(bot.url, body, signing.signed_headers(SECRET, body), client=bot.http)
    assert ack.status_code == 200
    said = bot.wait(lambda: bot.ephemeral_texts(guest), "the refusal to the guest")
    assert f"Only <@{REQUESTER.user_id}>" in said[0]
    assert bot.request(row.id).state == "PENDING"
    assert bot.sim.backfills() == []


def test_a_guest_admin_gets_no_admin_rights_even_when_the_body_hides_their_team(
    bot: SlackHarness,
) -> None:
    """users.info names the guest's home team: that alone refuses them ``setup``."""
    guest = FakeUser("U0GUEST", name="gus", is_admin=True, home_team_id="T0OTHERCO")
    bot.fake.add_user(guest)
    bot.command("setup", user=guest)
    text = bot.wait(bot.response_texts, "the refusal")[0]
    assert "Only a workspace admin" in text
    assert bot.fake.calls_to("views.open") == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot-json", signing.FORM),
        ("payload=%5B1%2C2%5D", signing.FORM),
        ("payload=1&payload=2", signing.FORM),
        ("{not json", signing.JSON),
        ("[1, 2]", signing.JSON),
        ("text=hi", "text/plain"),
        ("", signing.FORM),
    ],
)
def test_malformed_signed_bodies_are_400_without_side_effects(
    bot: SlackHarness, body: str, content_type: str
) -> None:
    headers = signing.signed_headers(SECRET, body, content_type=content_type)
    ack = signing.send(bot.url, body, headers, client=bot.http)
    assert ack.status_code == 400
    assert "Traceback" not in ack.text
    _answered(bot, "after")
    assert bot.requests() == []


def test_not_utf8_is_400(bot: SlackHarness) -> None:
    body = b"text=\xff\xfe&command=%2Fbackfill"
    ack = signing.send(bot.url, body, signing.signed_headers(SECRET, body), client=bot.http)
    assert ack.status_code == 400


def test_signed_unknown_action_and_missing_fields_are_not_5xx(bot: SlackHarness) -> None:
    payload = signing.block_action_payload(
        action_id="no_such_action",
        value="1",
        user_id=REQUESTER.user_id,
        team_id=TEAM,
        channel_id=CHANNEL,
        message_ts="1.2",
    )
    body = signing.payload_body(payload)
    ack = signing.send(bot.url, body, signing.signed_headers(SECRET, body), client=bot.http)
    assert ack.status_code < 500
    bare = signing.payload_body({"type": "block_actions", "actions": [{}]})
    ack = signing.send(bot.url, bare, signing.signed_headers(SECRET, bare), client=bot.http)
    assert ack.status_code < 500
    _answered(bot, "after")


def test_an_oversized_body_is_refused_from_its_headers(bot: SlackHarness) -> None:
    """10 MB announced, 1 KB sent: the 413 comes back without the rest being read."""
    host, port = "127.0.0.1", bot.server.port
    with socket.create_connection((host, port), timeout=10) as sock:
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: {signing.FORM}\r\nContent-Length: {10 * 1024 * 1024}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"x" * 1024)
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:80]


def test_a_body_over_the_limit_is_413_even_when_sent_whole(bot: SlackHarness) -> None:
    body = "text=" + "x" * (bot.settings.slack_max_body_bytes + 10)
    ack = signing.send(bot.url, body, signing.signed_headers(SECRET, body), client=bot.http)
    assert ack.status_code == 413


def test_other_methods_and_paths(bot: SlackHarness) -> None:
    assert bot.http.get(bot.url).status_code == 405
    assert bot.http.post(bot.server.url + "/elsewhere", content=b"x").status_code == 404
    body = json.dumps({"type": "url_verification", "challenge": "abc"})
    ack = signing.send(
        bot.url, body, signing.signed_headers(SECRET, body, content_type=signing.JSON)
    )
    assert ack.status_code == 200 and "abc" in ack.text
