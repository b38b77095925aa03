"""The team list's switch: slow or failing list calls, everything else answered as usual."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.simulator.server import DtsSimulator
from bot.supermetrics.models import BackfillStatus

AUTH = {"authorization": "Bearer demo-token"}
FB = 456789


def _list(sim: DtsSimulator) -> tuple[int, float, dict[str, str], bytes]:
    answer = sim.handle("GET", "/v1/teams/1/backfills", AUTH, b"")
    return answer.status, answer.delay, answer.headers, answer.body


@pytest.mark.parametrize("kind", ["429", "500"])
def test_a_failing_list_fails_until_turned_off_and_single_reads_still_work(
    sim: DtsSimulator, kind: str
) -> None:
    backfill = sim.create(FB, date(2026, 1, 1), date(2026, 1, 3))
    sim.list_failing(kind, retry_after=30)  # type: ignore[arg-type]
    for _ in range(3):
        status, _delay, headers, _body = _list(sim)
        assert status == int(kind)
        if kind == "429":
            assert headers["Retry-After"] == "30"
    single = sim.handle("GET", f"/v1/teams/1/backfills/{backfill.backfill_id}", AUTH, b"")
    assert single.status == 200
    assert json.loads(single.body)["data"]["status"] == BackfillStatus.CREATED.value
    sim.list_failing(None)
    status, _delay, _headers, body = _list(sim)
    assert status == 200
    assert [item["transfer_backfill_id"] for item in json.loads(body)["data"]] == [
        backfill.backfill_id
    ]


def test_a_slow_list_answers_late_with_the_right_data(sim: DtsSimulator) -> None:
    backfill = sim.create(FB, date(2026, 1, 1), date(2026, 1, 3))
    sim.list_slow(2.5)
    status, delay, _headers, body = _list(sim)
    assert (status, delay) == (200, 2.5)
    assert json.loads(body)["data"][0]["transfer_backfill_id"] == backfill.backfill_id
    other = sim.handle("GET", "/v1/teams/1/transfers", AUTH, b"")
    assert other.delay == 0
    sim.list_slow(0)
    assert _list(sim)[1] == 0


def test_an_unknown_list_fault_is_refused(sim: DtsSimulator) -> None:
    with pytest.raises(ValueError, match="unknown list fault"):
        sim.list_failing("bad_json")  # type: ignore[arg-type]
