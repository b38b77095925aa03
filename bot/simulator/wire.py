"""The DTS API's wire format, as the simulator speaks it: routes, bodies, envelopes, errors.

Kept apart from the simulator's state so that what goes over the wire is in one place and
can be checked against ``openapi.json`` by the contract test.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.supermetrics.models import Backfill, Transfer

BASE_PATH = "/v1"
INT64_MAX = 9223372036854775807

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile("^" + pattern + "$"), name)
    for pattern, name in (
        (r"/teams/([^/]+)/transfers/([^/]+)/backfills", "transfer_backfills"),
        (r"/teams/([^/]+)/transfers/([^/]+)/backfills/latest", "latest"),
        (r"/teams/([^/]+)/backfills", "backfills"),
        (r"/teams/([^/]+)/backfills/([^/]+)", "backfill"),
        (r"/teams/([^/]+)/transfers", "transfers"),
    )
)
METHODS: dict[str, frozenset[str]] = {
    "transfer_backfills": frozenset({"POST"}),
    "latest": frozenset({"GET"}),
    "backfills": frozenset({"GET"}),
    "backfill": frozenset({"GET", "PATCH"}),
    "transfers": frozenset({"GET"}),
}
WRITES = frozenset({("transfer_backfills", "POST"), ("backfill", "PATCH")})


@dataclass(frozen=True)
class SimResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0  # seconds to hold the answer back (fault "delay")


class ApiError(Exception):
    """An error answer: ``{meta: {request_id}, error: {code, message, description}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        description: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.message = message
        self.description = description
        self.headers = dict(headers or {})


def invalid(description: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER", "Invalid Parameter", description)


def not_found(what: str) -> ApiError:
    return ApiError(
        404,
        "NOT_FOUND",
        "Not Found",
        f"The requested {what} could not be found or you do not have access to it.",
    )


def unprocessable(code: str, description: str) -> ApiError:
    return ApiError(422, code, "Unprocessable Entity", description)


def unauthorized() -> ApiError:
    return ApiError(401, "API_KEY_INVALID", "Invalid API key", "Provided API key was invalid.")


def forbidden() -> ApiError:
    return ApiError(
        403,
        "ACCESS_DENIED",
        "Access Denied",
        "You do not have permission to perform this operation. Requires scope "
        "dwh_transfers_write and permission dwh.transfer.edit.",
    )


def too_many_requests(description: str, retry_after: int) -> ApiError:
    return ApiError(
        429,
        "RATE_LIMIT_EXCEEDED",
        "Too Many Requests",
        description,
        {"Retry-After": str(max(1, retry_after))},
    )


def internal_error() -> ApiError:
    return ApiError(
        500,
        "INTERNAL_SERVER_ERROR",
        "Internal Server Error",
        "An unexpected error occurred. Please try again later or contact support.",
    )


def route(path: str) -> tuple[str, tuple[str, ...]]:
    """Name the endpoint of a path below ``/v1``, with its raw path parameters."""
    for pattern, name in _ROUTES:
        match = pattern.match(path)
        if match:
            return name, match.groups()
    raise not_found("resource")


def path_id(raw: str, name: str) -> int:
    if raw.isascii() and raw.isdigit():
        value = int(raw)
        if 1 <= value <= INT64_MAX:
            return value
    raise invalid(f"{name} must be a positive integer.")


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def read_range(body: bytes) -> tuple[date, date]:
    """``range_start``/``range_end`` of a create body: the pattern, then a real date."""
    payload = _json_object(body)
    if payload is None:
        raise invalid("The request body must be a JSON object with range_start and range_end.")
    values: list[date] = []
    for name in ("range_start", "range_end"):
        raw = payload.get(name)
        if raw is None:
            raise invalid(f"{name} is required.")
        if not isinstance(raw, str) or not _DATE.match(raw):
            raise invalid(f"{name} must be a date in the format YYYY-MM-DD.")
        try:
            values.append(date.fromisoformat(raw))
        except ValueError:
            raise invalid(f"{name} ({raw}) is not a real calendar date.") from None
    return values[0], values[1]


def check_cancel_body(body: bytes) -> None:
    payload = _json_object(body)
    if payload is None or payload.get("status") != "CANCELLED":
        raise invalid('The request body must be {"status": "CANCELLED"}.')


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def backfill_json(snap: Backfill, *, removed_user_id: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "transfer_backfill_id": snap.backfill_id,
        "transfer_id": snap.transfer_id,
        "range_start_date": snap.range_start.isoformat(),
        "range_end_date": snap.range_end.isoformat(),
        "created_time": iso(snap.created_time),
        "created_user_id": snap.created_user_id,
        "status": snap.status.value,
        "transfer_runs_total": snap.runs_total,
        "transfer_runs_created": snap.runs_created,
        "transfer_runs_completed": snap.runs_completed,
        "transfer_runs_failed": snap.runs_failed,
        "error_report": [
            {"transfer_run_date": item.run_date.isoformat(), "error": item.error}
            for item in snap.error_report
        ],
    }
    # like the real API, optional timestamps are absent until they happen
    if snap.start_time is not None:
        data["start_time"] = iso(snap.start_time)
    if snap.end_time is not None:
        data["end_time"] = iso(snap.end_time)
    if snap.removed_time is not None:
        data["removed_time"] = iso(snap.removed_time)
        data["removed_user_id"] = removed_user_id
    return data


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return {
        "dwh_transfer_id": transfer.transfer_id,
        "display_name": transfer.display_name,
        "state": transfer.state,
        "schedule": {"frequency": "DAILY", "time_of_day": "03:00", "timezone": "UTC"},
    }


def request_id(now: datetime, rng: random.Random) -> str:
    """A UUIDv7-shaped id, upper-case, like the API's examples."""
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64)
    value |= (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=value)).upper()


def json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> SimResponse:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return SimResponse(
        status,
        {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*", **(headers or {})},
        body,
    )


def error_response(error: ApiError, request_id: str) -> SimResponse:
    payload = {
        "meta": {"request_id": request_id},
        "error": {"code": error.code, "message": error.message, "description": error.description},
    }
    return json_response(error.status, payload, error.headers)
