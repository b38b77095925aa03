"""The service without HTTP: routing, examples in help, name matching, the error guard."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.clock import day_spans, zone
from bot.errors import BotError, CommandError, NotFoundError, StateConflictError
from bot.messages import ids
from bot.parsing import parse_command
from bot.service import OPEN_SETUP, Actor
from bot.service.lookups import EXAMPLES
from bot.service.transfer_cache import match_transfers, no_match_error
from bot.store.db import session_scope
from bot.store.models import BackfillRequest
from bot.store.queries import list_events
from bot.supermetrics.models import Transfer
from tests.service.conftest import TEAM, ServiceWorld
from tests.slack.harness import action_ids, block_text

ALICE = Actor(slack_team_id=TEAM, user_id="U0ALICE", channel_id="C0GEN", tz="Pacific/Auckland")


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_help_example_parses(example: str) -> None:
    command = parse_command(example, today=date(2026, 2, 10))
    assert command.transfer_id is not None or command.transfer_name
    assert command.range_start <= command.range_end <= date(2026, 2, 10)


TRANSFERS = [
    Transfer(1, "Facebook Ads - daily"),
    Transfer(2, "FB ads - daily"),
    Transfer(3, "Google Ads"),
    Transfer(4, "Google Ads (EU)"),
]


def test_name_matching_exact_first_then_unique_partial() -> None:
    assert [t.transfer_id for t in match_transfers("google ads", TRANSFERS)] == [3]
    assert [t.transfer_id for t in match_transfers("GOOGLE  ADS eu", TRANSFERS)] == [4]
    assert [t.transfer_id for t in match_transfers("Facebook", TRANSFERS)] == [1]
    assert [t.transfer_id for t in match_transfers("ads daily", TRANSFERS)] == [1, 2]
    assert match_transfers("Snapchat", TRANSFERS) == []
    message = no_match_error("Gogle Ads", TRANSFERS).user_message
    assert message.index("Google Ads") < message.index("FB ads")  # closest first


def test_spans_of_consecutive_days() -> None:
    days = [date(2026, 1, d) for d in (5, 1, 2, 3, 9, 10)]
    assert (day_spans(days)) == [
        (date(2026, 1, 1), date(2026, 1, 3)),
        (date(2026, 1, 5), date(2026, 1, 5)),
        (date(2026, 1, 9), date(2026, 1, 10)),
    ]


def test_today_is_the_users_local_date(world: ServiceWorld) -> None:
    # 15:00 UTC on 10 February is already 11 February in Auckland
    world.service.handle_text(actor=ALICE, text="transfer 456789 yesterday")
    with session_scope(world.session_factory) as session:
        [row] = session.query(BackfillRequest).all()
        assert row.range_start == row.range_end == date(2026, 2, 10)


def test_routing_of_sub_commands(world: ServiceWorld) -> None:
    assert "/backfill status" in world.service.handle_text(actor=ALICE, text="").text
    assert "/backfill list" in world.service.handle_text(actor=ALICE, text="backfill help").text
    with pytest.raises(CommandError, match="status 12"):
        world.service.handle_text(actor=ALICE, text="status")
    with pytest.raises(NotFoundError):
        world.service.handle_text(actor=ALICE, text="status 4242")
    admin = Actor(slack_team_id=TEAM, user_id="U0ADA", channel_id="C0GEN", is_admin=True)
    assert world.service.handle_text(actor=admin, text="setup").opens == OPEN_SETUP


def test_card_posting_failure_other_than_membership_is_a_bot_error(world: ServiceWorld) -> None:
    from bot.errors import SlackApiError

    world.notifier.fail_with = SlackApiError("Slack refused it", error="invalid_blocks")
    with pytest.raises(SlackApiError):
        world.service.handle_text(actor=ALICE, text="transfer 456789 last month")
    with session_scope(world.session_factory) as session:
        [row] = session.query(BackfillRequest).all()
        assert row.state == "DISMISSED"


def test_a_card_post_that_failed_doubtfully_is_tried_again(world: ServiceWorld) -> None:
    from bot.errors import SlackApiError

    world.service.deps.sleep = lambda _seconds: None
    world.notifier.fail_with = SlackApiError("Slack is down", error="fatal_error")
    world.service.handle_text(actor=ALICE, text="transfer 456789 last month")
    with session_scope(world.session_factory) as session:
        [row] = session.query(BackfillRequest).all()
        assert row.state == "PENDING" and row.message_ts


def test_unexpected_failures_become_a_bot_error_with_a_reference(world: ServiceWorld) -> None:
    world.notifier.fail_with = RuntimeError("boom")
    with pytest.raises(BotError) as caught:
        world.service.handle_text(actor=ALICE, text="transfer 456789 last month")
    assert "reference `" in caught.value.user_message
    assert "boom" not in caught.value.user_message


def test_confirm_twice_by_the_same_person_is_quiet_then_conflicts_for_others(
    world: ServiceWorld,
) -> None:
    reply = world.service.handle_text(actor=ALICE, text="transfer 456789 last month")
    assert reply.request_id is not None and reply.is_empty
    world.service.confirm(actor=ALICE, request_id=reply.request_id)
    again = world.service.confirm(actor=ALICE, request_id=reply.request_id)
    assert again.is_empty
    admin = Actor(slack_team_id=TEAM, user_id="U0ADA", channel_id="C0GEN", is_admin=True)
    with pytest.raises(StateConflictError, match="already confirmed by <@U0ALICE>"):
        world.service.confirm(actor=admin, request_id=reply.request_id)
    assert len(world.sim.backfills()) == 1
    with pytest.raises(NotFoundError):
        world.service.confirm(
            actor=Actor(slack_team_id="T0OTHER", user_id="U0ALICE", channel_id="C0GEN"),
            request_id=reply.request_id,
        )


def _service_card(world: ServiceWorld, text: str) -> dict[str, Any]:
    """The card update the service itself made (the announcer re-renders it afterwards)."""
    [update] = [u for u in world.notifier.updates if u["text"] == text]
    return update


def test_submitted_and_cancelled_cards_and_events_mirror_the_backfill(world: ServiceWorld) -> None:
    reply = world.service.handle_text(actor=ALICE, text="transfer 456789 last month")
    assert reply.request_id is not None
    world.service.confirm(actor=ALICE, request_id=reply.request_id)
    [backfill] = world.sim.backfills()
    card = _service_card(world, f"Backfill #{backfill.backfill_id} submitted by <@U0ALICE>.")
    text = block_text(card)
    assert "Facebook Ads - daily" in text and "Submitted by <@U0ALICE>" in text
    assert f"backfill #{backfill.backfill_id} · {backfill.status.value}" in text
    assert ids.ACTION_CANCEL_BACKFILL in action_ids(card)

    admin = Actor(slack_team_id=TEAM, user_id="U0ADA", channel_id="C0GEN", is_admin=True)
    world.service.cancel_backfill(actor=admin, request_id=reply.request_id)
    card = _service_card(world, f"Backfill #{backfill.backfill_id} cancelled by <@U0ADA>.")
    text = block_text(card)
    assert f"backfill #{backfill.backfill_id} · CANCELLED" in text
    assert "Submitted by <@U0ALICE>" in text  # who confirmed, not who cancelled
    assert action_ids(card) == []

    with session_scope(world.session_factory) as session:
        row = session.get(BackfillRequest, reply.request_id)
        assert row is not None
        assert (row.state, row.dts_status, row.next_poll_at) == ("CANCELLED", "CANCELLED", None)
        assert row.runs_total == backfill.runs_total
        moves = [
            (e.to_state, e.payload)
            for e in list_events(session, request_id=row.id)
            if e.kind == "state" and e.to_state in {"SUBMITTED", "CANCELLED"}
        ]
    [(_, submitted), (_, cancelled)] = moves
    counts = {"runs_total": backfill.runs_total, "runs_completed": 0, "runs_failed": 0}
    assert submitted == {"backfill_id": backfill.backfill_id, "status": "CREATED", **counts}
    assert cancelled == {
        "backfill_id": backfill.backfill_id,
        "status": "CANCELLED",
        **counts,
        "reason": "Cancelled by <@U0ADA>.",
    }


def test_revising_a_request_that_left_pending_changes_nothing(world: ServiceWorld) -> None:
    reply = world.service.handle_text(actor=ALICE, text="transfer 456789 last month")
    assert reply.request_id is not None
    with session_scope(world.session_factory) as session:
        revised = world.service.deps.revise_pending(
            session,
            ALICE,
            reply.request_id,
            values={"transfer_name": "Renamed"},
            payload={"chosen_transfer_id": 456789},
        )
    assert (revised.state.value, revised.transfer_name) == ("PENDING", "Renamed")

    world.service.dismiss(actor=ALICE, request_id=reply.request_id)
    with session_scope(world.session_factory) as session:
        with pytest.raises(StateConflictError, match="moved on while you were editing"):
            world.service.deps.revise_pending(
                session,
                ALICE,
                reply.request_id,
                values={"transfer_name": "Too late"},
                payload={},
                conflict=f"Request #{reply.request_id} moved on while you were editing.",
            )
        with pytest.raises(StateConflictError, match="already moved on"):  # the default
            world.service.deps.revise_pending(
                session, ALICE, reply.request_id, values={"days": 1}, payload={}
            )
    with session_scope(world.session_factory) as session:
        row = session.get(BackfillRequest, reply.request_id)
        assert row is not None and (row.state, row.transfer_name) == ("DISMISSED", "Renamed")


def test_the_card_names_the_timezone_that_decided_today(world: ServiceWorld) -> None:
    """A relative range says which timezone's today decided it; a range that includes
    today says today is not over yet; full dates need neither."""
    world.service.handle_text(actor=ALICE, text="transfer 456789 this month")
    today = world.clock.now().astimezone(zone("Pacific/Auckland")).date()
    card = block_text(list(world.notifier.messages.values())[-1])
    assert f"Today in Pacific/Auckland is {today.isoformat()}" in card
    assert f"Today ({today.isoformat()}) is not over yet" in card
    world.service.handle_text(actor=ALICE, text="transfer 456789 from 2024-01-01 to 2024-01-31")
    card = block_text(list(world.notifier.messages.values())[-1])
    assert "Today in" not in card and "not over yet" not in card
