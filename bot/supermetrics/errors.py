"""Turn a DTS API error response (or a failed exchange) into one ``DtsError`` per meaning.

Messages are written for Slack: what happened, in the words of the operation that failed,
and what to do next.  The API's own ``description`` is quoted where it helps (an overlap
names the backfill in the way).  Nothing here ever sees the token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import (
    DtsError,
    DtsForbiddenError,
    DtsNotFoundError,
    DtsProtocolError,
    DtsRateLimitedError,
    DtsRejectedError,
    DtsServerError,
    DtsUnauthorizedError,
    DtsUnavailableError,
)

_MAX_QUOTED = 300


@dataclass(frozen=True)
class Operation:
    """What the client was doing, for messages: ``action`` completes "trying to …"."""

    action: str  # "create the backfill for transfer 456789"
    not_found: str  # "transfer 456789 in Supermetrics team 1"
    write: bool = False  # a create or a cancel: a 403 names the write scope, else the read one


@dataclass(frozen=True)
class ErrorBody:
    code: str | None
    message: str | None
    description: str | None
    request_id: str | None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    if len(text) > _MAX_QUOTED:
        text = text[: _MAX_QUOTED - 1] + "…"
    return text or None


def read_error_body(content: bytes, headers: Mapping[str, str]) -> ErrorBody:
    """Read ``{meta: {request_id}, error: {code, message, description}}``, tolerating junk."""
    payload: Any = None
    try:
        payload = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        payload = None
    meta = payload.get("meta") if isinstance(payload, dict) else None
    error = payload.get("error") if isinstance(payload, dict) else None
    request_id = meta.get("request_id") if isinstance(meta, dict) else None
    if request_id is None:
        request_id = headers.get("x-request-id")
    if not isinstance(error, dict):
        error = {}
    return ErrorBody(
        code=_text(error.get("code")),
        message=_text(error.get("message")),
        description=_text(error.get("description")),
        request_id=_text(request_id),
    )


def parse_retry_after(raw: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form); None if absent or odd."""
    if raw is None:
        return None
    try:
        seconds = float(raw.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)


def _reference(request_id: str | None) -> str:
    return f" (Supermetrics request id {request_id})" if request_id else ""


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def error_for_status(
    status_code: int, body: ErrorBody, *, operation: Operation, retry_after: float | None
) -> DtsError:
    """Return the error class and plain-text message for an HTTP error status."""
    fields: dict[str, Any] = {
        "status_code": status_code,
        "code": body.code,
        "description": body.description,
        "request_id": body.request_id,
    }
    # the SDK's examples carry only ``message`` on some errors: quote it when that is all
    quoted = body.description or body.message
    said = _sentence(quoted) if quoted else None
    code = body.code if body.code else None
    if status_code == 401:
        return DtsUnauthorizedError(
            "Supermetrics rejected this workspace's API token (401"
            + (f", {code}" if code else "")
            + ") while trying to "
            + operation.action
            + ". An admin can set a new token with `/backfill setup`.",
            **fields,
        )
    if status_code == 403:
        needs = (
            "The API token needs the scope `dwh_transfers_write`, and its user the "
            "permission `dwh.transfer.edit` in the Supermetrics team."
            if operation.write
            else "The API token needs the scope `dwh_transfers_read`, and its user access "
            "to the team's data warehouse transfers."
        )
        return DtsForbiddenError(
            f"Supermetrics refused to {operation.action} (403)."
            + (f" It said: {said}" if said else "")
            + f" {needs} Ask a team admin, then set the token again with `/backfill setup`.",
            **fields,
        )
    if status_code == 404:
        return DtsNotFoundError(
            f"Supermetrics couldn't find {operation.not_found}, or this workspace's token "
            "has no access to it (404). Check the id and the team the token belongs to.",
            **fields,
        )
    if status_code == 429:
        wait = f" Try again in {round(retry_after)} s." if retry_after else " Try again shortly."
        return DtsRateLimitedError(
            f"Supermetrics is rate limiting this workspace (429) and did not {operation.action}."
            + wait,
            retry_after=retry_after,
            **fields,
        )
    if status_code >= 500:
        return DtsServerError(
            f"Supermetrics had an internal error ({status_code}) while trying to "
            f"{operation.action}. Try again in a few minutes{_reference(body.request_id)}.",
            **fields,
        )
    if 400 <= status_code < 500:
        return DtsRejectedError(
            f"Supermetrics refused to {operation.action}: "
            + (said or f"the request was not accepted ({status_code}).")
            + _reference(body.request_id),
            **fields,
        )
    return DtsProtocolError(
        f"Supermetrics answered with an unexpected status {status_code} while trying to "
        f"{operation.action}. Try again{_reference(body.request_id)}.",
        **fields,
    )


def unavailable(*, operation: Operation, timed_out: bool, timeout: float) -> DtsUnavailableError:
    if timed_out:
        text = (
            f"Supermetrics did not answer within {timeout:g} s while trying to "
            f"{operation.action}. Try again in a moment."
        )
    else:
        text = (
            f"Supermetrics could not be reached while trying to {operation.action} "
            "(network error). Try again in a moment."
        )
    return DtsUnavailableError(text)


def unreadable(
    *, operation: Operation, what: str, status_code: int, request_id: str | None
) -> DtsProtocolError:
    return DtsProtocolError(
        f"Supermetrics sent a response the bot could not read ({what}) while "
        f"trying to {operation.action}. Try again{_reference(request_id)}.",
        status_code=status_code,
        request_id=request_id,
    )
