"""Reading API payloads: quoted ids, absent-or-null optional keys, and bad shapes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.errors import DtsProtocolError
from bot.supermetrics.models import (
    INCOMPLETE_STATUSES,
    BackfillStatus,
    RunError,
    Transfer,
    parse_backfill,
    parse_transfer_list,
)

# the published example, as printed (ids and counters quoted, null timestamps)
PUBLISHED: dict[str, Any] = {
    "transfer_backfill_id": "12345",
    "transfer_id": "456789",
    "range_start_date": "2024-01-01",
    "range_end_date": "2024-01-31",
    "created_time": "2024-02-01T09:00:00Z",
    "created_user_id": "789",
    "start_time": None,
    "end_time": None,
    "status": "CREATED",
    "transfer_runs_total": "31",
    "transfer_runs_created": "0",
    "transfer_runs_completed": "0",
    "transfer_runs_failed": "0",
    "error_report": [],
}


def test_published_example_reads_with_int_ids_and_dates() -> None:
    backfill = parse_backfill(PUBLISHED)

    assert backfill.backfill_id == 12345
    assert backfill.transfer_id == 456789
    assert backfill.created_user_id == 789
    assert backfill.range_start == date(2024, 1, 1)
    assert backfill.created_time == datetime(2024, 2, 1, 9, tzinfo=UTC)
    assert backfill.status is BackfillStatus.CREATED
    assert backfill.runs_total == 31
    assert backfill.start_time is None


def test_optional_keys_may_be_absent_rather_than_null() -> None:
    minimal = {
        k: v
        for k, v in PUBLISHED.items()
        if k not in {"start_time", "end_time", "error_report", "created_user_id"}
    }
    backfill = parse_backfill(minimal)
    assert (backfill.start_time, backfill.end_time, backfill.removed_time) == (None, None, None)
    assert backfill.error_report == ()
    assert backfill.created_user_id is None


def test_timestamps_offsets_and_error_report() -> None:
    backfill = parse_backfill(
        {
            **PUBLISHED,
            "status": "FAILED",
            "start_time": "2024-02-01T11:00:00+02:00",
            "end_time": "2024-02-01T12:30:00.123456",  # no offset: read as UTC
            "error_report": [{"transfer_run_date": "2024-01-15", "error": "Timeout"}],
        }
    )
    assert backfill.start_time == datetime(2024, 2, 1, 9, tzinfo=UTC)
    assert backfill.end_time == datetime(2024, 2, 1, 12, 30, 0, 123456, tzinfo=UTC)
    assert backfill.error_report == (RunError(date(2024, 1, 15), "Timeout"),)


@pytest.mark.parametrize(
    "change",
    [
        {"transfer_backfill_id": None},
        {"transfer_backfill_id": "12a"},
        {"transfer_backfill_id": True},
        {"range_start_date": "January"},
        {"created_time": "yesterday"},
        {"status": "DONE"},
        {"error_report": "none"},
        {"error_report": [{"error": "no date"}]},
    ],
)
def test_bad_shapes_are_protocol_errors(change: dict[str, Any]) -> None:
    with pytest.raises(DtsProtocolError) as caught:
        parse_backfill({**PUBLISHED, **change})
    assert caught.value.description


def test_not_an_object_is_a_protocol_error() -> None:
    with pytest.raises(DtsProtocolError):
        parse_backfill(["not", "an", "object"])


def test_transfers_read_quoted_ids_and_missing_state() -> None:
    transfers = parse_transfer_list(
        [
            {
                "dwh_transfer_id": "456789",
                "display_name": "Facebook Ads - daily",
                "state": "ACTIVE",  # the older shape: upper-case, kept lower-case
            },
            {"dwh_transfer_id": 2, "display_name": "Google Ads", "schedule": {}},
            {"dwh_transfer_id": 3, "display_name": "TikTok Ads", "state": "paused"},
        ]
    )
    assert transfers == [
        Transfer(456789, "Facebook Ads - daily", "active"),
        Transfer(2, "Google Ads", None),
        Transfer(3, "TikTok Ads", "paused"),
    ]
    with pytest.raises(DtsProtocolError):
        parse_transfer_list({"data": []})


def test_final_and_incomplete_statuses() -> None:
    finals = {s for s in BackfillStatus if s.is_final}
    assert finals == {BackfillStatus.COMPLETED, BackfillStatus.FAILED, BackfillStatus.CANCELLED}
    assert {s for s in BackfillStatus if s.is_incomplete} == INCOMPLETE_STATUSES
    assert BackfillStatus.FAILED.is_final and BackfillStatus.FAILED.is_incomplete
