"""The simulator answers in the shapes the official SDK's spec pins (issue 17: 13).

Checked against ``tests/fixtures/sdk_shapes.json`` (copies of the SDK's schemas and
examples): every error body is the SDK's ``ErrorResponse`` with its code and message for
the status, the transfer list items carry exactly the keys of ``TransferInfoResponse``
(``schedule`` a string, ``state`` lower-case), and backfills are the SDK's ``Backfill``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from bot.clock import FrozenClock
from bot.simulator.server import DtsSimulator, RunningSimulator, start_simulator
from tests.support.dts_recording import load_sdk_shapes, validator
from tests.support.dts_world import FB

SDK = load_sdk_shapes()
AUTH = {"Authorization": "Bearer demo-token"}
CREATE = f"teams/1/transfers/{FB}/backfills"


def schema(name: str) -> Any:
    return validator(SDK, {"$ref": f"#/components/schemas/{name}"})


@pytest.fixture
def raw(running: RunningSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running.base_url + "/", timeout=5) as http:
        yield http


def _sdk_error(status: int) -> dict[str, str]:
    error: dict[str, str] = SDK["errors"][str(status)]["error"]
    return error


def _check_error(response: httpx.Response, status: int, *, described: bool) -> dict[str, Any]:
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    schema("ErrorResponse").validate(body)
    error: dict[str, Any] = body["error"]
    assert error["code"] == _sdk_error(status)["code"]
    if status == 404:
        # the SDK's inline 404 examples (create, latest): "Not Found" and a description
        assert error["message"] == SDK["create_backfill_404"]["error"]["message"]
    else:
        assert error["message"] == _sdk_error(status)["message"]
    # a description only when it says something about this occurrence, as in the SDK
    assert ("description" in error) is described
    return error


def test_every_error_status_answers_with_the_sdk_code_and_message(
    raw: httpx.Client, sim: DtsSimulator
) -> None:
    sim.add_token("read-only", team_id=1, write=False)
    bad_date = raw.post(CREATE, json={"range_start": "2024-1-01", "range_end": "x"}, headers=AUTH)
    assert "range_start" in _check_error(bad_date, 400, described=True)["description"]
    _check_error(raw.get("teams/1/backfills/abc", headers=AUTH), 400, described=True)

    _check_error(raw.get("teams/1/transfers"), 401, described=False)
    _check_error(
        raw.get("teams/1/transfers", headers={"Authorization": "Bearer nope"}), 401, described=False
    )

    read_only = {"Authorization": "Bearer read-only"}
    good = {"range_start": "2024-06-01", "range_end": "2024-06-02"}
    forbidden = _check_error(raw.post(CREATE, json=good, headers=read_only), 403, described=True)
    assert "dwh_transfers_write" in forbidden["description"]

    missing = _check_error(
        raw.post("teams/1/transfers/999/backfills", json=good, headers=AUTH), 404, described=True
    )
    assert missing["description"] == SDK["create_backfill_404"]["error"]["description"]
    _check_error(raw.get("teams/1/backfills/424242", headers=AUTH), 404, described=True)

    reversed_range = {"range_start": "2024-03-31", "range_end": "2024-03-01"}
    _check_error(raw.post(CREATE, json=reversed_range, headers=AUTH), 422, described=True)
    first = raw.post(
        CREATE, json={"range_start": "2024-04-01", "range_end": "2024-04-30"}, headers=AUTH
    )
    assert first.status_code == 200
    overlap = raw.post(
        CREATE, json={"range_start": "2024-04-30", "range_end": "2024-05-01"}, headers=AUTH
    )
    described = _check_error(overlap, 422, described=True)["description"]
    assert f"backfill {first.json()['data']['transfer_backfill_id']}" in described

    sim.inject("429", retry_after=7)
    limited = raw.get("teams/1/transfers", headers=AUTH)
    _check_error(limited, 429, described=False)
    assert limited.headers["retry-after"] == "7"
    sim.inject("500")
    _check_error(raw.get("teams/1/transfers", headers=AUTH), 500, described=False)


def test_an_exhausted_hourly_limit_says_so_in_the_description(clock: FrozenClock) -> None:
    with (
        start_simulator(DtsSimulator(clock=clock, rate_limit=1)) as running,
        httpx.Client(base_url=running.base_url + "/", timeout=5) as http,
    ):
        assert http.get("teams/1/transfers", headers=AUTH).status_code == 200
        limited = http.get("teams/1/transfers", headers=AUTH)
    error = _check_error(limited, 429, described=True)
    assert "per hour" in error["description"]


def test_transfer_list_items_carry_exactly_the_sdk_keys(raw: httpx.Client) -> None:
    documented = SDK["components"]["schemas"]["TransferInfoResponse"]["properties"]
    example = SDK["list_transfers_200"]["data"][0]
    assert set(example) == set(documented)

    items = raw.get("teams/1/transfers", headers=AUTH).json()["data"]

    assert items
    for item in items:
        schema("TransferInfoResponse").validate(item)
        assert set(item) == set(documented)
        assert isinstance(item["schedule"], str)
        assert item["state"] in ("active", "paused")
        assert item["status"] == item["state"]
        date.fromisoformat(item["run_date"])
        # the same JSON type for each key as the SDK's example
        assert {k: type(v) for k, v in item.items()} == {k: type(v) for k, v in example.items()}
    states = {item["dwh_transfer_id"]: item["state"] for item in items}
    assert states[FB] == "active"
    assert states[456793] == "paused"


def test_a_transfer_added_in_upper_case_is_listed_lower_case(
    raw: httpx.Client, sim: DtsSimulator
) -> None:
    from bot.supermetrics.models import Transfer

    sim.add_team(1, token="demo-token", transfers=[Transfer(456800, "Bing Ads", "PAUSED")])
    items = raw.get("teams/1/transfers", headers=AUTH).json()["data"]
    assert {i["dwh_transfer_id"]: i["state"] for i in items}[456800] == "paused"


def test_backfills_are_the_sdk_backfill(raw: httpx.Client, clock: FrozenClock) -> None:
    created = raw.post(
        CREATE, json={"range_start": "2024-01-01", "range_end": "2024-01-31"}, headers=AUTH
    ).json()["data"]
    backfill_id = created["transfer_backfill_id"]
    clock.advance(60)
    answers = [
        created,
        raw.get(f"teams/1/backfills/{backfill_id}", headers=AUTH).json()["data"],
        raw.get(f"{CREATE}/latest", headers=AUTH).json()["data"],
        *raw.get("teams/1/backfills", headers=AUTH).json()["data"],
        raw.patch(
            f"teams/1/backfills/{backfill_id}", json={"status": "CANCELLED"}, headers=AUTH
        ).json()["data"],
    ]
    required = set(SDK["components"]["schemas"]["Backfill"]["required"])
    for answer in answers:
        schema("Backfill").validate(answer)
        assert required <= set(answer)
    cancelled = answers[-1]
    assert cancelled["status"] == "CANCELLED"
    assert {"removed_time", "removed_user_id"} <= set(cancelled)
