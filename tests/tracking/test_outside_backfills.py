"""Backfills started outside Slack (the Supermetrics Hub, another tool), seen in the team's
list by the tracker: ``list`` and the App Home show them with their progress, and a new
request whose range overlaps one gets the overlap warning before it is submitted."""

from __future__ import annotations

import json
from datetime import date

from bot.service import BackfillService
from bot.service.types import Actor, Reply
from bot.store.db import session_scope
from bot.store.external_backfills import external_backfills
from bot.store.models import RequestState
from tests.tracking.conftest import CHANNEL, TEAM, USER, TrackerEnv, card_text

HUB_TRANSFER = 456790  # Google Ads


def _service(env: TrackerEnv) -> BackfillService:
    return BackfillService(
        settings=env.settings,
        session_factory=env.session_factory,
        dts=env.dts,
        vault=env.vault,
        notifier=env.notifier,
        clock=env.clock,
        announcer=env.tracker.announcer,
    )


def _text(reply: Reply) -> str:
    return json.dumps(reply.blocks, ensure_ascii=False)


def test_a_backfill_started_in_the_hub_shows_in_list_and_warns_an_overlapping_request(
    env: TrackerEnv,
) -> None:
    service = _service(env)
    actor = Actor(slack_team_id=TEAM, user_id=USER, channel_id=CHANNEL, tz="UTC")
    ours = env.submit(date(2026, 1, 1), date(2026, 1, 3))  # the team follows two backfills
    env.submit(date(2026, 1, 1), date(2026, 1, 9), transfer_id=456792)
    hub = env.sim.create(HUB_TRANSFER, date(2026, 2, 1), date(2026, 2, 10))
    env.run_until(lambda: env.sim.backfill(hub.backfill_id).runs_completed >= 2)
    env.tick(5)

    listed = _text(service.handle_text(actor=actor, text="list"))
    assert f"backfill #{hub.backfill_id} · transfer #{HUB_TRANSFER}" in listed
    assert "2026-02-01 → 2026-02-10" in listed
    assert "started outside Slack" in listed
    with session_scope(env.session_factory) as session:
        (seen,) = external_backfills(session, slack_team_id=TEAM)
        progress = f"RUNNING {'▓' * round(10 * (seen.runs_completed / 10))}"
    assert seen.runs_completed >= 2 and progress in listed
    # our own backfill is a request, not "outside"
    assert f"backfill #{ours.backfill_id} · transfer" not in listed
    # the App Home shows it too, under its own heading
    home = json.dumps(service.home_view(actor=actor), ensure_ascii=False)
    assert "*Started outside Slack*" in home
    assert f"backfill #{hub.backfill_id} · transfer #{HUB_TRANSFER} · 2026-02-01" in home
    assert progress in home and f"backfill #{ours.backfill_id} · transfer" not in home

    asked = service.handle_text(
        actor=actor, text=f"transfer {HUB_TRANSFER} from 2026-02-05 to 2026-02-07"
    )
    assert asked.request_id is not None
    row = env.request(asked.request_id)
    assert row.state is RequestState.PENDING  # warned before anything is submitted
    card = card_text(env.slack.message(CHANNEL, row.message_ts) or {})
    assert f"This range overlaps backfill #{hub.backfill_id} of this transfer" in card

    # the list cannot be read now: the stored view still warns, and says the check failed
    env.sim.list_failing("500")
    again = service.handle_text(
        actor=actor, text=f"transfer {HUB_TRANSFER} from 2026-02-09 to 2026-02-12"
    )
    assert again.request_id is not None
    card = card_text(env.slack.message(CHANNEL, env.request(again.request_id).message_ts) or {})
    assert f"This range overlaps backfill #{hub.backfill_id} of this transfer" in card
    assert "I couldn't check for overlapping backfills" in card
    env.sim.list_failing(None)

    # finished, it leaves the list and the view
    env.run_until(lambda: env.sim.backfill(hub.backfill_id).status.value == "COMPLETED")
    env.run_until(lambda: env.state(ours.request_id) is RequestState.COMPLETED)
    listed = _text(service.handle_text(actor=actor, text="list"))
    # nothing of ours is followed now, so the list is not read: the view says its age
    assert f"backfill #{hub.backfill_id} · transfer" in listed and "min ago)" in listed
    # new requests of ours make the tracker read the team's list again
    later = [
        env.submit(date(2026, 4, 1), date(2026, 4, 2), transfer_id=transfer)
        for transfer in (456791, 456792)
    ]
    env.tick(5)
    assert all(env.state(sub.request_id) is not RequestState.SUBMITTED for sub in later)
    listed = _text(service.handle_text(actor=actor, text="list"))
    assert f"backfill #{hub.backfill_id} · transfer" not in listed
