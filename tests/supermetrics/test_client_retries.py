"""Retries: reads retry, 429 waits when reasonable, create is never sent twice, cancel
resolves its own uncertainty."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from bot.clock import FrozenClock
from bot.errors import (
    DtsRateLimitedError,
    DtsRejectedError,
    DtsServerError,
    DtsUnavailableError,
)
from bot.simulator.server import DtsSimulator, RunningSimulator
from bot.supermetrics.client import CREATE_LOOKUP_PAUSE_SECONDS, DtsClient, DtsTeamClient
from bot.supermetrics.models import BackfillStatus
from tests.support.dts_world import FB, TEAM_ID

JAN_1, JAN_31 = date(2024, 1, 1), date(2024, 1, 31)
CREATE_PATH = f"/v1/teams/{TEAM_ID}/transfers/{FB}/backfills"


def posts(sim: DtsSimulator) -> int:
    return sum(1 for method, _ in sim.calls if method == "POST")


@pytest.fixture
def impatient(
    running: RunningSimulator, clock: FrozenClock, sleeps: list[float]
) -> Iterator[DtsTeamClient]:
    """A client whose timeout is shorter than the simulator's "delay" fault."""
    with DtsClient(base_url=running.base_url, timeout=0.3, clock=clock, sleep=sleeps.append) as dts:
        yield dts.team(team_id=TEAM_ID, token="demo-token")


# --- reads --------------------------------------------------------------------------------


def test_get_retries_a_500_then_succeeds(
    team: DtsTeamClient, sim: DtsSimulator, sleeps: list[float]
) -> None:
    sim.inject("500")

    assert team.list_transfers()

    assert len(sim.calls) == 2
    assert len(sleeps) == 1
    assert 0.5 <= sleeps[0] <= 1.0  # first backoff step plus jitter


def test_backoff_grows_and_stops_at_max_retries(
    team: DtsTeamClient, sim: DtsSimulator, sleeps: list[float]
) -> None:
    sim.inject("500", count=3)

    assert team.list_transfers()

    assert len(sim.calls) == 4
    assert [round(s - s % 0.5, 1) for s in sleeps] == [0.5, 1.0, 2.0]


def test_retries_stop_at_the_time_budget(
    running: RunningSimulator, sim: DtsSimulator, clock: FrozenClock
) -> None:
    sleeps: list[float] = []
    sim.inject("500", count=20)
    with (
        DtsClient(
            base_url=running.base_url,
            max_retries=10,
            retry_budget_seconds=2.0,
            clock=clock,
            sleep=sleeps.append,
        ) as dts,
        pytest.raises(DtsServerError),
    ):
        dts.team(team_id=TEAM_ID, token="demo-token").list_transfers()

    assert sum(sleeps) == pytest.approx(2.0)
    assert len(sim.calls) < 11


def test_429_within_the_cap_waits_retry_after(
    team: DtsTeamClient, sim: DtsSimulator, sleeps: list[float]
) -> None:
    sim.inject("429", retry_after=7)

    assert team.list_incomplete_backfills() == []

    assert sleeps == [7]
    assert len(sim.calls) == 2


def test_429_whose_retry_after_equals_the_cap_and_the_budget_is_waited_out(
    running: RunningSimulator, sim: DtsSimulator, clock: FrozenClock
) -> None:
    """Issue 17: 13. Cap and budget are both 30 s (the defaults): Retry-After 30 is waited."""
    sleeps: list[float] = []
    sim.inject("429", retry_after=30)
    with DtsClient(
        base_url=running.base_url,
        retry_budget_seconds=30,
        retry_after_cap_seconds=30,
        clock=clock,
        sleep=sleeps.append,
    ) as dts:
        assert dts.team(team_id=TEAM_ID, token="demo-token").list_incomplete_backfills() == []
    assert sleeps == [30]


def test_429_longer_than_the_remaining_budget_surfaces(
    running: RunningSimulator, sim: DtsSimulator, clock: FrozenClock
) -> None:
    sleeps: list[float] = []
    sim.inject("429", retry_after=10)
    with (
        DtsClient(
            base_url=running.base_url, retry_budget_seconds=5, clock=clock, sleep=sleeps.append
        ) as dts,
        pytest.raises(DtsRateLimitedError) as caught,
    ):
        dts.team(team_id=TEAM_ID, token="demo-token").list_transfers()

    assert caught.value.retry_after == 10
    assert sleeps == []


def test_404_and_422_are_not_retried(team: DtsTeamClient, sim: DtsSimulator) -> None:
    assert team.latest_backfill(transfer_id=FB) is None
    with pytest.raises(DtsRejectedError):
        team.create_backfill(transfer_id=FB, range_start=JAN_31, range_end=JAN_1)
    assert len(sim.calls) == 2


# --- create ---------------------------------------------------------------------------


