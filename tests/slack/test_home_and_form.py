"""The App Home (published on open, republished once when a backfill changes status), the
New backfill form (options, live preview, submit → the command's card) and the slash
command's immediate answer, over real HTTP against the fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.messages import ids
from bot.service.background import polling_tracker
from bot.slack.slack_notifier import SlackNotifier
from tests.slack.conftest import check_limits
from tests.slack.harness import ADMIN, CHANNEL, OTHER, REQUESTER, TEAM, SlackHarness, block_text
from tests.slack.harness import harness as slack_harness
from tests.support import signing
from tests.support.block_kit_limits import check_view
from tests.support.fake_slack import FakeUser
from tests.support.waiting import wait_for

SECRET = "test-signing-secret"
DM = "D" + REQUESTER.user_id[1:]  # the fake's DM of the requester with the bot


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[SlackHarness]:
    with slack_harness(tmp_path, home_refresh_seconds=1.0) as h:
        yield h
        check_limits(h)
        for view in [*h.fake.views(), *published_homes(h)]:
            assert_valid_view(view)


def published_homes(h: SlackHarness) -> list[dict[str, Any]]:
    return [call.args["view"] for call in h.fake.calls_to("views.publish") if call.ok]


def assert_valid_view(view: dict[str, Any]) -> None:
    """Both checkers: the project's limits and slack_sdk's Block Kit models."""
    assert check_view(view) == [], view
    fields = ("type", "callback_id", "title", "submit", "close", "blocks", "private_metadata")
    View(**{key: view[key] for key in fields if view.get(key) is not None}).validate_json()


def open_home(h: SlackHarness, user: FakeUser = REQUESTER, event_id: str = "Ev0HOME") -> None:
    ack = signing.event(
        h.url,
        SECRET,
        event={"type": "app_home_opened", "user": user.user_id, "channel": DM, "tab": "home"},
        team_id=TEAM,
        event_id=event_id,
        client=h.http,
    )
    assert ack.status_code == 200


def publishes(h: SlackHarness, user: FakeUser = REQUESTER) -> list[dict[str, Any]]:
    """The Homes published for ``user``, oldest first."""
    return [
        call.args["view"]
        for call in h.fake.calls_to("views.publish")
        if call.ok and call.args["user_id"] == user.user_id
    ]


def confirmed_backfill(h: SlackHarness) -> int:
    h.command("transfer 456789 for last January")
    row, _ = h.posted_card()
    h.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
    h.wait_request(row.id, "SUBMITTED")
    return row.id


# --- the App Home -------------------------------------------------------------------------


def test_home_lists_a_running_backfill_and_is_republished_once_on_a_status_change(
    bot: SlackHarness,
) -> None:
    request_id = confirmed_backfill(bot)
    # the service's first announcement was a status change: the Home was published
    wait_for(lambda: publishes(bot), what="the Home after the submission")
    wait_for(lambda: bot.wsgi.bot.home.pending() == 0, what="no publish waiting")
    before = len(publishes(bot))

    open_home(bot)
    home = wait_for(lambda: publishes(bot)[before:] and publishes(bot)[-1], what="the Home on open")
    text = block_text(home)
    assert f"*#{request_id}* Facebook Ads - daily (#456789)" in text
    assert "░" in text and "0/31 days" in text  # the progress bar
    cancel = [
        block["accessory"]
        for block in home["blocks"]
        if block.get("accessory", {}).get("action_id", "").startswith(ids.ACTION_HOME_CANCEL)
    ]
    assert [button["value"] for button in cancel] == [str(request_id)]
    assert cancel[0]["action_id"] == f"{ids.ACTION_HOME_CANCEL}:{request_id}"
    assert "New backfill" in text and "Setup" not in text  # not an admin
    opened = len(publishes(bot))

    # the tracker (as serve wires it) sees the backfill move on: one more publish
    tracker = polling_tracker(bot.runtime, notifier=SlackNotifier(bot.wsgi.bot.workspaces.clients))
    tracker.announcer.on_status_change = bot.wsgi.bot.home.changed
    try:
        bot.clock.advance(timedelta(minutes=5))
        status_before = bot.request(request_id).dts_status
        tracker.run_once()
        status_after = bot.request(request_id).dts_status
        assert status_after != status_before
        republished = wait_for(
            lambda: len(publishes(bot)) > opened and publishes(bot)[-1], what="a republish"
        )
    finally:
        tracker.dts.close()
    wait_for(lambda: bot.wsgi.bot.home.pending() == 0, what="no publish waiting")
    assert len(publishes(bot)) == opened + 1
    assert str(status_after) in block_text(republished)


def test_admins_get_a_setup_button_and_others_see_the_workspaces_running_backfills(
    bot: SlackHarness,
) -> None:
    request_id = confirmed_backfill(bot)
    open_home(bot, ADMIN, event_id="Ev0ADMIN")
    home = wait_for(lambda: publishes(bot, ADMIN) and publishes(bot, ADMIN)[-1], what="Home")
    text = block_text(home)
    assert "Setup" in text and "Connected to Supermetrics (team 1)" in text
    others = text.split("Other running backfills in this workspace")[1]
    assert f"#{request_id}" in others and f"<@{REQUESTER.user_id}>" in others


def test_the_home_tells_when_no_token_is_set_up(bot_without_token: SlackHarness) -> None:
    open_home(bot_without_token, OTHER)
    home = wait_for(
        lambda: publishes(bot_without_token, OTHER) and publishes(bot_without_token, OTHER)[-1],
        what="Home",
    )
    assert "No Supermetrics API token" in block_text(home)
    assert_valid_view(home)


def test_cancel_on_the_home_cancels_the_backfill(bot: SlackHarness) -> None:
    request_id = confirmed_backfill(bot)
    payload = {
        "type": "block_actions",
        "api_app_id": "A0FAKE",
        "token": "deprecated-verification-token",
        "trigger_id": signing.new_trigger_id(),
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {"id": "V0HOME", "type": "home", "blocks": []},
        "actions": [
            {
                "type": "button",
                "action_id": f"{ids.ACTION_HOME_CANCEL}:{request_id}",
                "value": str(request_id),
            }
        ],
        **_who(REQUESTER),
    }
    assert signing.interaction(bot.url, SECRET, payload, client=bot.http).status_code == 200
    bot.wait_request(request_id, "CANCELLED")
    [backfill] = bot.sim.backfills()
    assert backfill.status == "CANCELLED"


# --- the New backfill form ---------------------------------------------------------------


def _who(user: FakeUser) -> dict[str, Any]:
    return {"user": {"id": user.user_id, "team_id": TEAM}, "team": {"id": TEAM, "domain": "fake"}}


def open_form_by_shortcut(h: SlackHarness) -> dict[str, Any]:
    payload = {
        "type": "shortcut",
        "callback_id": ids.SHORTCUT_NEW_BACKFILL,
        "trigger_id": signing.new_trigger_id(),
        "api_app_id": "A0FAKE",
        "token": "deprecated-verification-token",
        "action_ts": "1770735600.000001",
        **_who(REQUESTER),
    }
    assert signing.interaction(h.url, SECRET, payload, client=h.http).status_code == 200
    return wait_for(
        lambda: next(
            (v for v in h.fake.views() if v["callback_id"] == ids.VIEW_NEW_BACKFILL), None
        ),
        what="the New backfill form",
    )


def state(*, transfer: int | None = None, text: str = "", channel: str | None = None) -> dict:
    values: dict[str, Any] = {
        ids.BLOCK_FORM_TRANSFER: {
            ids.ACTION_FORM_TRANSFER: {
                "type": "external_select",
                "selected_option": (
                    {"text": {"type": "plain_text", "text": "x"}, "value": str(transfer)}
                    if transfer
                    else None
                ),
            }
        },
        ids.BLOCK_FORM_RANGE: {
            ids.ACTION_FORM_RANGE: {"type": "plain_text_input", "value": text or None}
        },
        ids.BLOCK_FORM_START: {ids.ACTION_FORM_START: {"type": "datepicker"}},
        ids.BLOCK_FORM_END: {ids.ACTION_FORM_END: {"type": "datepicker"}},
        ids.BLOCK_FORM_CHANNEL: {
            ids.ACTION_FORM_CHANNEL: {
                "type": "conversations_select",
                "selected_conversation": channel,
            }
        },
    }
    return values


def test_the_shortcut_opens_the_form_with_the_dm_as_default_channel(bot: SlackHarness) -> None:
    form = open_form_by_shortcut(bot)
    elements = {b.get("block_id"): b.get("element", {}) for b in form["blocks"]}
    assert elements[ids.BLOCK_FORM_TRANSFER]["type"] == "external_select"
    assert elements[ids.BLOCK_FORM_CHANNEL]["initial_conversation"] == DM
    assert bot.fake.calls_to("views.open")[-1].token == bot.fake.token


def test_typing_a_transfer_filter_returns_matching_options(bot: SlackHarness) -> None:
    payload = {
        "type": "block_suggestion",
        "action_id": ids.ACTION_FORM_TRANSFER,
        "block_id": ids.BLOCK_FORM_TRANSFER,
        "value": "linkedin",
        "api_app_id": "A0FAKE",
        "token": "deprecated-verification-token",
        "container": {"type": "view", "view_id": "V0FORM"},
        "view": {"id": "V0FORM", "type": "modal", "callback_id": ids.VIEW_NEW_BACKFILL},
        **_who(REQUESTER),
    }
    answer = signing.interaction(bot.url, SECRET, payload, client=bot.http)
    assert answer.status_code == 200
    options = answer.json()["options"]
    assert [o["text"]["text"] for o in options] == ["LinkedIn Ads (#456791)"]
    assert options[0]["value"] == "456791"
    by_id = signing.interaction(bot.url, SECRET, {**payload, "value": "45678"}, client=bot.http)
    assert "Facebook Ads - daily (#456789)" in [o["text"]["text"] for o in by_id.json()["options"]]


def test_a_typed_range_is_previewed_under_the_field(bot: SlackHarness) -> None:
    form = open_form_by_shortcut(bot)

    def type_range(text: str) -> dict[str, Any]:
        payload = {
            "type": "block_actions",
            "api_app_id": "A0FAKE",
            "token": "deprecated-verification-token",
            "trigger_id": signing.new_trigger_id(),
            "container": {"type": "view", "view_id": form["id"]},
            "view": {**form, "state": {"values": state(transfer=456789, text=text)}},
            "actions": [
                {
                    "type": "plain_text_input",
                    "action_id": ids.ACTION_FORM_RANGE,
                    "block_id": ids.BLOCK_FORM_RANGE,
                    "value": text,
                    "action_ts": "1770735600.000002",
                }
            ],
            **_who(REQUESTER),
        }
        assert signing.interaction(bot.url, SECRET, payload, client=bot.http).status_code == 200
        return wait_for(
            lambda: (v := bot.fake.view(form["id"])) and v["hash"] != form["hash"] and v,
            what="the previewed form",
        )

    updated = type_range("last January")
    preview = [b for b in updated["blocks"] if b.get("block_id") == ids.BLOCK_FORM_PREVIEW]
    assert "2026-01-01 → 2026-01-31" in block_text({"blocks": preview})
    assert "31 days" in block_text({"blocks": preview})
    form = updated
    wrong = type_range("next January")
    assert ":x:" in block_text(
        {"blocks": [b for b in wrong["blocks"] if b.get("block_id") == ids.BLOCK_FORM_PREVIEW]}
    )


def submit_form(h: SlackHarness, values: dict[str, Any]) -> Any:
    return signing.view_submission(
        h.url,
        SECRET,
        callback_id=ids.VIEW_NEW_BACKFILL,
        private_metadata="",
        values=values,
        user_id=REQUESTER.user_id,
        team_id=TEAM,
        client=h.http,
    )


def test_submit_posts_the_confirmation_card_and_the_rest_is_the_commands_flow(
    bot: SlackHarness,
) -> None:
    ack = submit_form(bot, state(transfer=456789, text="last January"))
    assert ack.status_code == 200 and not ack.content  # closes the modal
    row, card = bot.posted_card()
    assert row.message_channel == DM  # the default: the DM with the bot
    assert row.text == "transfer 456789 last January"
    assert "Facebook Ads - daily (#456789)" in block_text(card)
    assert "2026-01-01 → 2026-01-31" in block_text(card)
    bot.click(ids.ACTION_CONFIRM, str(row.id), channel=DM, message_ts=row.message_ts or "")
    assert bot.wait_request(row.id, "SUBMITTED").backfill_id is not None


def test_submit_with_two_days_to_a_chosen_channel(bot: SlackHarness) -> None:
    values = state(transfer=456789, channel=CHANNEL)
    values[ids.BLOCK_FORM_START][ids.ACTION_FORM_START]["selected_date"] = "2026-01-05"
    values[ids.BLOCK_FORM_END][ids.ACTION_FORM_END]["selected_date"] = "2026-01-12"
    assert submit_form(bot, values).status_code == 200
    row, _ = bot.posted_card()
    assert row.message_channel == CHANNEL
    assert (str(row.range_start), str(row.range_end), row.days) == ("2026-01-05", "2026-01-12", 8)


def test_mistakes_are_shown_in_the_form(bot: SlackHarness) -> None:
    empty = submit_form(bot, state()).json()
    assert empty["response_action"] == "errors"
    assert set(empty["errors"]) == {ids.BLOCK_FORM_TRANSFER, ids.BLOCK_FORM_RANGE}
    future = submit_form(bot, state(transfer=456789, text="next year")).json()
    assert set(future["errors"]) == {ids.BLOCK_FORM_RANGE}
    assert bot.requests() == []


def test_the_home_buttons_open_the_form_and_the_setup(bot: SlackHarness) -> None:
    def press(user: FakeUser, action_id: str) -> None:
        payload = {
            "type": "block_actions",
            "api_app_id": "A0FAKE",
            "token": "deprecated-verification-token",
            "trigger_id": signing.new_trigger_id(),
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {"id": "V0HOME", "type": "home", "blocks": []},
            "actions": [{"type": "button", "action_id": action_id, "value": "x"}],
            **_who(user),
        }
        assert signing.interaction(bot.url, SECRET, payload, client=bot.http).status_code == 200

    press(REQUESTER, ids.ACTION_NEW_BACKFILL)
    wait_for(
        lambda: any(v["callback_id"] == ids.VIEW_NEW_BACKFILL for v in bot.fake.views()),
        what="the form",
    )
    press(ADMIN, ids.ACTION_OPEN_SETUP)
    wait_for(
        lambda: any(v["callback_id"] == ids.VIEW_SETUP for v in bot.fake.views()),
        what="the setup modal",
    )
    # not an admin: told so privately, no modal
    press(OTHER, ids.ACTION_OPEN_SETUP)
    said = wait_for(lambda: bot.fake.messages("U0BOB") or None, what="an answer to Bob")
    assert "admin" in said[0]["text"]
    assert sum(v["callback_id"] == ids.VIEW_SETUP for v in bot.fake.views()) == 1


# --- immediate feedback ------------------------------------------------------------------


def test_the_slash_command_is_answered_at_once_then_the_card_follows(bot: SlackHarness) -> None:
    ack, _ = bot.command("transfer 456789 for last January")
    assert ack.status_code == 200 and ack.json()["text"] == "Reading your request…"
    bot.posted_card()


def test_a_mistake_in_a_command_is_told_to_the_person_only(bot: SlackHarness) -> None:
    ack, _ = bot.command("transfer 456789 for next January", name="oops")
    assert ack.json()["text"] == "Reading your request…"
    said = bot.response_body("oops")
    assert said["response_type"] == "ephemeral" and "future" in said["text"].lower()
    assert bot.fake.messages(CHANNEL) == []
