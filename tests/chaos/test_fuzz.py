"""Hypothesis against /slack/events and the command parser (issue 17).

- Unsigned or wrongly signed requests (any body, any headers): never a 5xx, never any
  side effect (no row, no Slack call, no post to a ``response_url`` they carry).
- Signed requests of any shape (forms, ``payload`` JSON, events, unicode, huge ids):
  never a 5xx and never an unexpected error in the work after the ack.
- The parser, behind the service's edge cleaning: a ``BotError`` or a command, nothing else.

``FUZZ_EXAMPLES`` sets the examples per property (``make chaos``: 400; default 40).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import BotError
from bot.messages import ids
from bot.parsing import parse_command
from bot.service.core import clean_command
from tests.slack.harness import CHANNEL, SECRET, TEAM, SlackHarness
from tests.support import signing
from tests.support.waiting import wait_for

pytestmark = pytest.mark.chaos

# replaced by a response_url of the fake Slack (signed bodies come from Slack: its URLs work)
RESPONSE_URL = "http://response.url.placeholder/"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)
ids_ = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", "0", "2147483648", "9223372036854775808", "١٢", "1:2", "x"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def slack_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """Interactivity payloads of the kinds the bot listens to, fields spoiled at random."""
    kind = draw(st.sampled_from(["block_actions", "view_submission", "shortcut", "other"]))
    payload: dict[str, Any] = {
        "type": kind,
        "team": draw(st.one_of(st.just({"id": TEAM}), json_values)),
        "user": draw(st.one_of(st.just({"id": "U0ALICE", "team_id": TEAM}), json_values)),
        "channel": {"id": CHANNEL},
    }
    if kind == "block_actions":
        payload["actions"] = [
            {
                "action_id": draw(
                    st.sampled_from(
                        [
                            ids.ACTION_CONFIRM,
                            ids.ACTION_DISMISS,
                            ids.ACTION_CANCEL_BACKFILL,
                            ids.ACTION_EDIT,
                            ids.ACTION_RETRY_SUBMIT,
                            ids.ACTION_RETRY_FAILED_DAYS,
                            ids.ACTION_CHOOSE_TRANSFER,
                            "nonsense",
                        ]
                    )
                ),
                "value": draw(ids_),
                "block_id": "b",
            }
        ]
        payload["message"] = {"ts": draw(ids_)}
    elif kind == "view_submission":
        payload["view"] = {
            "callback_id": draw(st.sampled_from([ids.VIEW_EDIT_DATES, ids.VIEW_SETUP, "x"])),
            "private_metadata": draw(texts),
            "state": {"values": draw(json_values)},
        }
    for key in draw(st.lists(st.sampled_from(list(payload)), max_size=2)):
        payload[key] = draw(json_values)
    return payload


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    """A body and its content type: a slash command, a payload form, an event, or junk."""
    shape = draw(st.sampled_from(["command", "payload", "event", "junk_form", "bytes"]))
    if shape == "command":
        form = {
            "command": "/backfill",
            "text": draw(texts),
            "team_id": TEAM,
            "user_id": draw(st.sampled_from(["U0ALICE", "", "U0NOBODY"])),
            "channel_id": CHANNEL,
            "response_url": RESPONSE_URL,
            "trigger_id": draw(texts),
        }
        return urlencode(form).encode(), signing.FORM
    if shape == "payload":
        raw = draw(st.one_of(st.builds(json.dumps, slack_payloads()), texts))
        return urlencode({"payload": raw}).encode(), signing.FORM
    if shape == "event":
        event = {
            "type": draw(st.sampled_from(["app_mention", "message", "app_home_opened"])),
            "user": "U0ALICE",
            "text": draw(texts),
            "channel": CHANNEL,
            "channel_type": draw(st.sampled_from(["im", "channel"])),
            "thread_ts": draw(st.one_of(st.none(), ids_)),
        }
        body = {
            "type": draw(st.sampled_from(["event_callback", "url_verification", "x"])),
            "team_id": TEAM,
            "event_id": f"Ev{draw(st.integers(0, 10**9))}",
            "event": draw(st.one_of(st.just(event), json_values)),
            "challenge": draw(texts),
        }
        return json.dumps(body).encode(), signing.JSON
    if shape == "junk_form":
        form = draw(st.dictionaries(texts, texts, max_size=4))
        return urlencode(form).encode(), draw(st.sampled_from([signing.FORM, "text/plain", ""]))
    return draw(st.binary(max_size=300)), draw(st.sampled_from([signing.FORM, signing.JSON]))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackHarness]:
    h = SlackHarness(Path(tmp_path_factory.mktemp("fuzz")))
    try:
        yield h
    finally:
        h.close()


def _drained(bot: SlackHarness) -> None:
    """Wait until the work after every ack has run (it runs in arrival order)."""
    wait_for(lambda: bot.wsgi.bot.work.pending == 0, timeout=30, what="the work queue")
    time.sleep(0.02)


@FUZZ
@given(
    body=bodies(),
    timestamp=st.one_of(st.just("now"), st.text(alphabet="0123456789-e.x", max_size=14)),
    signature=st.one_of(st.just("forged"), st.text(alphabet="v0=abcdef0123456789", max_size=70)),
)
def test_unsigned_requests_get_4xx_and_change_nothing(
    fuzzed: SlackHarness, body: tuple[bytes, str], timestamp: str, signature: str
) -> None:
    raw, content_type = body
    calls, rows = len(fuzzed.fake.calls), len(fuzzed.requests())
    if signature == "forged":
        headers = signing.forged_headers(raw, content_type=content_type)
    else:
        ts = str(int(time.time())) if timestamp == "now" else timestamp
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
        }
    ack = signing.send(fuzzed.url, raw, headers, client=fuzzed.http)
    assert ack.status_code in {400, 401, 413}, ack.status_code
    _drained(fuzzed)
    assert len(fuzzed.fake.calls) == calls
    assert len(fuzzed.requests()) == rows


@FUZZ
@given(body=bodies())
def test_signed_requests_of_any_shape_never_fail_the_server(
    fuzzed: SlackHarness, body: tuple[bytes, str], caplog: pytest.LogCaptureFixture
) -> None:
    raw, content_type = body
    target = fuzzed.fake.response_url("fuzz", channel=CHANNEL)
    raw = raw.replace(quote(RESPONSE_URL, safe="").encode(), quote(target, safe="").encode())
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        ack = signing.send(
            fuzzed.url,
            raw,
            signing.signed_headers(SECRET, raw, content_type=content_type),
            client=fuzzed.http,
        )
        assert ack.status_code < 500, (ack.status_code, raw[:200])
        assert "Traceback" not in ack.text
        _drained(fuzzed)
    unexpected = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not unexpected, (unexpected, raw[:300])


@FUZZ
@given(
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=600),
    today=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    order=st.sampled_from(["MDY", "DMY"]),
)
def test_the_parser_answers_any_text_with_a_command_or_a_bot_error(
    text: str, today: date, order: str
) -> None:
    said = ""
    try:
        parse_command(clean_command(text), today=today, date_order=order)
        said = "parsed"
    except BotError as exc:
        said = exc.user_message
    assert said