def test_create_timeout_finds_the_backfill_it_made(
    impatient: DtsTeamClient, sim: DtsSimulator, sleeps: list[float]
) -> None:
    sim.inject("delay", delay=1.5)

    backfill = impatient.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    assert sim.backfills() == [backfill]  # exactly one exists, and it is the one returned
    assert backfill.status is BackfillStatus.CREATED
    assert posts(sim) == 1
    assert sim.calls[1:] == [("GET", f"/v1/teams/{TEAM_ID}/transfers/{FB}/backfills/latest")]
    assert sleeps == [min(CREATE_LOOKUP_PAUSE_SECONDS, 0.3)]  # pause before the look-up


def test_create_500_is_not_resent_and_surfaces_when_nothing_was_made(
    team: DtsTeamClient, sim: DtsSimulator
) -> None:
    sim.inject("500")

    with pytest.raises(DtsServerError) as caught:
        team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    assert "create the backfill of transfer 456789" in caught.value.user_message
    assert posts(sim) == 1
    assert sim.backfills() == []
    # it looked: latest (404, none yet), then the incomplete list
    assert [method for method, _ in sim.calls] == ["POST", "GET", "GET"]


def test_create_with_an_unreadable_answer_recovers_the_backfill(
    team: DtsTeamClient, sim: DtsSimulator
) -> None:
    sim.inject("bad_json")

    backfill = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    assert sim.backfills() == [backfill]
    assert posts(sim) == 1


def test_create_lookup_finds_it_in_the_incomplete_list_when_not_latest(
    team: DtsTeamClient, sim: DtsSimulator
) -> None:
    # a concurrent creator made a newer backfill of the same transfer meanwhile; the
    # look-up must still find ours through the incomplete list
    ours = sim.create(FB, JAN_1, JAN_31)
    sim.create(FB, date(2024, 3, 1), date(2024, 3, 2))
    sim.inject("500")

    found = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    assert found.backfill_id == ours.backfill_id
    assert [method for method, _ in sim.calls] == ["POST", "GET", "GET"]


def test_create_lookup_ignores_an_old_backfill_of_the_same_range(
    team: DtsTeamClient, sim: DtsSimulator, clock: FrozenClock
) -> None:
    old = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)
    clock.advance(86400)  # long completed
    sim.inject("500")

    with pytest.raises(DtsServerError):
        team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    assert [b.backfill_id for b in sim.backfills()] == [old.backfill_id]


def test_create_uncertain_and_lookup_failing_raises_the_original_error(
    impatient: DtsTeamClient, sim: DtsSimulator
) -> None:
    sim.inject("delay", delay=1.0)
    sim.inject("500", count=20)

    with pytest.raises(DtsUnavailableError):
        impatient.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    assert posts(sim) == 1
    assert len(sim.backfills()) == 1  # it was made; the user's retry will meet the overlap


def test_create_429_is_safe_to_resend(
    team: DtsTeamClient, sim: DtsSimulator, sleeps: list[float]
) -> None:
    sim.inject("429", retry_after=3)

    backfill = team.create_backfill(transfer_id=FB, range_start=JAN_1, range_end=JAN_31)

    assert posts(sim) == 2
    assert sim.backfills() == [backfill]
    assert sleeps == [3]


# --- cancel -------------------------------------------------------------------------------


def test_cancel_after_a_lost_answer_resolves_by_reading_back(
    impatient: DtsTeamClient, sim: DtsSimulator
) -> None:
    created = sim.create(FB, JAN_1, JAN_31)
    sim.inject("delay", delay=1.0)

    cancelled = impatient.cancel_backfill(backfill_id=created.backfill_id)

    assert cancelled.status is BackfillStatus.CANCELLED
    path = f"/v1/teams/{TEAM_ID}/backfills/{created.backfill_id}"
    assert sim.calls == [("PATCH", path), ("PATCH", path), ("GET", path)]


def test_cancel_retries_a_500(team: DtsTeamClient, sim: DtsSimulator) -> None:
    created = sim.create(FB, JAN_1, JAN_31)
    sim.inject("500")

    assert team.cancel_backfill(backfill_id=created.backfill_id).status is BackfillStatus.CANCELLED
    assert [method for method, _ in sim.calls] == ["PATCH", "PATCH"]


def test_cancel_of_a_finished_backfill_is_rejected(
    team: DtsTeamClient, sim: DtsSimulator, clock: FrozenClock
) -> None:
    created = sim.create(FB, JAN_1, JAN_31)
    clock.advance(86400)

    with pytest.raises(DtsRejectedError) as caught:
        team.cancel_backfill(backfill_id=created.backfill_id)

    assert "already COMPLETED" in caught.value.user_message
    assert len(sim.calls) == 1


def test_cancel_uncertain_then_422_on_a_completed_backfill_still_rejects(
    team: DtsTeamClient, sim: DtsSimulator, clock: FrozenClock
) -> None:
    created = sim.create(FB, JAN_1, JAN_31)
    clock.advance(86400)
    sim.inject("500")

    with pytest.raises(DtsRejectedError):
        team.cancel_backfill(backfill_id=created.backfill_id)

    assert [method for method, _ in sim.calls] == ["PATCH", "PATCH", "GET"]
    assert sim.backfill(created.backfill_id).status is BackfillStatus.COMPLETED
