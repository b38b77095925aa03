"""Typed results of the Supermetrics DTS API, and the tolerant readers that build them.

The published reference quotes ids as strings in its example while its schema says
integer, and optional keys may be absent rather than null: the readers accept both and
turn anything else into ``DtsProtocolError`` (never a bare ``KeyError``/``ValueError``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from bot.errors import DtsProtocolError


class BackfillStatus(StrEnum):
    CREATED = "CREATED"
    SCHEDULED = "SCHEDULED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        """True once no more runs will happen (FAILED = finished with errors)."""
        return self in _FINAL

    @property
    def is_incomplete(self) -> bool:
        """True for what the API lists as incomplete (and may still be cancelled)."""
        return self in INCOMPLETE_STATUSES


_FINAL = frozenset({BackfillStatus.COMPLETED, BackfillStatus.FAILED, BackfillStatus.CANCELLED})

# the most backfills GET /teams/{id}/backfills returns (the newest incomplete ones)
LIST_CAP = 100

# What GET /teams/{id}/backfills lists, what blocks an overlapping create, and what the
# API lets you cancel.  FAILED is final for tracking but still "incomplete" to the API.
INCOMPLETE_STATUSES = frozenset(
    {
        BackfillStatus.CREATED,
        BackfillStatus.SCHEDULED,
        BackfillStatus.RUNNING,
        BackfillStatus.FAILED,
    }
)


@dataclass(frozen=True)
class RunError:
    run_date: date
    error: str


@dataclass(frozen=True)
class Backfill:
    backfill_id: int
    transfer_id: int
    range_start: date
    range_end: date
    status: BackfillStatus
    created_time: datetime
    created_user_id: int | None
    start_time: datetime | None
    end_time: datetime | None
    removed_time: datetime | None
    runs_total: int
    runs_created: int
    runs_completed: int
    runs_failed: int
    error_report: tuple[RunError, ...]

    @property
    def days(self) -> int:
        return (self.range_end - self.range_start).days + 1

    def covers(self, *, transfer_id: int, range_start: date, range_end: date) -> bool:
        """True if this is a backfill of exactly that transfer and range."""
        return (
            self.transfer_id == transfer_id
            and self.range_start == range_start
            and self.range_end == range_end
        )


@dataclass(frozen=True)
class Transfer:
    transfer_id: int
    display_name: str
    state: str | None = None  # lower-case, as the SDK's spec has it: "active", "paused"


@dataclass(frozen=True)
class RateLimit:
    limit: int | None
    remaining: int | None
    seen_at: datetime


# --- readers ---------------------------------------------------------------------------


def _bad(what: str) -> DtsProtocolError:
    return DtsProtocolError(
        f"Supermetrics sent a response the bot could not read ({what}). "
        "Try again; if it keeps happening the API may have changed.",
        description=what,
    )


def read_int(value: Any, field: str) -> int:
    """Return an int from an int or a string of digits (the API's example quotes ids)."""
    if isinstance(value, bool):
        raise _bad(f"{field} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise _bad(f"{field} is not a number")


def read_optional_int(value: Any, field: str) -> int | None:
    return None if value is None or value == "" else read_int(value, field)


def read_date(value: Any, field: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise _bad(f"{field} is not a date")


def read_datetime(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            # a time without an offset is read as UTC, like the rest of the API
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)
    raise _bad(f"{field} is not a timestamp")


def read_optional_datetime(value: Any, field: str) -> datetime | None:
    return None if value is None or value == "" else read_datetime(value, field)


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(f"{what} is not an object")
    return value


def _required(data: Mapping[str, Any], key: str) -> Any:
    if key not in data or data[key] is None:
        raise _bad(f"{key} is missing")
    return data[key]


def parse_backfill(value: Any) -> Backfill:
    """Build a ``Backfill`` from the API's ``data`` object."""
    data = _object(value, "backfill")
    raw_status = _required(data, "status")
    try:
        status = BackfillStatus(str(raw_status).upper())
    except ValueError:
        raise _bad(f"unknown backfill status {str(raw_status)[:40]!r}") from None
    report_raw = data.get("error_report") or []
    if not isinstance(report_raw, list):
        raise _bad("error_report is not a list")
    report = tuple(
        RunError(
            run_date=read_date(_required(item, "transfer_run_date"), "transfer_run_date"),
            error=str(item.get("error") or ""),
        )
        for item in (_object(entry, "error_report item") for entry in report_raw)
    )
    return Backfill(
        backfill_id=read_int(_required(data, "transfer_backfill_id"), "transfer_backfill_id"),
        transfer_id=read_int(_required(data, "transfer_id"), "transfer_id"),
        range_start=read_date(_required(data, "range_start_date"), "range_start_date"),
        range_end=read_date(_required(data, "range_end_date"), "range_end_date"),
        status=status,
        created_time=read_datetime(_required(data, "created_time"), "created_time"),
        created_user_id=read_optional_int(data.get("created_user_id"), "created_user_id"),
        start_time=read_optional_datetime(data.get("start_time"), "start_time"),
        end_time=read_optional_datetime(data.get("end_time"), "end_time"),
        removed_time=read_optional_datetime(data.get("removed_time"), "removed_time"),
        runs_total=read_int(data.get("transfer_runs_total", 0), "transfer_runs_total"),
        runs_created=read_int(data.get("transfer_runs_created", 0), "transfer_runs_created"),
        runs_completed=read_int(data.get("transfer_runs_completed", 0), "transfer_runs_completed"),
        runs_failed=read_int(data.get("transfer_runs_failed", 0), "transfer_runs_failed"),
        error_report=report,
    )


def parse_backfill_list(value: Any) -> list[Backfill]:
    if not isinstance(value, list):
        raise _bad("the backfill list is not a list")
    return [parse_backfill(item) for item in value]


def parse_transfer(value: Any) -> Transfer:
    """Build a ``Transfer`` from a list item.

    The SDK's spec (``TransferInfoResponse``) sends ``state`` lower-case and ``schedule``
    as a string; older shapes sent ``ACTIVE`` and a schedule object. ``state`` is read
    in either case (kept lower-case), ``schedule`` and the other keys are not needed.
    """
    data = _object(value, "transfer")
    raw_id = data.get("dwh_transfer_id", data.get("transfer_id"))
    name = data.get("display_name")
    raw_state = data.get("state")
    state = str(raw_state).strip().lower() if raw_state is not None else ""
    return Transfer(
        transfer_id=read_int(raw_id, "dwh_transfer_id"),
        display_name=str(name) if name is not None else "",
        state=state or None,
    )


def parse_transfer_list(value: Any) -> list[Transfer]:
    if not isinstance(value, list):
        raise _bad("the transfer list is not a list")
    return [parse_transfer(item) for item in value]
