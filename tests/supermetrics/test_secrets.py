"""The team token never shows up in repr(), exception text or log records."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from datetime import date

import pytest

from bot.clock import FrozenClock
from bot.errors import DtsError
from bot.simulator.server import DtsSimulator, RunningSimulator
from bot.supermetrics.client import DtsClient
from tests.support.dts_world import FB

SECRET = "sm_live_5ecr3t-T0KEN-do-not-leak"


@pytest.fixture
def secret_sim(sim: DtsSimulator) -> DtsSimulator:
    sim.add_team(1, token=SECRET)
    return sim


@pytest.fixture
def impatient(running: RunningSimulator, clock: FrozenClock) -> Iterator[DtsClient]:
    with DtsClient(
        base_url=running.base_url, timeout=0.3, max_retries=1, clock=clock, sleep=lambda _: None
    ) as dts:
        yield dts


def full_text(exc: BaseException) -> str:
    """Everything an exception could show: str, repr, message, chained causes, traceback."""
    parts = [str(exc), repr(exc), getattr(exc, "user_message", "")]
    parts += traceback.format_exception(exc)
    return "\n".join(parts)


def test_token_absent_from_reprs_errors_and_logs(
    secret_sim: DtsSimulator, impatient: DtsClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # includes httpx / httpcore wire logs
    team = impatient.team(team_id=1, token=SECRET)
    assert SECRET not in repr(team)
    assert SECRET not in repr(impatient)
    assert SECRET not in str(vars(impatient))

    backfill = team.create_backfill(
        transfer_id=FB, range_start=date(2024, 1, 1), range_end=date(2024, 1, 2)
    )
    errors: list[DtsError] = []
    faults = [
        ("500", {}),
        ("429", {"retry_after": 999}),
        ("bad_json", {}),
        ("delay", {"delay": 1.0}),
    ]
    for kind, options in faults:
        secret_sim.inject(kind, count=2, **options)  # type: ignore[arg-type]
        with pytest.raises(DtsError) as caught:
            team.get_backfill(backfill_id=backfill.backfill_id)
        errors.append(caught.value)
        secret_sim.clear_faults()
    for call in (
        lambda: team.get_backfill(backfill_id=987654),
        lambda: team.create_backfill(
            transfer_id=FB, range_start=date(2024, 1, 2), range_end=date(2024, 1, 2)
        ),
        lambda: impatient.team(team_id=1, token=SECRET + "x").list_transfers(),
    ):
        with pytest.raises(DtsError) as caught:
            call()
        errors.append(caught.value)

    assert {type(e).__name__ for e in errors} == {
        "DtsServerError",
        "DtsRateLimitedError",
        "DtsProtocolError",
        "DtsUnavailableError",
        "DtsNotFoundError",
        "DtsRejectedError",
        "DtsUnauthorizedError",
    }
    for exc in errors:
        assert SECRET not in full_text(exc)
    assert caplog.records, "the client and httpx should have logged something"
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in str(record.args)
