"""slack_sdk.WebClient, unchanged, against FakeSlack: answers, state, recording, faults."""

from __future__ import annotations

import json
import threading
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.support.fake_slack import FakeSlack, parse_body

from .conftest import ALICE, BOSS

BUTTON = {
    "type": "actions",
    "block_id": "b1",
    "elements": [
        {
            "type": "button",
            "action_id": "a1",
            "text": {"type": "plain_text", "text": "Go"},
            "value": "1",
        }
    ],
}


def _section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_base_url_ends_with_api(fake: FakeSlack) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.base_url.endswith("/api/")


def test_auth_test_names_the_bot(fake: FakeSlack, client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["user_id"] == fake.bot_user_id
    assert resp["team_id"] == fake.team_id
    assert resp["bot_id"] == fake.bot_id


@pytest.mark.parametrize("token", ["xoxb-wrong", ""])
def test_wrong_or_missing_token_is_invalid_auth(fake: FakeSlack, token: str) -> None:
    bad = WebClient(base_url=fake.base_url, token=token or None, timeout=10)
    with pytest.raises(SlackApiError) as info:
        bad.chat_postMessage(channel="C0GENERAL", text="hi")
    assert info.value.response["error"] == "invalid_auth"
    assert fake.messages("C0GENERAL") == []
    assert fake.calls_to("chat.postMessage")[0].ok is False


def test_post_message_returns_increasing_unique_ts(fake: FakeSlack, client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C0GENERAL", text=f"m{i}")["ts"] for i in range(5)]
    assert len(set(stamps)) == 5
    assert stamps == sorted(stamps, key=float)
    for ts in stamps:
        seconds, micros = ts.split(".")
        assert seconds.isdigit() and len(micros) == 6
    assert [m["text"] for m in fake.messages("C0GENERAL")] == [f"m{i}" for i in range(5)]


def test_post_message_answer_has_channel_and_message(client: WebClient) -> None:
    resp = client.chat_postMessage(channel="C0GENERAL", text="hello", blocks=[_section("hello")])
    assert resp["channel"] == "C0GENERAL"
    assert resp["message"]["text"] == "hello"
    assert resp["message"]["blocks"] == [_section("hello")]
    assert resp["message"]["ts"] == resp["ts"]


def test_thread_replies_in_order_and_kept_apart(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0GENERAL", text="card")["ts"]
    for text in ("first", "second", "third"):
        reply = client.chat_postMessage(channel="C0GENERAL", text=text, thread_ts=parent)
        assert reply["message"]["thread_ts"] == parent
    assert [m["text"] for m in fake.thread("C0GENERAL", parent)] == ["first", "second", "third"]
    top = fake.messages("C0GENERAL")
    assert [m["text"] for m in top] == ["card"]
    assert top[0]["reply_count"] == 3


def test_update_applies_to_current_state(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0GENERAL", text="v1", blocks=[BUTTON])["ts"]
    resp = client.chat_update(channel="C0GENERAL", ts=ts, text="v2")
    assert resp["ts"] == ts
    msg = fake.message("C0GENERAL", ts)
    assert msg is not None
    assert msg["text"] == "v2"
    assert msg["blocks"] == [BUTTON], "blocks left out of an update are kept, as in Slack"
    client.chat_update(channel="C0GENERAL", ts=ts, text="v3", blocks=[])
    assert fake.messages("C0GENERAL")[0]["blocks"] == []


def test_update_of_unknown_ts_is_message_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as info:
        client.chat_update(channel="C0GENERAL", ts="1.000001", text="x")
    assert info.value.response["error"] == "message_not_found"


def test_delete_removes_message(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0GENERAL", text="bye")["ts"]
    assert client.chat_delete(channel="C0GENERAL", ts=ts)["ts"] == ts
    assert fake.messages("C0GENERAL") == []
    with pytest.raises(SlackApiError):
        client.chat_delete(channel="C0GENERAL", ts=ts)


def test_post_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    resp = client.chat_postEphemeral(channel="C0GENERAL", user=ALICE.user_id, text="psst")
    assert resp["message_ts"]
    assert fake.ephemerals[0]["user"] == ALICE.user_id
    assert fake.ephemerals[0]["text"] == "psst"
    assert fake.messages("C0GENERAL") == []
    with pytest.raises(SlackApiError) as info:
        client.chat_postEphemeral(channel="C0GENERAL", user="U0NOBODY", text="psst")
    assert info.value.response["error"] == "user_not_in_channel"


def test_not_in_channel_but_dms_work(fake: FakeSlack, client: WebClient) -> None:
    fake.bot_not_in("C0SECRET")
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0SECRET", text="hi")
    assert info.value.response["error"] == "not_in_channel"
    fake.bot_not_in("D0ALICE")
    assert client.chat_postMessage(channel="D0ALICE", text="hi")["ok"]
    assert client.conversations_info(channel="C0SECRET")["channel"]["is_member"] is False
    fake.bot_joins("C0SECRET")
    assert client.chat_postMessage(channel="C0SECRET", text="hi")["ok"]


def test_message_needs_text_or_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as info:
        client.api_call("chat.postMessage", json={"channel": "C0GENERAL"})
    assert info.value.response["error"] == "no_text"


def test_views_open_update_push(fake: FakeSlack, client: WebClient) -> None:
    view = {
        "type": "modal",
        "callback_id": "edit",
        "title": {"type": "plain_text", "text": "Edit dates"},
        "private_metadata": "42",
        "blocks": [_section("pick")],
    }
    opened = client.views_open(trigger_id="1.2.3", view=view)["view"]
    assert opened["id"].startswith("V")
    assert opened["private_metadata"] == "42"
    updated = client.views_update(view_id=opened["id"], view={**view, "private_metadata": "43"})
    assert updated["view"]["id"] == opened["id"]
    assert fake.view(opened["id"])["private_metadata"] == "43"  # type: ignore[index]
    pushed = client.views_push(trigger_id="1.2.4", view=view)["view"]
    assert pushed["id"] != opened["id"]
    with pytest.raises(SlackApiError) as info:
        client.views_update(view_id="V_UNKNOWN", view=view)
    assert info.value.response["error"] == "not_found"
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id="", view=view)
    assert info.value.response["error"] == "invalid_trigger_id"


def test_users_info_has_timezone_and_roles(client: WebClient) -> None:
    alice = client.users_info(user=ALICE.user_id)["user"]
    assert alice["tz"] == "Europe/Helsinki"
    assert alice["tz_label"] == "Eastern European Time"
    assert alice["is_admin"] is False
    boss = client.users_info(user=BOSS.user_id)["user"]
    assert (boss["is_admin"], boss["is_owner"], boss["tz"]) == (True, True, "America/New_York")
    with pytest.raises(SlackApiError) as info:
        client.users_info(user="U0NOBODY")
    assert info.value.response["error"] == "user_not_found"


def test_conversations_info_and_members(fake: FakeSlack, client: WebClient) -> None:
    channel = client.conversations_info(channel="C0GENERAL")["channel"]
    assert channel["name"] == "general"
    assert channel["is_member"] is True
    assert client.conversations_info(channel="D0ALICE")["channel"]["is_im"] is True
    members = client.conversations_members(channel="C0GENERAL")["members"]
    assert fake.bot_user_id in members and ALICE.user_id in members


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as info:
        client.api_call("reactions.add", json={"name": "tada"})
    assert info.value.response["error"] == "unknown_method"


def test_calls_record_method_args_headers(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[BUTTON])
    client.users_info(user=ALICE.user_id)
    assert [c.method for c in fake.calls] == ["chat.postMessage", "users.info"]
    post = fake.calls_to("chat.postMessage")[0]
    assert post.args["blocks"] == [BUTTON]
    assert post.headers["authorization"] == f"Bearer {fake.token}"
    assert post.time > 0 and post.ok
    assert fake.calls_to("users.info")[0].args["user"] == ALICE.user_id


def test_form_bodies_are_parsed_with_json_fields(fake: FakeSlack) -> None:
    raw = urlencode({"channel": "C0GENERAL", "blocks": json.dumps([_section("hi")])}).encode()
    args = parse_body("application/x-www-form-urlencoded", raw)
    assert args["channel"] == "C0GENERAL"
    assert args["blocks"] == [_section("hi")]
    resp = httpx.post(
        fake.base_url + "chat.postMessage",
        data={"channel": "C0GENERAL", "text": "hi", "blocks": json.dumps([_section("hi")])},
        headers={"Authorization": f"Bearer {fake.token}"},
    )
    assert resp.json()["ok"] is True
    assert fake.messages("C0GENERAL")[0]["blocks"] == [_section("hi")]


def test_token_in_form_body_is_accepted(fake: FakeSlack) -> None:
    resp = httpx.post(fake.base_url + "auth.test", data={"token": fake.token})
    assert resp.json()["ok"] is True


def test_reset_forgets_everything(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C0GENERAL", text="x")
    fake.fail_next("auth.test", "account_inactive")
    fake.reset()
    assert fake.calls == [] and fake.messages("C0GENERAL") == []
    assert client.auth_test()["ok"]


def test_fail_next_counts_down(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "channel_not_found", count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            client.chat_postMessage(channel="C0GENERAL", text="x")
        assert info.value.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel="C0GENERAL", text="x")["ok"]
    assert [c.ok for c in fake.calls_to("chat.postMessage")] == [False, False, True]


def test_fail_next_with_http_status(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.update", "fatal_error", status=500)
    with pytest.raises(SlackApiError) as info:
        client.chat_update(channel="C0GENERAL", ts="1.1", text="x")
    assert info.value.response.status_code == 500


def test_rate_limit_without_retry_handler(fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0GENERAL", text="x")
    assert info.value.response.status_code == 429
    assert info.value.response["error"] == "ratelimited"
    assert info.value.response.headers["Retry-After"] == "7"


def test_rate_limit_retry_handler_retries_then_succeeds(fake: FakeSlack) -> None:
    client = WebClient(
        base_url=fake.base_url,
        token=fake.token,
        timeout=10,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake.rate_limit_next("chat.postMessage", retry_after=0)
    resp = client.chat_postMessage(channel="C0GENERAL", text="eventually")
    assert resp["ok"]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]
    assert [m["text"] for m in fake.messages("C0GENERAL")] == ["eventually"]


def test_blocks_over_limits_are_refused_and_recorded(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[_section("y" * 3001)])
    assert info.value.response["error"] == "invalid_blocks"
    assert any("3001 characters" in v for v in fake.violations)
    assert fake.messages("C0GENERAL") == []


def test_valid_blocks_leave_no_violations(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[_section("y" * 3000), BUTTON])
    assert fake.violations == []


def test_response_url_records_and_applies(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0GENERAL", text="card", blocks=[BUTTON])["ts"]
    url = fake.response_url("confirm", channel="C0GENERAL", message_ts=ts)
    assert url.startswith(fake.url + "/response/")
    hook = WebhookClient(url)
    assert hook.send(text="Working on it", replace_original=True).status_code == 200
    assert fake.responses_to("confirm")[0].body["replace_original"] is True
    assert fake.messages("C0GENERAL")[0]["text"] == "Working on it"
    assert fake.messages("C0GENERAL")[0]["blocks"] == []
    hook.send(text="said out loud", response_type="in_channel")
    assert [m["text"] for m in fake.messages("C0GENERAL")] == ["Working on it", "said out loud"]
    hook.send(text="", delete_original=True)
    assert [m["text"] for m in fake.messages("C0GENERAL")] == ["said out loud"]


def test_response_url_ephemeral_and_limits(fake: FakeSlack) -> None:
    url = fake.response_url("cmd")
    other = fake.response_url("cmd")
    assert url != other
    hook = WebhookClient(url)
    for i in range(FakeSlack.RESPONSE_URL_LIMIT):
        assert hook.send(text=f"r{i}").status_code == 200
    assert hook.send(text="too many").status_code == 404
    assert [p.body["text"] for p in fake.responses_to("cmd")] == [f"r{i}" for i in range(5)]
    assert httpx.post(fake.url + "/response/nope", json={"text": "x"}).status_code == 404
    hook.send(text="x")
    WebhookClient(other).send(text="x", blocks=[_section("z" * 3001)])
    assert any(v.startswith("response_url cmd") for v in fake.violations)


def test_concurrent_posts_are_all_recorded(fake: FakeSlack, client: WebClient) -> None:
    def post(i: int) -> None:
        client.chat_postMessage(channel="C0GENERAL", text=f"m{i}")

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(fake.calls_to("chat.postMessage")) == 20
    stamps = [m["ts"] for m in fake.messages("C0GENERAL")]
    assert len(set(stamps)) == 20


def test_delay_next_answers_normally(fake: FakeSlack, client: WebClient) -> None:
    fake.delay_next("auth.test", 0.05)
    assert client.auth_test()["ok"]


def test_stop_frees_the_server() -> None:
    fake = FakeSlack().start()
    url = fake.base_url
    fake.stop()
    with pytest.raises(httpx.TransportError):
        httpx.post(url + "auth.test", timeout=2)
