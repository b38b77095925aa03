"""Plans: several transfers in one command, long ranges in chunks, and their refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from bot.errors import CommandError, RangeTooLongError
from bot.parsing.plans import (
    PlanTargetError,
    Target,
    chunk_range,
    parse_plan,
    plan_steps,
    resolve_targets,
    split_targets,
)

TODAY = date(2026, 11, 30)
D = date.fromisoformat

# text -> (targets, range_start, range_end, number of chunks at max_days=366)
PHRASES = [
    (
        "backfill transfers 456789, 456790 and 456791 for last week",
        [Target(456789), Target(456790), Target(456791)],
        "2026-11-23",
        "2026-11-29",
        1,
    ),
    (
        "transfers 456789 and 456790 for last week",
        [Target(456789), Target(456790)],
        "2026-11-23",
        "2026-11-29",
        1,
    ),
    (
        "backfill transfer 456789, 456790, and 456791 for last week",
        [Target(456789), Target(456790), Target(456791)],
        "2026-11-23",
        "2026-11-29",
        1,
    ),
    (
        "backfill #456789 and #456790 from 2026-01-05 to 2026-01-12",
        [Target(456789), Target(456790)],
        "2026-01-05",
        "2026-01-12",
        1,
    ),
    (
        "backfill all Facebook Ads transfers for Q3",
        [Target(name="Facebook Ads", all_matching=True)],
        "2026-07-01",
        "2026-09-30",
        1,
    ),
    (
        'backfill all transfers named "FB ads, daily" for Q3',
        [Target(name="FB ads, daily", all_matching=True)],
        "2026-07-01",
        "2026-09-30",
        1,
    ),
    (
        "backfill 456789 and LinkedIn Ads for March",
        [Target(456789), Target(name="LinkedIn Ads")],
        "2026-03-01",
        "2026-03-31",
        1,
    ),
    (
        'backfill "Search and Display", Facebook Ads and 456789 for March',
        [Target(name="Search and Display"), Target(name="Facebook Ads"), Target(456789)],
        "2026-03-01",
        "2026-03-31",
        1,
    ),
    (
        "backfill transfers 456789 and 456789 for last week",
        [Target(456789)],
        "2026-11-23",
        "2026-11-29",
        1,
    ),
    (
        "backfill transfer 456789 from 2023-01-01 to 2024-12-31",
        [Target(456789)],
        "2023-01-01",
        "2024-12-31",
        2,
    ),
    (
        "backfill transfer 456789 for 2023 through 2024",
        [Target(456789)],
        "2023-01-01",
        "2024-12-31",
        2,
    ),
    (
        "backfill Facebook Ads for the last 3 years",
        [Target(name="Facebook Ads")],
        "2023-01-01",
        "2025-12-31",
        3,
    ),
    (
        "backfill transfers 456789 and 456790 from January 2022 to December 2024",
        [Target(456789), Target(456790)],
        "2022-01-01",
        "2024-12-31",
        3,
    ),
]


@pytest.mark.parametrize(("text", "targets", "start", "end", "chunks"), PHRASES)
def test_plan_phrasings(
    text: str, targets: list[Target], start: str, end: str, chunks: int
) -> None:
    plan = parse_plan(text, today=TODAY, max_days=366, max_plan_days=1830)
    assert list(plan.targets) == targets
    assert (plan.range_start, plan.range_end) == (D(start), D(end))
    assert len(plan.chunks) == chunks
    # a repeated id is one step; every other line is more than one backfill
    assert plan.is_plan == (len(targets) > 1 or chunks > 1 or targets[0].all_matching)
    # the chunks cover the range exactly, newest first, none longer than the maximum
    assert plan.chunks[0][1] == plan.range_end and plan.chunks[-1][0] == plan.range_start
    for (newer_start, _), (_, older_end) in zip(plan.chunks, plan.chunks[1:], strict=False):
        assert (newer_start - older_end).days == 1
    assert all((e - s).days + 1 <= 366 for s, e in plan.chunks)


# commands that stay one backfill (the old path), or that must not be read as lists
ONE_STEP = [
    ("transfer 456789 for last January", Target(456789)),
    ("backfill transfer 456789 for last January", Target(456789)),
    ("backfill Facebook Ads for last week", Target(name="Facebook Ads")),
    ("backfill Facebook Ads - daily for Q3 2025", Target(name="Facebook Ads - daily")),
]


@pytest.mark.parametrize(("text", "target"), ONE_STEP)
def test_one_step_commands_are_not_plans(text: str, target: Target) -> None:
    assert split_targets(text) is None
    plan = parse_plan(text, today=TODAY)
    assert plan.targets == (target,)
    assert not plan.is_plan


def test_years_are_not_a_list_of_transfers() -> None:
    assert split_targets("re-pull 2023 and 2024 for 456789") is None
    assert split_targets("Ads & <More> for last month") is None  # "&" is part of names


# refusals: (text, max_plan_days, error class, words the message must hold)
REFUSALS = [
    (
        "backfill transfer 456789 from 2016-01-01 to 2026-01-31",
        1830,
        RangeTooLongError,
        ["3684 days", "1830", "MAX_PLAN_DAYS"],
    ),
    (
        "backfill transfers 456789 and 456790 from 2020-01-01 to 2025-12-31",
        1830,
        RangeTooLongError,
        ["2192 days", "MAX_PLAN_DAYS"],
    ),
    (
        "backfill transfer 456789 for 2023 through 2024",
        700,
        RangeTooLongError,
        ["731 days", "700"],
    ),
    (
        "backfill transfers 456789 and 456790 for blursday",
        1830,
        CommandError,
        ["date range"],
    ),
]


@pytest.mark.parametrize(("text", "cap", "error", "words"), REFUSALS)
def test_plan_refusals(text: str, cap: int, error: type[Exception], words: list[str]) -> None:
    with pytest.raises(error) as caught:
        parse_plan(text, today=TODAY, max_days=366, max_plan_days=cap)
    message = caught.value.user_message  # type: ignore[attr-defined]
    for word in words:
        assert word in message


TRANSFERS = {
    456789: "Facebook Ads - daily",
    456790: "Facebook Ads - weekly",
    456791: "LinkedIn Ads",
}


def _lookup(name: str) -> list[tuple[int, str]]:
    return [(tid, n) for tid, n in TRANSFERS.items() if name.lower() in n.lower()]


RESOLVE = [
    ([Target(456789), Target(name="LinkedIn Ads")], [456789, 456791]),
    ([Target(name="Facebook Ads", all_matching=True)], [456789, 456790]),
    ([Target(456791), Target(name="Facebook Ads", all_matching=True)], [456791, 456789, 456790]),
    ([Target(456789), Target(name="Facebook Ads - daily")], [456789]),
]


@pytest.mark.parametrize(("targets", "ids"), RESOLVE)
def test_resolve_targets(targets: list[Target], ids: list[int]) -> None:
    resolved = resolve_targets(targets, lookup=_lookup, names_of=TRANSFERS.get)
    assert [tid for tid, _ in resolved] == ids
    assert all(name == TRANSFERS[tid] for tid, name in resolved)


RESOLVE_REFUSALS = [
    (
        [Target(456789), Target(name="Tiktok Ads"), Target(name="Snapchat")],
        ['"Tiktok Ads"', '"Snapchat"', "Nothing was planned"],
    ),
    ([Target(name="Facebook Ads"), Target(456791)], ["matches", "#456789", "#456790", "all"]),
    ([Target(name="Nope", all_matching=True)], ['"Nope"']),
]


@pytest.mark.parametrize(("targets", "words"), RESOLVE_REFUSALS)
def test_resolve_refusals(targets: list[Target], words: list[str]) -> None:
    with pytest.raises(PlanTargetError) as caught:
        resolve_targets(targets, lookup=_lookup)
    for word in words:
        assert word in caught.value.user_message


def test_chunks_newest_first() -> None:
    assert chunk_range(D("2023-01-01"), D("2024-12-31"), 366) == (
        (D("2024-01-01"), D("2024-12-31")),
        (D("2023-01-01"), D("2023-12-31")),
    )
    assert chunk_range(D("2026-01-01"), D("2026-01-10"), 4) == (
        (D("2026-01-07"), D("2026-01-10")),
        (D("2026-01-03"), D("2026-01-06")),
        (D("2026-01-01"), D("2026-01-02")),
    )
    assert chunk_range(D("2026-01-01"), D("2026-01-01"), 366) == (
        (D("2026-01-01"), D("2026-01-01")),
    )


def test_steps_sequence_chunks_per_transfer() -> None:
    chunks = chunk_range(D("2023-01-01"), D("2024-12-31"), 366)
    steps = plan_steps([(1, "a"), (2, None)], chunks)
    assert [(s.transfer_id, s.range_start.year, s.after) for s in steps] == [
        (1, 2024, None),
        (1, 2023, 0),
        (2, 2024, None),
        (2, 2023, 2),
    ]


def test_parse_cli_adds_steps_for_plans() -> None:
    lines = [
        {"text": "backfill transfer 456789 for last January", "today": "2026-11-30"},
        {"text": "backfill transfers 456789 and 456790 for last week", "today": "2026-11-30"},
        {"text": "backfill transfer 456789 for 2023 through 2024", "today": "2026-11-30"},
        {"text": "backfill transfer 456789 from 2010-01-01 to 2026-01-01", "today": "2026-11-30"},
    ]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "parse", "--jsonl", "--max-days", "366"],
        input="".join(json.dumps(line) + "\n" for line in lines),
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
    )
    one, several, chunks, refused = (json.loads(x) for x in done.stdout.splitlines())
    assert one["transfer_id"] == 456789 and "steps" not in one
    assert [s["transfer_id"] for s in several["steps"]] == [456789, 456790]
    assert several["steps"][0] == {
        "transfer_id": 456789,
        "range_start": "2026-11-23",
        "range_end": "2026-11-29",
        "days": 7,
    }
    assert [(s["range_start"], s["days"]) for s in chunks["steps"]] == [
        ("2024-01-01", 366),
        ("2023-01-01", 365),
    ]
    assert "MAX_PLAN_DAYS" in refused["error"]
