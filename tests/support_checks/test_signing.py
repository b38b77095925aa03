"""Requests built by tests/support/signing.py verify with slack_sdk's SignatureVerifier.

A small loopback server records what arrives, so the checks cover the bytes on the wire.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.support import signing

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class Recorder:
    url: str
    received: list[Received] = field(default_factory=list)

    def last(self) -> Received:
        return self.received[-1]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A loopback HTTP server that verifies like Bolt does: 401 unless the signature holds."""
    verifier = SignatureVerifier(SECRET)
    seen: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            seen.append(Received(body=body, headers=headers))
            ok = verifier.is_valid_request(body, headers)
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Recorder(
            url=f"http://127.0.0.1:{server.server_address[1]}/slack/events", received=seen
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_signature_matches_slacks_documented_example() -> None:
    # The worked example from Slack's "Verifying requests from Slack" page.
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert (
        signing.signature(SECRET, body, 1531420618)
        == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_signed_headers_verify() -> None:
    body = b"a=1"
    headers = signing.signed_headers(SECRET, body)
    assert SignatureVerifier(SECRET).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


def test_forged_tampered_and_old_fail_verification() -> None:
    verifier = SignatureVerifier(SECRET)
    body = b"a=1"
    for headers in (
        signing.forged_headers(body),
        signing.tampered_headers(SECRET, body),
        signing.signed_headers(SECRET, body, timestamp=signing.old_timestamp()),
    ):
        assert not verifier.is_valid(
            body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
        )
    assert not verifier.is_valid_request(body, signing.unsigned_headers())


def test_slash_command_is_signed_form(recorder: Recorder) -> None:
    resp = signing.slash_command(
        recorder.url,
        SECRET,
        text="transfer 456789 for last January",
        user_id="U0ALICE",
        team_id="T0000FAKE",
        channel_id="C0GENERAL",
        response_url="http://127.0.0.1:1/response/x",
    )
    assert resp.status_code == 200
    got = recorder.last()
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(got.body.decode()).items()}
    assert form["command"] == "/backfill"
    assert form["text"] == "transfer 456789 for last January"
    assert form["user_id"] == "U0ALICE" and form["team_id"] == "T0000FAKE"
    assert form["channel_id"] == "C0GENERAL"
    assert form["response_url"] == "http://127.0.0.1:1/response/x"
    assert form["trigger_id"]
    assert "x-slack-retry-num" not in got.headers


def test_block_action_is_signed_payload(recorder: Recorder) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "card"}}]
    resp = signing.block_action(
        recorder.url,
        SECRET,
        action_id="backfill_confirm",
        value="42",
        user_id="U0ALICE",
        team_id="T0000FAKE",
        channel_id="C0GENERAL",
        message_ts="1732790000.000100",
        block_id="backfill_confirm_actions:42",
        response_url="http://127.0.0.1:1/response/y",
        message_blocks=blocks,
    )
    assert resp.status_code == 200
    payload = json.loads(parse_qs(recorder.last().body.decode())["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1732790000.000100",
        "channel_id": "C0GENERAL",
        "is_ephemeral": False,
    }
    assert payload["message"]["blocks"] == blocks
    action = payload["actions"][0]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "backfill_confirm",
        "42",
        "backfill_confirm_actions:42",
    )
    assert payload["user"]["id"] == "U0ALICE"
    assert payload["response_url"] == "http://127.0.0.1:1/response/y"


def test_view_submission_is_signed_payload(recorder: Recorder) -> None:
    values = {"edit_start": {"start": {"type": "datepicker", "selected_date": "2026-01-01"}}}
    resp = signing.view_submission(
        recorder.url,
        SECRET,
        callback_id="backfill_edit_dates_view",
        private_metadata="42",
        values=values,
        user_id="U0ALICE",
        team_id="T0000FAKE",
    )
    assert resp.status_code == 200
    payload = json.loads(parse_qs(recorder.last().body.decode())["payload"][0])
    assert payload["type"] == "view_submission"
    assert payload["view"]["callback_id"] == "backfill_edit_dates_view"
    assert payload["view"]["private_metadata"] == "42"
    assert payload["view"]["state"]["values"] == values


def test_event_is_signed_json_with_retry_headers(recorder: Recorder) -> None:
    mention = signing.app_mention(
        user_id="U0ALICE", channel_id="C0GENERAL", text="<@U0BOT> help", ts="1.000100"
    )
    resp = signing.event(
        recorder.url, SECRET, event=mention, team_id="T0000FAKE", event_id="Ev1", retry_num=1
    )
    assert resp.status_code == 200
    got = recorder.last()
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-slack-retry-num"] == "1"
    assert got.headers["x-slack-retry-reason"] == "http_timeout"
    body = json.loads(got.body)
    assert body["type"] == "event_callback" and body["event_id"] == "Ev1"
    assert body["event"] == mention


def test_url_verification_is_signed(recorder: Recorder) -> None:
    assert signing.url_verification(recorder.url, SECRET, challenge="abc").status_code == 200
    assert json.loads(recorder.last().body)["challenge"] == "abc"


def test_server_rejects_forged_and_old(recorder: Recorder) -> None:
    body = signing.slash_command_body(
        text="help", user_id="U0ALICE", team_id="T0000FAKE", channel_id="C0GENERAL"
    )
    assert signing.send(recorder.url, body, signing.forged_headers(body)).status_code == 401
    assert signing.send(recorder.url, body, signing.unsigned_headers()).status_code == 401
    old = signing.slash_command(
        recorder.url,
        SECRET,
        text="help",
        user_id="U0ALICE",
        team_id="T0000FAKE",
        channel_id="C0GENERAL",
        timestamp=signing.old_timestamp(),
    )
    assert old.status_code == 401
    fresh = signing.slash_command(
        recorder.url,
        SECRET,
        text="help",
        user_id="U0ALICE",
        team_id="T0000FAKE",
        channel_id="C0GENERAL",
        timestamp=int(time.time()),
    )
    assert fresh.status_code == 200
