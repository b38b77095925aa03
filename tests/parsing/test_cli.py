"""``python -m bot parse`` run as a real subprocess, single and --jsonl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import repo_root

ROOT = repo_root()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATE_ORDER", "MAX_BACKFILL_DAYS"}}
    env["PYTHONPATH"] = str(ROOT)
    return env


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "parse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env or _env(),
        timeout=60,
        check=False,
    )


def test_single_command_prints_one_json_object() -> None:
    result = run("backfill transfer 456789 for last January", "--today", "2026-11-28")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "transfer_id": 456789,
        "range_start": "2026-01-01",
        "range_end": "2026-01-31",
        "days": 31,
        "clamped": False,
        "timezone": "UTC",
        "notes": ["Today in UTC is 2026-11-28 (Saturday)."],
    }
    assert result.stdout.count("\n") == 1


def test_timezone_and_notes_say_what_decided_today() -> None:
    result = run(
        "backfill transfer 456789 for this month",
        "--today",
        "2026-11-29",
        "--tz",
        "Europe/Helsinki",
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["timezone"] == "Europe/Helsinki"
    assert (out["range_start"], out["range_end"]) == ("2026-11-01", "2026-11-29")
    assert out["notes"] == [
        "Today in Europe/Helsinki is 2026-11-29 (Sunday).",
        "Today (2026-11-29) is not over yet, so its data may still be incomplete; "
        "backfill it again tomorrow for the full day.",
    ]
    # a range given in full dates does not depend on today: no note
    fixed = json.loads(
        run("backfill 7 from 2024-01-01 to 2024-01-31", "--today", "2026-11-29").stdout
    )
    assert fixed["notes"] == []
    assert fixed["timezone"] == "UTC"


def test_near_miss_error_carries_the_corrected_command() -> None:
    result = run("backfill transfer 456789 for lst month", "--today", "2026-11-28")
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["suggestion"] == "backfill transfer 456789 for last month"
    assert 'Did you mean last? Try "backfill transfer 456789 for last month".' in out["error"]


def test_named_transfer_uses_transfer_name() -> None:
    result = run("backfill Facebook Ads for last month", "--today", "2026-11-28")
    assert result.returncode == 0
    out = json.loads(result.stdout)
    assert out["transfer_name"] == "Facebook Ads"
    assert "transfer_id" not in out


def test_error_prints_json_and_exits_1() -> None:
    result = run("backfill transfer 456789 for next week", "--today", "2026-11-28")
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert set(out) == {"error"}
    assert "future" in out["error"]


def test_date_order_flag_is_explicit_and_wins() -> None:
    implicit = json.loads(run("backfill 7 on 01/05/2024", "--today", "2026-11-28").stdout)
    assert implicit["range_start"] == "2024-01-05"
    assert implicit["notes"] == ["Read 01/05/2024 as January 5, 2024 (MDY)."]
    explicit = json.loads(
        run("backfill 7 on 01/05/2024", "--today", "2026-11-28", "--date-order", "dmy").stdout
    )
    assert explicit["range_start"] == "2024-05-01"
    assert explicit["notes"] == []


def test_settings_give_the_defaults() -> None:
    env = _env() | {"DATE_ORDER": "DMY", "MAX_BACKFILL_DAYS": "10"}
    out = json.loads(run("backfill 7 on 01/05/2024", "--today", "2026-11-28", env=env).stdout)
    assert out["range_start"] == "2024-05-01"
    too_long = run("backfill 7 last month", "--today", "2026-11-28", env=env)
    assert too_long.returncode == 1
    assert "maximum of 10 days" in json.loads(too_long.stdout)["error"]
    flag = run("backfill 7 last month", "--today", "2026-11-28", "--max-days", "31", env=env)
    assert flag.returncode == 0


def test_today_defaults_to_the_date_in_tz() -> None:
    zone = "Pacific/Kiritimati"  # UTC+14: often a different date from UTC
    before = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    result = run("backfill 7 today", "--tz", zone)
    after = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    assert result.returncode == 0
    assert json.loads(result.stdout)["range_start"] in {before.isoformat(), after.isoformat()}
    utc = run("backfill 7 yesterday")
    expected = {(datetime.now(UTC).date() - timedelta(days=d)).isoformat() for d in (1, 2)}
    assert json.loads(utc.stdout)["range_start"] in expected


@pytest.mark.parametrize(
    "args",
    [
        ("backfill 7 today", "--today", "2026-02-30"),
        ("backfill 7 today", "--tz", "Nowhere/Special"),
        ("backfill 7 today", "--date-order", "YMD"),
        ("backfill 7 today", "--max-days", "0"),
        (),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "error" in result.stderr


def test_jsonl_answers_every_line_in_order_and_survives_bad_lines() -> None:
    lines = [
        json.dumps({"text": "backfill transfer 456789 for last January", "today": "2026-11-28"}),
        "this is not json",
        json.dumps({"today": "2026-11-28"}),
        json.dumps({"text": "backfill 1 yesterday", "today": "2026-02-30"}),
        json.dumps({"text": "backfill transfer 456789 for next week", "today": "2026-11-28"}),
        json.dumps(["text"]),
        "",
        json.dumps({"text": "backfill Facebook Ads for Q3 2024"}),
        json.dumps({"text": "backfill 9 from Dec 20 to Jan 5", "today": "2026-01-15"}),
    ]
    result = run("--jsonl", "--today", "2026-11-28", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["range_start"] == "2026-01-01"
    assert "not JSON" in out[1]["error"]
    assert '"text"' in out[2]["error"]
    assert '"today"' in out[3]["error"]
    assert "future" in out[4]["error"]
    assert "error" in out[5]
    assert "not JSON" in out[6]["error"]
    assert out[7] == {
        "transfer_name": "Facebook Ads",
        "range_start": "2024-07-01",
        "range_end": "2024-09-30",
        "days": 92,
        "clamped": False,
        "timezone": "UTC",
        "notes": [],
    }
    assert (out[8]["range_start"], out[8]["range_end"]) == ("2025-12-20", "2026-01-05")
    assert out[8]["notes"] == ["Today in UTC is 2026-01-15 (Thursday)."]


def test_jsonl_flushes_each_answer_as_it_goes() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "parse", "--jsonl", "--today", "2026-11-28"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_env(),
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        for text in ("backfill 1 yesterday", "backfill 2 last week"):
            proc.stdin.write(json.dumps({"text": text}) + "\n")
            proc.stdin.flush()
            # the answer arrives while stdin is still open
            answer = json.loads(proc.stdout.readline())
            assert answer["transfer_id"] in {1, 2}
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.parse import main

    assert main(["backfill", "transfer", "7", "for", "Q3 2024", "--today", "2026-11-28"]) == 0
    assert json.loads(capsys.readouterr().out)["range_end"] == "2024-09-30"
    assert main(["backfill 7 for blursday", "--today", "2026-11-28"]) == 1
    assert "date range" in json.loads(capsys.readouterr().out)["error"]
