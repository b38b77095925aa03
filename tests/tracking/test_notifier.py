"""SlackNotifier over real HTTP against FakeSlack: calls, retries, error translation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import SlackApiError
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from tests.support.fake_slack import FakeSlack, FakeUser
from tests.support.ports import free_port


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(users=[FakeUser("U1")]) as fake:
        yield fake


@pytest.fixture
def notifier(slack: FakeSlack, tmp_path: Path) -> SlackNotifier:
    settings = Settings(
        data_dir=tmp_path, slack_api_url=slack.base_url, slack_bot_token=slack.token
    )
    return SlackNotifier(build_web_client(settings))


def test_post_reply_update_and_ephemeral(slack: FakeSlack, notifier: SlackNotifier) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*card*"}}]
    ts = notifier.post(slack_team_id="T1", channel="C1", text="card", blocks=blocks)
    reply = notifier.post(slack_team_id="T1", channel="C1", text="reply", thread_ts=ts)
    notifier.update(slack_team_id="T1", channel="C1", ts=ts, text="card v2", blocks=[])
    notifier.ephemeral(slack_team_id="T1", channel="C1", user="U1", text="only you")
    card = slack.message("C1", ts)
    assert card is not None
    assert card["text"] == "card v2" and card["blocks"] == []
    assert [m["ts"] for m in slack.thread("C1", ts)] == [reply]
    assert slack.ephemerals[0]["text"] == "only you"
    # the bot token went in the Authorization header, as Slack expects
    assert all(call.ok for call in slack.calls)


def test_slack_errors_become_bot_errors_with_the_code(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    slack.bot_not_in("C9")
    with pytest.raises(SlackApiError) as raised:
        notifier.post(slack_team_id="T1", channel="C9", text="hi")
    assert raised.value.error == "not_in_channel"
    assert "/invite" in raised.value.user_message
    with pytest.raises(SlackApiError) as raised:
        notifier.update(slack_team_id="T1", channel="C1", ts="1.000001", text="x")
    assert raised.value.error == "message_not_found"


def test_one_rate_limit_is_waited_out_by_the_client(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=0)
    notifier.post(slack_team_id="T1", channel="C1", text="hi")
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]


def test_a_persistent_rate_limit_surfaces_as_ratelimited(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=0, count=2)
    with pytest.raises(SlackApiError) as raised:
        notifier.post(slack_team_id="T1", channel="C1", text="hi")
    assert raised.value.error == "ratelimited"


def test_server_errors_are_retried(slack: FakeSlack, notifier: SlackNotifier) -> None:
    slack.fail_next("chat.postMessage", "internal_error", status=500)
    notifier.post(slack_team_id="T1", channel="C1", text="hi")
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 200]


def test_an_unreachable_slack_is_a_connection_error(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        slack_api_url=f"http://127.0.0.1:{free_port()}/api/",
        slack_bot_token="xoxb-test",
    )
    with pytest.raises(SlackApiError) as raised:
        SlackNotifier(build_web_client(settings)).post(slack_team_id="T1", channel="C1", text="x")
    assert raised.value.error == "connection_error"
    assert "xoxb-test" not in repr(raised.value) and "xoxb-test" not in str(raised.value)


def test_the_client_uses_the_configured_base_url_and_token(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, slack_api_url="http://127.0.0.1:9/api/", slack_bot_token="xoxb-1"
    )
    client = build_web_client(settings)
    assert client.base_url == "http://127.0.0.1:9/api/"
    assert client.token == "xoxb-1"
    kinds = {type(handler).__name__ for handler in client.retry_handlers}
    assert kinds == {
        "RateLimitErrorRetryHandler",
        "ServerErrorRetryHandler",
        "ConnectionErrorRetryHandler",
    }
