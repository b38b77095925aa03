"""The pure builders of thread replies: failures grouped, spans, truncation, durations."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import day_spans
from bot.messages import ids
from bot.messages.thread_replies import (
    expired_card,
    failures_text,
    finished_reply,
    format_duration,
    format_spans,
    group_failures,
    tracking_paused_reply,
)
from tests.support.block_kit_limits import check_message


def _report(days: list[int], error: str, month: int = 1) -> list[dict[str, str]]:
    return [{"date": date(2026, month, day).isoformat(), "error": error} for day in days]


def test_dates_collapse_into_spans() -> None:
    days = [date(2026, 1, d) for d in (9, 3, 4, 5, 1, 4)]
    assert day_spans(days) == [
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2026, 1, 3), date(2026, 1, 5)),
        (date(2026, 1, 9), date(2026, 1, 9)),
    ]
    assert format_spans(days) == "2026-01-01, 2026-01-03 → 2026-01-05, 2026-01-09"
    assert day_spans([date(2025, 12, 31), date(2026, 1, 1)]) == [
        (date(2025, 12, 31), date(2026, 1, 1))
    ]


def test_failures_are_grouped_by_message_most_days_first() -> None:
    report = _report([20], "Token expired") + _report([3, 4, 5, 9], "Quota exceeded")
    groups = group_failures(report)
    assert [(g.error, len(g.dates)) for g in groups] == [
        ("Quota exceeded", 4),
        ("Token expired", 1),
    ]
    assert failures_text(report, runs_failed=5) == (
        "*5 days failed:*\n"
        "• 2026-01-03 → 2026-01-05, 2026-01-09 (4 days): Quota exceeded\n"
        "• 2026-01-20 (1 day): Token expired"
    )


def test_failures_beyond_the_error_report_are_counted() -> None:
    text = failures_text(_report([1], "Boom"), runs_failed=3)
    assert text.splitlines()[-1] == "…and 2 more failed days (no error details yet)."


def test_many_distinct_errors_are_cut_with_the_count_of_the_rest() -> None:
    # a year of days, each with its own long error: far beyond one Slack section
    report = [
        {
            "date": (date(2025, 1, 1) + timedelta(days=n)).isoformat(),
            "error": f"Error {n}: " + "x" * 250,
        }
        for n in range(365)
    ]
    text = failures_text(report, runs_failed=365)
    lines = text.splitlines()
    assert len(text) <= 2800
    shown = len(lines) - 2  # header and the "and N more" line
    assert 1 <= shown <= 12
    assert lines[-1] == f"…and {365 - shown} more failed days."


def test_a_long_span_list_is_shortened() -> None:
    every_other_day = [date(2026, 1, 1) + timedelta(days=2 * n) for n in range(20)]
    text = format_spans(every_other_day)
    assert text.endswith("and 12 more spans")


def test_durations_read_naturally() -> None:
    assert format_duration(timedelta(seconds=40)) == "40 s"
    assert format_duration(timedelta(minutes=12, seconds=5)) == "12 min"
    assert format_duration(timedelta(hours=2, minutes=5)) == "2 h 5 min"
    assert format_duration(timedelta(days=1, hours=3)) == "1 d 3 h"
    assert format_duration(None) == ""


def test_completed_with_failures_offers_the_retry_button() -> None:
    message = finished_reply(
        status="COMPLETED",
        request_id=42,
        backfill_id=10001,
        requester="U1",
        duration=timedelta(minutes=12),
        runs_total=31,
        runs_completed=29,
        runs_failed=2,
        error_report=_report([3, 4], "Quota exceeded"),
    )
    assert message.text == (
        ":warning: <@U1> Backfill #10001 completed with failures: 29/31 days transferred, "
        "2 failed in 12 min."
    )
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [ids.ACTION_RETRY_FAILED_DAYS]
    assert actions[0]["elements"][0]["value"] == "42"
    assert check_message(message.text, message.blocks) == []


def test_a_clean_completion_has_no_button() -> None:
    message = finished_reply(
        status="COMPLETED",
        request_id=42,
        backfill_id=10001,
        requester="U1",
        duration=None,
        runs_total=3,
        runs_completed=3,
        runs_failed=0,
    )
    assert (
        message.text == ":white_check_mark: <@U1> Backfill #10001 completed: 3/3 days transferred."
    )
    assert all(block["type"] != "actions" for block in message.blocks)


def test_cancelled_says_by_whom_or_outside_slack() -> None:
    common = {
        "status": "CANCELLED",
        "request_id": 1,
        "backfill_id": 7,
        "requester": "U1",
        "duration": timedelta(seconds=90),
        "runs_total": 10,
        "runs_completed": 4,
        "runs_failed": 0,
    }
    assert "was cancelled by <@U2>: 4/10 days transferred in 1 min." in (
        finished_reply(**common, cancelled_by="U2").text  # type: ignore[arg-type]
    )
    assert "was cancelled outside Slack (e.g. in Supermetrics)" in (
        finished_reply(**common).text  # type: ignore[arg-type]
    )


def test_paused_reply_says_how_to_resume() -> None:
    message = tracking_paused_reply(
        backfill_id=10001, request_id=5, reason="Supermetrics had an internal error.", failures=8
    )
    assert message.text == (
        ":double_vertical_bar: Tracking of backfill #10001 is paused after 8 failed attempts: "
        "Supermetrics had an internal error. Fix the cause, then type `/backfill status 5` "
        "to resume tracking."
    )


def test_paused_reply_says_when_the_bot_looks_again() -> None:
    from datetime import UTC, datetime

    message = tracking_paused_reply(
        backfill_id=10001,
        request_id=5,
        reason="Supermetrics had an internal error.",
        failures=8,
        next_look_at=datetime(2026, 2, 10, 14, 5, tzinfo=UTC),
        every_seconds=300,
    )
    assert message.text.endswith(
        "I'll look again by myself at 14:05 UTC, then every 5 minutes until it answers, and "
        "post here when tracking resumes. `/backfill status 5` looks at once."
    )


def test_the_expired_card_has_no_buttons_and_says_what_to_do() -> None:
    message = expired_card(
        transfer_id=456789,
        transfer_name="Facebook Ads",
        range_start=date(2026, 1, 1),
        range_end=date(2026, 1, 31),
        days=31,
        requester="U1",
        command_text="transfer 456789 for last January",
    )
    assert all(block["type"] != "actions" for block in message.blocks)
    assert "Run `/backfill transfer 456789 for last January` again" in str(message.blocks)
    assert check_message(message.text, message.blocks) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=400),
            st.text(min_size=1, max_size=600),
        ),
        max_size=400,
    ),
    st.integers(min_value=0, max_value=50),
)
def test_any_failure_report_fits_slack_and_accounts_for_every_day(
    items: list[tuple[int, str]], extra: int
) -> None:
    report = [
        {"date": (date(2025, 1, 1) + timedelta(days=n)).isoformat(), "error": error}
        for n, error in items
    ]
    unique_days = len({n for n, _ in items})
    message = finished_reply(
        status="FAILED",
        request_id=1,
        backfill_id=2,
        requester="U1",
        duration=timedelta(hours=1),
        runs_total=unique_days + extra,
        runs_completed=0,
        runs_failed=unique_days + extra,
        error_report=report,
    )
    assert check_message(message.text, message.blocks) == []
    text = failures_text(report, runs_failed=unique_days + extra)
    lines = text.splitlines()
    total = unique_days + extra
    assert lines[0] == f"*{total} day{'s' if total != 1 else ''} failed:*"
    shown = sum(
        int(re.search(r"\((\d+) days?\):", line).group(1))
        for line in lines[1:]
        if line.startswith("• ")
    )  # type: ignore[union-attr]
    rest = re.match(r"…and (\d+) more", lines[-1])
    assert shown + (int(rest.group(1)) if rest else 0) == total
