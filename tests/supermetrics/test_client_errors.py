"""One error class per meaning, each carrying the API's code, description and request id,
with a message that reads well in Slack."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.clock import FrozenClock
from bot.errors import (
    BotError,
    DtsError,
    DtsForbiddenError,
    DtsNotFoundError,
    DtsProtocolError,
    DtsRateLimitedError,
    DtsRejectedError,
    DtsServerError,
    DtsUnauthorizedError,
    DtsUnavailableError,
    TokenError,
)
from bot.simulator.server import DtsSimulator, RunningSimulator, start_simulator
from bot.supermetrics.client import DtsClient, DtsTeamClient
from tests.support.dts_world import FB, TEAM_ID
from tests.support.ports import free_port

JAN_1, JAN_31 = date(2024, 1, 1), date(2024, 1, 31)
REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,50}$")


def assert_api_error(exc: DtsError, status: int, code: str, *, described: bool = True) -> None:
    """The simulator speaks the SDK's codes; like the SDK's examples it sends a
    ``description`` only when it has something to say about this occurrence."""
    assert exc.status_code == status
    assert exc.code == code
    assert bool(exc.description) is described
    assert exc.request_id is not None and REQUEST_ID.match(exc.request_id)
    assert isinstance(exc, BotError)
    assert exc.user_message == str(exc)
    assert exc.user_message.endswith((".", ")"))


def test_wrong_token_is_unauthorized(client: DtsClient) -> None:
    team = client.team(team_id=TEAM_ID, token="not-the-token")

    with pytest.raises(DtsUnauthorizedError) as caught:
        team.list_transfers()

    assert_api_error(caught.value, 401, "UNAUTHORIZED", described=False)
    assert "/backfill setup" in caught.value.user_message


def test_token_without_write_scope_is_forbidden(client: DtsClient, sim: DtsSimulator) -> None:
    sim.add_token("read-only", team_id=TEAM_ID, write=False)
    team = client.team(team_id=TEAM_ID, token="read-only")
    assert team.list_transfers()  # reading is allowed

    with pytest.raises(DtsForbiddenError) as caught:
        team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    assert_api_error(caught.value, 403, "FORBIDDEN")
    assert "`dwh_transfers_write`" in caught.value.user_message
    assert "`dwh.transfer.edit`" in caught.value.user_message
    assert sim.backfills() == []


def test_unknown_transfer_backfill_and_team_are_not_found(
    client: DtsClient, team: DtsTeamClient
) -> None:
    with pytest.raises(DtsNotFoundError) as transfer:
        team.create_backfill(transfer_id=999, range_start=JAN_1, range_end=JAN_31)
    assert_api_error(transfer.value, 404, "NOT_FOUND")
    assert "transfer 999" in transfer.value.user_message

    with pytest.raises(DtsNotFoundError) as backfill:
        team.get_backfill(backfill_id=424242)
    assert "backfill 424242" in backfill.value.user_message

    with pytest.raises(DtsNotFoundError):
        client.team(team_id=77, token="demo-token").list_transfers()


def test_reversed_range_is_rejected_with_the_api_description(team: DtsTeamClient) -> None:
    with pytest.raises(DtsRejectedError) as caught:
        team.create_backfill(transfer_id=FB, range_start=JAN_31, range_end=JAN_1)

    assert_api_error(caught.value, 422, "UNPROCESSABLE_ENTITY")
    assert caught.value.description is not None
    assert caught.value.description in caught.value.user_message


def test_overlap_is_rejected_and_names_the_backfill_in_the_way(
    team: DtsTeamClient, clock: FrozenClock, sim: DtsSimulator
) -> None:
    first = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)
    clock.advance(20)

    with pytest.raises(DtsRejectedError) as caught:
        team.create_backfill(
            transfer_id=FB, range_start=date(2024, 1, 31), range_end=date(2024, 2, 2)
        )

    assert_api_error(caught.value, 422, "UNPROCESSABLE_ENTITY")
    message = caught.value.user_message
    assert f"backfill {first.backfill_id}" in message
    assert "RUNNING" in message
    assert len(sim.backfills()) == 1
    # another transfer, or a range next to it, is fine
    team.create_backfill(transfer_id=456790, range_start=JAN_1, range_end=JAN_31)
    team.create_backfill(transfer_id=FB, range_start=date(2024, 2, 1), range_end=date(2024, 2, 2))


def test_bad_path_parameter_is_rejected_as_400(team: DtsTeamClient) -> None:
    with pytest.raises(DtsRejectedError) as caught:
        team.get_backfill(backfill_id=0)

    assert_api_error(caught.value, 400, "BAD_REQUEST")


def test_rate_limit_beyond_the_cap_surfaces_with_retry_after(
    team: DtsTeamClient, sim: DtsSimulator, sleeps: list[float]
) -> None:
    sim.inject("429", retry_after=120)

    with pytest.raises(DtsRateLimitedError) as caught:
        team.list_transfers()

    assert caught.value.retry_after == 120
    assert_api_error(caught.value, 429, "TOO_MANY_REQUESTS", described=False)
    assert "120 s" in caught.value.user_message
    assert sleeps == []


def test_exhausted_hourly_limit_is_a_429(clock: FrozenClock) -> None:
    sim = DtsSimulator(clock=clock, rate_limit=2)
    with (
        start_simulator(sim) as running,
        DtsClient(base_url=running.base_url, clock=clock, sleep=lambda _: None) as dts,
    ):
        team = dts.team(team_id=TEAM_ID, token="demo-token")
        team.list_transfers()
        team.list_transfers()
        with pytest.raises(DtsRateLimitedError) as caught:
            team.list_transfers()
        # 09:00 -> the window ends at 10:00
        assert caught.value.retry_after == 3600
        assert dts.rate_limit(TEAM_ID) is not None
        assert dts.rate_limit(TEAM_ID).remaining == 0  # type: ignore[union-attr]
        clock.advance(3600)
        assert team.list_transfers()


def test_server_error_after_retries(team: DtsTeamClient, sim: DtsSimulator) -> None:
    sim.inject("500", count=10)

    with pytest.raises(DtsServerError) as caught:
        team.list_transfers()

    assert_api_error(caught.value, 500, "INTERNAL_SERVER_ERROR", described=False)
    assert caught.value.request_id in caught.value.user_message
    assert len(sim.calls) == 4  # first try + max_retries (3)


def test_timeout_is_unavailable(
    running: RunningSimulator, sim: DtsSimulator, clock: FrozenClock
) -> None:
    sim.inject("delay", count=10, delay=1.0)
    with (
        DtsClient(
            base_url=running.base_url, timeout=0.2, max_retries=1, clock=clock, sleep=lambda _: None
        ) as dts,
        pytest.raises(DtsUnavailableError) as caught,
    ):
        dts.team(team_id=TEAM_ID, token="demo-token").list_transfers()

    assert "did not answer within 0.2 s" in caught.value.user_message
    assert len(sim.calls) == 2


def test_connection_refused_is_unavailable(clock: FrozenClock) -> None:
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{free_port()}/v1"
    with (
        DtsClient(base_url=url, timeout=1.0, clock=clock, sleep=sleeps.append) as dts,
        pytest.raises(DtsUnavailableError) as caught,
    ):
        dts.team(team_id=TEAM_ID, token="demo-token").list_transfers()

    assert "could not be reached" in caught.value.user_message
    assert len(sleeps) == 3


def test_bad_json_is_a_protocol_error(team: DtsTeamClient, sim: DtsSimulator) -> None:
    sim.inject("bad_json")

    with pytest.raises(DtsProtocolError) as caught:
        team.list_transfers()

    assert caught.value.status_code == 200
    assert "could not read" in caught.value.user_message
    assert len(sim.calls) == 1  # not retried: the answer came, it was just unreadable


def test_unsendable_token_is_refused_before_any_request(client: DtsClient) -> None:
    for bad in ("", "two words", "line\nbreak", "tökén"):
        with pytest.raises(TokenError) as caught:
            client.team(team_id=TEAM_ID, token=bad)
        if bad:
            assert bad not in caught.value.user_message
