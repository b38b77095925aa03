"""Every client operation against the simulator over real loopback HTTP."""

from __future__ import annotations

from datetime import date

import httpx

from bot import __version__
from bot.clock import FrozenClock
from bot.config import Settings
from bot.simulator.server import DtsSimulator, RunningSimulator
from bot.supermetrics.client import DtsClient, DtsTeamClient
from bot.supermetrics.models import BackfillStatus, RateLimit, Transfer
from tests.support.dts_recording import RecordingTransport
from tests.support.dts_world import FB, START, TEAM_ID

JAN_1, JAN_31 = date(2024, 1, 1), date(2024, 1, 31)


def test_create_returns_a_typed_created_backfill(team: DtsTeamClient, sim: DtsSimulator) -> None:
    backfill = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    assert backfill.status is BackfillStatus.CREATED
    assert backfill.transfer_id == FB
    assert (backfill.range_start, backfill.range_end) == (JAN_1, JAN_31)
    assert backfill.runs_total == 31 == backfill.days
    assert (backfill.runs_created, backfill.runs_completed, backfill.runs_failed) == (0, 0, 0)
    assert backfill.created_time == START
    assert backfill.created_user_id == 789
    assert backfill.start_time is None and backfill.end_time is None
    assert backfill.removed_time is None
    assert backfill.error_report == ()
    assert sim.backfills() == [backfill]


def test_get_backfill_follows_the_lifecycle(
    team: DtsTeamClient, clock: FrozenClock, sim: DtsSimulator
) -> None:
    created = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)
    clock.advance(5)
    assert team.get_backfill(backfill_id=created.backfill_id).status is BackfillStatus.SCHEDULED
    clock.advance(5 + 10 * 3)
    running = team.get_backfill(backfill_id=created.backfill_id)
    assert running.status is BackfillStatus.RUNNING
    assert running.runs_completed == 3
    assert running == sim.backfill(created.backfill_id)


def test_latest_backfill_is_none_until_one_exists(team: DtsTeamClient, clock: FrozenClock) -> None:
    assert team.latest_backfill(transfer_id=FB) is None

    first = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_1)
    clock.advance(3600)
    second = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    latest = team.latest_backfill(transfer_id=FB)
    assert latest is not None
    assert latest.backfill_id == second.backfill_id != first.backfill_id


def test_list_incomplete_is_newest_first_and_skips_finished(
    team: DtsTeamClient, clock: FrozenClock
) -> None:
    done = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_1)
    clock.advance(3600)  # `done` completes
    older = team.create_backfill(transfer_id=FB, range_start=JAN_31, range_end=JAN_31)
    clock.advance(1)
    newer = team.create_backfill(transfer_id=456790, range_start=JAN_1, range_end=JAN_31)
    cancelled = team.create_backfill(transfer_id=456791, range_start=JAN_1, range_end=JAN_31)
    team.cancel_backfill(backfill_id=cancelled.backfill_id)

    listed = team.list_incomplete_backfills()

    assert [b.backfill_id for b in listed] == [newer.backfill_id, older.backfill_id]
    assert done.backfill_id not in {b.backfill_id for b in listed}


def test_cancel_returns_the_cancelled_backfill(team: DtsTeamClient, clock: FrozenClock) -> None:
    created = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)
    clock.advance(60)

    cancelled = team.cancel_backfill(backfill_id=created.backfill_id)

    assert cancelled.status is BackfillStatus.CANCELLED
    assert cancelled.removed_time == clock.now()
    assert team.get_backfill(backfill_id=created.backfill_id).status is BackfillStatus.CANCELLED


def test_list_transfers_names_the_defaults(team: DtsTeamClient) -> None:
    transfers = team.list_transfers()

    assert Transfer(FB, "Facebook Ads - daily", "active") in transfers
    names = {t.display_name for t in transfers}
    assert {"Google Ads", "LinkedIn Ads", "FB ads - daily", "TikTok Ads"} <= names
    assert len({t.transfer_id for t in transfers}) == len(transfers)


def test_rate_limit_headers_are_recorded_per_team(
    client: DtsClient, team: DtsTeamClient, sim: DtsSimulator, clock: FrozenClock
) -> None:
    assert client.rate_limit(TEAM_ID) is None
    team.list_transfers()
    team.list_transfers()

    assert client.rate_limit(TEAM_ID) == RateLimit(
        limit=sim.rate_limit, remaining=sim.rate_limit - 2, seen_at=clock.now()
    )
    assert client.rate_limit(2) is None


def test_two_teams_share_one_client(client: DtsClient, sim: DtsSimulator) -> None:
    sim.add_team(2, token="other-token", transfers=[Transfer(111, "Bing Ads", "ACTIVE")])
    first = client.team(team_id=TEAM_ID, token="demo-token")
    second = client.team(team_id=2, token="other-token")

    assert [t.transfer_id for t in second.list_transfers()] == [111]
    assert FB in {t.transfer_id for t in first.list_transfers()}
    assert client.rate_limit(2) is not None


def test_requests_carry_bearer_user_agent_and_json(
    team: DtsTeamClient, transport: RecordingTransport
) -> None:
    team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    request = transport.requests[-1]
    assert request.headers["authorization"] == "Bearer demo-token"
    assert request.headers["user-agent"] == f"backfill-bot/{__version__} httpx/{httpx.__version__}"
    assert request.url.path == f"/v1/teams/{TEAM_ID}/transfers/{FB}/backfills"
    assert request.content == b'{"range_start":"2024-01-01","range_end":"2024-01-31"}'


def test_from_settings_uses_the_configured_url_and_policy(running: RunningSimulator) -> None:
    settings = Settings(
        supermetrics_api_url=running.base_url + "/",
        supermetrics_timeout_seconds=3.5,
        supermetrics_max_retries=1,
    )
    with DtsClient.from_settings(settings) as dts:
        assert dts.base_url == running.base_url
        assert dts.timeout == 3.5
        assert dts.max_retries == 1
        assert dts.team(team_id=TEAM_ID, token="demo-token").list_transfers()
