"""Error bodies shaped like the official SDK's examples, over loopback HTTP (issue 17: 13).

The SDK's spec requires ``code`` and ``message`` and makes ``description`` optional; a
server that sends only ``message`` must still have its words shown. A 403 on a read
names the read scope, not the write one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.errors import DtsForbiddenError, DtsRejectedError
from bot.supermetrics.client import DtsClient

ANSWERS: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {
    ("POST", "/teams/1/transfers/456789/backfills"): (
        422,
        {
            "meta": {"request_id": "BXaEFVtjc7TXaJxgZhmFgSUD9edqq_CN"},
            "error": {
                "code": "UNPROCESSABLE_ENTITY",
                "message": "Backfill range exceeds the allowed maximum.",
            },
        },
    ),
    ("GET", "/teams/1/transfers"): (
        403,
        {
            "meta": {"request_id": "BXaEFVtjc7TXaJxgZhmFgSUD9edqq_CQ"},
            "error": {"code": "FORBIDDEN", "message": "Insufficient permissions."},
        },
    ),
    ("POST", "/teams/1/transfers/456790/backfills"): (
        403,
        {
            "meta": {"request_id": "BXaEFVtjc7TXaJxgZhmFgSUD9edqq_CR"},
            "error": {"code": "FORBIDDEN", "message": "Insufficient permissions."},
        },
    ),
}


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, body = ANSWERS.get((self.command, self.path), (404, {"meta": {}, "error": {}}))
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def api() -> Iterator[DtsClient]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with DtsClient(
            base_url=f"http://127.0.0.1:{server.server_address[1]}",
            clock=_clock(),
            sleep=lambda _s: None,
            max_retries=0,
        ) as client:
            yield client
    finally:
        server.shutdown()
        server.server_close()


def _clock() -> FrozenClock:
    from datetime import UTC, datetime

    return FrozenClock(datetime(2026, 2, 10, 15, 0, tzinfo=UTC))


def test_an_error_with_a_message_and_no_description_shows_the_message(api: DtsClient) -> None:
    team = api.team(team_id=1, token="t")
    with pytest.raises(DtsRejectedError) as caught:
        team.create_backfill(
            transfer_id=456789, range_start=date(2020, 1, 1), range_end=date(2026, 1, 31)
        )
    message = caught.value.user_message
    assert "Backfill range exceeds the allowed maximum." in message
    assert "was not accepted" not in message


def test_a_403_on_a_read_names_the_read_scope(api: DtsClient) -> None:
    with pytest.raises(DtsForbiddenError) as caught:
        api.team(team_id=1, token="t").list_transfers()
    message = caught.value.user_message
    assert "`dwh_transfers_read`" in message
    assert "dwh_transfers_write" not in message
    assert "Insufficient permissions." in message


def test_a_403_on_a_create_still_names_the_write_scope(api: DtsClient) -> None:
    with pytest.raises(DtsForbiddenError) as caught:
        api.team(team_id=1, token="t").create_backfill(
            transfer_id=456790, range_start=date(2026, 1, 1), range_end=date(2026, 1, 2)
        )
    assert "`dwh_transfers_write`" in caught.value.user_message
