"""The client reads every response example the official SDK's spec pins (issue 17: 13).

A loopback server answers with the examples in ``tests/fixtures/sdk_shapes.json``
verbatim: the backfill create / cancel / list bodies, the transfer list (``schedule`` a
string, ``state`` lower-case) and each error status with the SDK's code and a message but
no description. The older vocabulary of the reference page (``INVALID_PARAMETER``,
``API_KEY_INVALID``, ``ACCESS_DENIED`` …, always with a description) must read the same,
because the client keys on the HTTP status, never on the code.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.errors import (
    DtsError,
    DtsForbiddenError,
    DtsNotFoundError,
    DtsRateLimitedError,
    DtsRejectedError,
    DtsServerError,
    DtsUnauthorizedError,
)
from bot.supermetrics.client import DtsClient, DtsTeamClient
from bot.supermetrics.models import BackfillStatus, Transfer, parse_transfer_list
from tests.support.dts_recording import load_openapi, load_sdk_shapes

SDK = load_sdk_shapes()
REFERENCE = load_openapi()["components"]["responses"]

# one answer per (method, path); a test sets what it needs
Answer = tuple[int, dict[str, Any], dict[str, str]]


class _Server(ThreadingHTTPServer):
    answers: dict[tuple[str, str], Answer]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, body, headers = self.server.answers.get(
            (self.command, self.path), (599, {"unexpected": self.path}, {})
        )
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.answers = {}
    # a short poll so shutdown() returns at once
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def team(server: _Server) -> Iterator[DtsTeamClient]:
    clock = FrozenClock(datetime(2026, 2, 10, 15, 0, tzinfo=UTC))
    with DtsClient(
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        clock=clock,
        sleep=lambda _s: None,
        max_retries=0,
    ) as client:
        yield client.team(team_id=1, token="t")


def test_the_create_example_reads_as_a_created_backfill(
    server: _Server, team: DtsTeamClient
) -> None:
    server.answers[("POST", "/teams/1/transfers/456789/backfills")] = (
        200,
        SDK["create_backfill_200"],
        {},
    )
    backfill = team.create_backfill(
        transfer_id=456789, range_start=date(2024, 1, 1), range_end=date(2024, 1, 31)
    )
    assert backfill.backfill_id == 12345
    assert backfill.status is BackfillStatus.CREATED
    assert (backfill.start_time, backfill.end_time, backfill.removed_time) == (None, None, None)
    assert backfill.days == backfill.runs_total == 31


def test_the_cancel_example_reads_with_its_removal(server: _Server, team: DtsTeamClient) -> None:
    server.answers[("PATCH", "/teams/1/backfills/12345")] = (200, SDK["cancel_backfill_200"], {})
    backfill = team.cancel_backfill(backfill_id=12345)
    assert backfill.status is BackfillStatus.CANCELLED
    assert backfill.removed_time == datetime(2024, 2, 1, 15, 30, tzinfo=UTC)
    assert backfill.end_time == backfill.removed_time
    assert (backfill.runs_completed, backfill.runs_failed) == (25, 2)


def test_the_incomplete_list_example_reads_newest_first(
    server: _Server, team: DtsTeamClient
) -> None:
    server.answers[("GET", "/teams/1/backfills")] = (200, SDK["list_incomplete_backfills_200"], {})
    backfills = team.list_incomplete_backfills()
    assert [(b.backfill_id, b.status) for b in backfills] == [
        (12347, BackfillStatus.RUNNING),
        (12345, BackfillStatus.SCHEDULED),
    ]
    assert backfills[0].start_time is not None and backfills[1].start_time is None


def test_the_transfer_list_example_reads_with_a_lower_case_state(
    server: _Server, team: DtsTeamClient
) -> None:
    server.answers[("GET", "/teams/1/transfers")] = (200, SDK["list_transfers_200"], {})
    assert team.list_transfers() == [Transfer(36091, "AW enhanced 2022-11-17", "active")]


def test_both_transfer_shapes_read_the_same() -> None:
    sdk_item = SDK["list_transfers_200"]["data"][0]
    older = {
        "dwh_transfer_id": 36091,
        "display_name": "AW enhanced 2022-11-17",
        "state": "ACTIVE",
        "schedule": {"frequency": "DAILY", "time_of_day": "03:00", "timezone": "UTC"},
    }
    assert parse_transfer_list([sdk_item]) == parse_transfer_list([older])
    paused = parse_transfer_list([{**sdk_item, "state": "PAUSED"}, {**sdk_item, "state": ""}])
    assert [t.state for t in paused] == ["paused", None]


# (status, error class, whether the client quotes the API's words in its message)
STATUSES: list[tuple[int, type[DtsError], bool]] = [
    (400, DtsRejectedError, True),
    (401, DtsUnauthorizedError, False),
    (403, DtsForbiddenError, True),
    (404, DtsNotFoundError, False),
    (422, DtsRejectedError, True),
    (429, DtsRateLimitedError, False),
    (500, DtsServerError, False),
]


def _list_transfers_failing(
    server: _Server, team: DtsTeamClient, status: int, body: dict[str, Any]
) -> DtsError:
    headers = {"Retry-After": "3600"} if status == 429 else {}
    server.answers[("GET", "/teams/1/transfers")] = (status, body, headers)
    with pytest.raises(DtsError) as caught:
        team.list_transfers()
    return caught.value


@pytest.mark.parametrize(("status", "kind", "quoted"), STATUSES)
def test_each_sdk_error_example_reads_by_its_status(
    server: _Server, team: DtsTeamClient, status: int, kind: type[DtsError], quoted: bool
) -> None:
    body = SDK["errors"][str(status)]
    sent = body["error"]

    error = _list_transfers_failing(server, team, status, body)

    assert type(error) is kind
    assert (error.status_code, error.code, error.description) == (status, sent["code"], None)
    assert error.request_id == body["meta"]["request_id"]
    assert (sent["message"] in error.user_message) is quoted
    if status == 401:
        assert "(401, UNAUTHORIZED)" in error.user_message
    if status == 429:
        assert isinstance(error, DtsRateLimitedError) and error.retry_after == 3600


REFERENCE_EXAMPLES = {
    400: "DwhBadRequest",
    401: "DwhUnauthorized",
    403: "Forbidden",
    404: "DwhNotFound",
    429: "DwhTooManyRequests",
    500: "DwhInternalServerError",
}


@pytest.mark.parametrize(("status", "kind", "quoted"), [s for s in STATUSES if s[0] != 422])
def test_the_reference_page_codes_read_the_same(
    server: _Server, team: DtsTeamClient, status: int, kind: type[DtsError], quoted: bool
) -> None:
    body = REFERENCE[REFERENCE_EXAMPLES[status]]["content"]["application/json"]["example"]
    sent = body["error"]

    error = _list_transfers_failing(server, team, status, body)

    assert type(error) is kind
    assert (error.code, error.description) == (sent["code"], sent["description"])
    # with a description, that is what is quoted (the longer words), not the message
    assert (sent["description"] in error.user_message) is quoted


def test_the_create_404_example_with_a_description(server: _Server, team: DtsTeamClient) -> None:
    body = SDK["create_backfill_404"]
    server.answers[("POST", "/teams/1/transfers/999/backfills")] = (404, body, {})
    with pytest.raises(DtsNotFoundError) as caught:
        team.create_backfill(
            transfer_id=999, range_start=date(2024, 1, 1), range_end=date(2024, 1, 2)
        )
    assert caught.value.description == body["error"]["description"]
    assert "transfer 999" in caught.value.user_message
