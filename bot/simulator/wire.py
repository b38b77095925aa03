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
from datetime import UTC, date, datetime, timedelta
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
    """An error answer: ``{meta: {request_id}, error: {code, message[, description]}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        description: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description or message)
        self.status = status
        self.code = code
        self.message = message
        self.description = description
        self.headers = dict(headers or {})


# Codes and messages follow the official SDK's spec, not the reference page's examples
# (docs/api/create-backfill-openapi.txt: INVALID_PARAMETER, API_KEY_INVALID, ACCESS_DENIED,
# API_ROW_QUOTA_EXCEEDED), because issue 17 asks the simulator to speak as the SDK and CLI
# parse: supermetrics-public/supermetrics-python-sdk openapi-spec.yaml (commit 06843e05),
# components DwhBadRequest, DwhUnauthorized, Forbidden, UnprocessableEntity, the inline 404
# examples, DwhTooManyRequests, DwhInternalServerError and schemas Error / ErrorResponse
# (``code`` and ``message`` required, ``description`` optional). As there, a
# ``description`` is sent only when it says something about this occurrence (which
# field, which backfill is in the way). The client keys on the HTTP status and quotes
# ``description`` or else ``message``, so both vocabularies read the same.
# Copies of the SDK's shapes: tests/fixtures/sdk_shapes.json.
SDK_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BAD_REQUEST", "The request was invalid."),
    401: ("UNAUTHORIZED", "Authentication is required."),
    403: ("FORBIDDEN", "You do not have access to this resource."),
    404: ("NOT_FOUND", "Not Found"),
    422: ("UNPROCESSABLE_ENTITY", "Validation failed for the request parameters."),
    429: ("TOO_MANY_REQUESTS", "Rate limit exceeded. Retry later."),
    500: ("INTERNAL_SERVER_ERROR", "An unexpected error occurred."),
}


def sdk_error(
    status: int, description: str | None = None, headers: Mapping[str, str] | None = None
) -> ApiError:
    code, message = SDK_ERRORS[status]
    return ApiError(status, code, message, description, headers)


def invalid(description: str) -> ApiError:
    return sdk_error(400, description)


def not_found(what: str) -> ApiError:
    # the SDK's inline 404 examples (create, latest) carry this description
    return sdk_error(
        404, f"The requested {what} could not be found or you do not have access to it."
    )


def unprocessable(description: str) -> ApiError:
    return sdk_error(422, description)


def unauthorized() -> ApiError:
    return sdk_error(401)


def forbidden() -> ApiError:
    return sdk_error(
        403,
        "This operation requires the scope dwh_transfers_write and the permission "
        "dwh.transfer.edit.",
    )


def too_many_requests(description: str | None, retry_after: int) -> ApiError:
    return sdk_error(429, description, {"Retry-After": str(max(1, retry_after))})


def internal_error() -> ApiError:
    return sdk_error(500)


def method_not_allowed(method: str, allowed: str) -> ApiError:
    # the SDK documents no 405; its Error schema allows codes a domain adds
    return ApiError(
        405,
        "METHOD_NOT_ALLOWED",
        "Method Not Allowed",
        f"{method} is not supported here; use {allowed}.",
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


def transfer_json(transfer: Transfer, *, today: date) -> dict[str, Any]:
    """A transfer list item with every key of the SDK's ``TransferInfoResponse`` (its
    example: ``schedule`` a string, ``state`` and ``status`` lower-case, ``accounts`` a
    list of strings, the objects null)."""
    state = (transfer.state or "active").lower()
    return {
        "dwh_transfer_id": transfer.transfer_id,
        "display_name": transfer.display_name,
        "external_transfer_id": f"ext-{transfer.transfer_id}",
        "status": state,
        "state": state,
        "schedule": "daily",
        "run_date": (today - timedelta(days=1)).isoformat(),
        "data_source": None,
        "destination": None,
        "accounts": [],
        "backfill": None,
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
    body: dict[str, str] = {"code": error.code, "message": error.message}
    if error.description:
        body["description"] = error.description
    return json_response(
        error.status, {"meta": {"request_id": request_id}, "error": body}, error.headers
    )
