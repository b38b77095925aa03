"""The README's run command, exactly as written, with a piped script instead of a person."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.console.environment import local_timezone_name
from tests.docs.markdown import ROOT, quick_start_commands

SCRIPT = "backfill transfer 456789 for last January\nconfirm\n"
# settings that would take the demo away from its embedded defaults
NOT_DEMO = ("SUPERMETRICS_API_URL", "DATABASE_URL", "BOT_ENCRYPTION_KEY", "LOG_LEVEL")


def last_january(today: date) -> tuple[date, date]:
    """The most recent January that has ended before this month began."""
    year = today.year if today.month > 1 else today.year - 1
    return date(year, 1, 1), date(year, 1, 31)


@pytest.mark.slow
def test_the_readme_run_command_runs_a_backfill_from_piped_input(tmp_path: Path) -> None:
    command = quick_start_commands()[0]
    env = {k: v for k, v in os.environ.items() if k not in NOT_DEMO}
    env["BOT_DATA_DIR"] = str(tmp_path / "data")
    tz = ZoneInfo(local_timezone_name(Settings().default_timezone))
    before = datetime.now(tz).date()
    result = subprocess.run(
        shlex.split(command),
        cwd=ROOT,
        input=SCRIPT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=600,
        check=False,
    )
    after = datetime.now(tz).date()
    transcript = result.stdout
    assert result.returncode == 0, f"{transcript}\n--- stderr ---\n{result.stderr}"

    # the confirmation card, for last January relative to the real today
    ranges = {last_january(before), last_january(after)}
    shown = {f"{start.isoformat()} → {end.isoformat()} · 31 daily runs" for start, end in ranges}
    assert any(line in transcript for line in shown), transcript
    assert "Backfill Facebook Ads - daily (#456789)?" in transcript
    assert "[Confirm] [Edit dates] [Cancel]" in transcript
    # the submission, progress on the card and in the thread, and the end
    assert re.search(r"Backfill #\d+ submitted by @you", transcript), transcript
    progress = re.findall(
        r"✎ card updated \(backfill #\d+\): (\w+) [▓░]{10} (\d+)/31 days", transcript
    )
    assert any(status == "RUNNING" for status, _done in progress), transcript
    assert ("COMPLETED", "31") in progress, transcript
    assert re.search(r"@you Backfill #\d+ completed: ", transcript), transcript
    assert "Every submitted backfill has finished." in transcript
    assert (tmp_path / "data" / "bot.db").exists()
