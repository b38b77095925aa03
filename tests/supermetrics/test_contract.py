"""Contract test: every simulator answer (success and error, every endpoint) and every
request body the client sends is validated against ``bot/supermetrics/openapi.json``,
the cleaned copy of the published reference, so the simulator cannot drift from the
real API's shapes.  Objects are checked strictly: a property the document does not name
fails the test."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from bot.clock import FrozenClock
from bot.simulator.server import DtsSimulator, RunningSimulator
from bot.supermetrics.client import DtsClient
from tests.support.dts_recording import RecordingTransport, load_openapi, validator
from tests.support.dts_world import FB

DOC = load_openapi()
AUTH = {"Authorization": "Bearer demo-token"}
REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,50}$")


def _templates() -> list[tuple[re.Pattern[str], str]]:
    found = []
    for template in DOC["paths"]:
        pattern = re.sub(r"\{[a-z_]+\}", "[^/]+", template)
        found.append((re.compile("^" + pattern + "$"), template))
    return found


TEMPLATES = _templates()


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    for pattern, template in TEMPLATES:
        if pattern.match(path) and method.lower() in DOC["paths"][template]:
            return template, DOC["paths"][template][method.lower()]
    return None


def check_exchange(request: httpx.Request, response: httpx.Response) -> tuple[str, str, int]:
    """Validate one exchange; return (template, method, status) for coverage."""
    path = request.url.path.removeprefix("/v1")
    found = operation(request.method, path)
    body = response.json()
    status = response.status_code
    error_schema = DOC["components"]["schemas"]["ErrorResponse"]
    if found is None:
        # unknown path or method: still the documented error envelope
        assert status in (404, 405)
        validator(DOC, error_schema).validate(body)
        template = "?"
    else:
        template, op = found
        assert str(status) in op["responses"], (
            f"{request.method} {template} -> {status} undocumented"
        )
        documented = _resolve(op["responses"][str(status)])
        schema = documented["content"]["application/json"]["schema"]
        validator(DOC, schema).validate(body)
        for name, header in documented.get("headers", {}).items():
            if name in ("Retry-After",):
                assert name.lower() in response.headers, f"{status} without {name}"
            if name.lower() in response.headers and name not in ("Content-Type",):
                header_schema = _resolve(header)["schema"]
                value: Any = response.headers[name.lower()]
                if header_schema.get("type") == "integer":
                    value = int(value)
                validator(DOC, header_schema).validate(value)
        request_body = op.get("requestBody")
        if request_body is not None and request.content:
            request_schema = request_body["content"]["application/json"]["schema"]
            if 200 <= status < 300:  # what the API accepted must be what it documents
                validator(DOC, request_schema).validate(json.loads(request.content))
    assert REQUEST_ID.match(body["meta"]["request_id"])
    if status >= 400:
        # the SDK's Error: code and message always, description when there is one
        assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "description"}
        assert all(isinstance(v, str) and v for v in body["error"].values())
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining"):
        if name in response.headers:
            validator(DOC, DOC["components"]["headers"][_header_key(name)]["schema"]).validate(
                int(response.headers[name])
            )
    assert response.headers["content-type"] == "application/json"
    return template, request.method, status


def _header_key(name: str) -> str:
    return {
        "x-ratelimit-limit": "X-RateLimit-Limit",
        "x-ratelimit-remaining": "X-RateLimit-Remaining",
    }[name]


@pytest.fixture
def raw(running: RunningSimulator, transport: RecordingTransport) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running.base_url + "/", transport=transport, timeout=5) as http:
        yield http


def test_every_endpoint_and_error_matches_the_document(
    raw: httpx.Client,
    client: DtsClient,
    transport: RecordingTransport,
    sim: DtsSimulator,
    clock: FrozenClock,
) -> None:
    team = client.team(team_id=1, token="demo-token")
    sim.add_token("read-only", team_id=1, write=False)
    sim.fail_dates(FB, [date(2024, 1, 20)])
    create = f"teams/1/transfers/{FB}/backfills"

    # the client's own requests (their bodies are validated too)
    assert team.latest_backfill(transfer_id=FB) is None  # 404
    assert team.list_incomplete_backfills() == []
    first = team.create_backfill(
        transfer_id=FB, range_start=date(2024, 1, 1), range_end=date(2024, 1, 31)
    )
    team.list_transfers()
    for step in (5, 5, 100, 300):  # SCHEDULED, RUNNING, RUNNING with a failure, FAILED
        clock.advance(step)
        team.get_backfill(backfill_id=first.backfill_id)
        team.latest_backfill(transfer_id=FB)
        team.list_incomplete_backfills()
    team.cancel_backfill(backfill_id=first.backfill_id)  # FAILED -> CANCELLED
    second = team.create_backfill(
        transfer_id=456790, range_start=date(2024, 1, 1), range_end=date(2024, 1, 2)
    )
    clock.advance(3600)
    team.get_backfill(backfill_id=second.backfill_id)  # COMPLETED, with end_time

    # errors, by hand
    bad_bodies: list[Any] = [
        {"range_start": "2024-1-01", "range_end": "2024-01-31"},
        {"range_start": "2024-02-30", "range_end": "2024-03-01"},
        {"range_start": "2024-01-01"},
        {"range_start": 20240101, "range_end": "2024-01-31"},
        [],
    ]
    for body in bad_bodies:
        assert raw.post(create, json=body, headers=AUTH).status_code == 400
    assert raw.post(create, content=b"not json", headers=AUTH).status_code == 400
    reversed_range = {"range_start": "2024-03-31", "range_end": "2024-03-01"}
    assert raw.post(create, json=reversed_range, headers=AUTH).status_code == 422
    assert (
        raw.post(
            create, json={"range_start": "2024-04-01", "range_end": "2024-04-30"}, headers=AUTH
        ).status_code
        == 200
    )
    overlap = {"range_start": "2024-04-30", "range_end": "2024-05-01"}
    assert raw.post(create, json=overlap, headers=AUTH).status_code == 422
    good = {"range_start": "2024-06-01", "range_end": "2024-06-02"}
    assert raw.post(create, json=good).status_code == 401
    assert raw.post(create, json=good, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert (
        raw.post(create, json=good, headers={"Authorization": "Bearer read-only"}).status_code
        == 403
    )
    assert raw.post("teams/1/transfers/999/backfills", json=good, headers=AUTH).status_code == 404
    assert (
        raw.post("teams/2/transfers/456789/backfills", json=good, headers=AUTH).status_code == 404
    )
    assert raw.get("teams/1/backfills/abc", headers=AUTH).status_code == 400
    assert raw.get("teams/1/backfills/424242", headers=AUTH).status_code == 404
    assert raw.get("teams/1/transfers/999/backfills/latest", headers=AUTH).status_code == 404
    assert raw.get("teams/9/transfers", headers=AUTH).status_code == 404
    assert raw.get("teams/1/backfills", headers={"Authorization": "Basic x"}).status_code == 401
    target = f"teams/1/backfills/{second.backfill_id}"
    assert raw.patch(target, json={"status": "RUNNING"}, headers=AUTH).status_code == 400
    assert raw.patch(target, json={"status": "CANCELLED"}, headers=AUTH).status_code == 422
    assert (
        raw.patch(
            target, json={"status": "CANCELLED"}, headers={"Authorization": "Bearer read-only"}
        ).status_code
        == 403
    )
    sim.inject("429", retry_after=5)
    assert raw.get("teams/1/transfers", headers=AUTH).status_code == 429
    sim.inject("500")
    assert raw.get("teams/1/transfers", headers=AUTH).status_code == 500
    assert raw.get("teams/1/nothing-here", headers=AUTH).status_code == 404
    assert raw.get("elsewhere", headers=AUTH).status_code == 404
    assert raw.delete(target, headers=AUTH).status_code == 405

    seen = {check_exchange(request, response) for request, response in transport.exchanges}

    documented_ok = {
        (template, method.upper(), 200)
        for template, item in DOC["paths"].items()
        for method in item
        if method in ("get", "post", "patch")
    }
    assert documented_ok <= seen
    statuses = {status for _, _, status in seen}
    assert {200, 400, 401, 403, 404, 405, 422, 429, 500} <= statuses


def test_exhausted_rate_limit_answer_matches_the_document(clock: FrozenClock) -> None:
    from bot.simulator.server import start_simulator

    transport = RecordingTransport()
    with (
        start_simulator(DtsSimulator(clock=clock, rate_limit=1)) as running,
        httpx.Client(base_url=running.base_url + "/", transport=transport) as http,
    ):
        assert http.get("teams/1/transfers", headers=AUTH).status_code == 200
        limited = http.get("teams/1/transfers", headers=AUTH)
    assert limited.status_code == 429
    assert limited.headers["x-ratelimit-remaining"] == "0"
    for request, response in transport.exchanges:
        check_exchange(request, response)


def test_the_document_is_clean_json_schema() -> None:
    def walk(node: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield key, value
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    for key, value in walk(DOC):
        if key in ("minimum", "maximum", "maxLength", "minLength", "maxItems"):
            assert isinstance(value, int) and not isinstance(value, bool), (key, value)
        if key in ("required", "nullable") and not isinstance(value, list):
            assert isinstance(value, bool), (key, value)
    int64 = DOC["components"]["schemas"]["Backfill"]["properties"]["transfer_backfill_id"]
    assert int64["maximum"] == 2**63 - 1
    # the published example validates against the published schema once typed
    post = DOC["paths"]["/teams/{team_id}/transfers/{transfer_id}/backfills"]["post"]
    example = post["responses"]["200"]["content"]["application/json"]["example"]
    validator(DOC, {"$ref": "#/components/schemas/BackfillResponse"}).validate(example)
    # what was added beyond the seed page says so
    for template in DOC["paths"]:
        if template != "/teams/{team_id}/transfers/{transfer_id}/backfills":
            assert "x-backfill-bot-source" in DOC["paths"][template]


def test_the_contract_check_catches_drift() -> None:
    backfill = {"$ref": "#/components/schemas/Backfill"}
    good = {
        "transfer_backfill_id": 1,
        "transfer_id": 2,
        "range_start_date": "2024-01-01",
        "range_end_date": "2024-01-31",
        "created_time": "2024-02-01T09:00:00Z",
        "created_user_id": 3,
        "status": "CREATED",
        "transfer_runs_total": 31,
        "transfer_runs_created": 0,
        "transfer_runs_completed": 0,
        "transfer_runs_failed": 0,
        "error_report": [],
    }
    check = validator(DOC, backfill)
    check.validate(good)
    for drift in (
        {"transfer_backfill_id": "1"},  # quoted id
        {"status": "DONE"},
        {"range_start_date": "2024-02-30"},  # format: date
        {"created_time": "2024-02-01 09:00"},  # format: date-time
        {"progress": 0.5},  # an invented field
        {"start_time": None, "end_time": "yesterday"},
    ):
        assert not check.is_valid({**good, **drift}), drift
    assert check.is_valid({**good, "start_time": None})  # nullable
