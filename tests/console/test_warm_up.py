"""The parser warms up while the first prompt waits, and the first command waits for it."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.console import repl
from tests.console.conftest import TODAY, TZ, console_settings

ROOT = Path(__file__).resolve().parents[2]


class _Typist(io.StringIO):
    """Piped input that notes when the console first asks for a line."""

    def __init__(self, text: str, order: list[str]) -> None:
        super().__init__(text)
        self.order = order
        self.asked = threading.Event()

    def readline(self, size: int | None = -1, /) -> str:
        if not self.asked.is_set():
            self.order.append("prompt")
            self.asked.set()
        return super().readline(size)


class _Screen(io.StringIO):
    """Output that notes when the first answer to a command appears."""

    def __init__(self, order: list[str]) -> None:
        super().__init__()
        self.order = order

    def write(self, text: str) -> int:
        if "only you can see this" in text and "answered" not in self.order:
            self.order.append("answered")
        return super().write(text)


def _run(tmp_path: Path, stdin: io.StringIO, stdout: io.StringIO, warm_up: object) -> int:
    args = repl.build_parser().parse_args(["--tz", TZ, "--today", TODAY.isoformat(), "--no-wait"])
    return repl.run(
        args,
        settings=console_settings(tmp_path),
        stdin=stdin,
        stdout=stdout,
        interactive=False,
        warm_up=warm_up,  # type: ignore[arg-type]
    )


def test_the_warm_up_runs_while_the_prompt_waits_and_before_the_first_command(
    tmp_path: Path,
) -> None:
    order: list[str] = []
    stdin = _Typist("help\n", order)

    def warm_up() -> None:
        order.append("warm-up started")
        # the prompt is not held up by the warm-up: it asks for a line meanwhile
        saw_prompt = stdin.asked.wait(timeout=30)
        order.append(f"warm-up done, prompt shown meanwhile: {saw_prompt}")

    assert _run(tmp_path, stdin, _Screen(order), warm_up) == 0
    assert "warm-up started" in order
    assert order[-2:] == ["warm-up done, prompt shown meanwhile: True", "answered"], order


def test_a_failing_warm_up_only_costs_speed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def warm_up() -> None:
        raise RuntimeError("dateparser is broken")

    out = io.StringIO()
    with caplog.at_level(logging.WARNING, logger="bot.console.repl"):
        assert (
            _run(tmp_path, io.StringIO("backfill transfer 456789 for last January\n"), out, warm_up)
            == 0
        )
    assert "Backfill Facebook Ads - daily (#456789)?" in out.getvalue()
    [record] = [r for r in caplog.records if r.name == "bot.console.repl"]
    assert record.getMessage() == "warming up the command parser failed"


def test_the_console_warms_up_the_real_parser(tmp_path: Path) -> None:
    # a fresh process: whether dateparser got imported shows the parser's warm-up ran
    code = (
        "import sys; from bot.console import repl; rc = repl.main(['--no-wait']); "
        "print('dateparser' in sys.modules, rc)"
    )
    demo = {"DATABASE_URL", "SUPERMETRICS_API_URL", "BOT_ENCRYPTION_KEY", "LOG_LEVEL"}
    env = {k: v for k, v in os.environ.items() if k not in demo}
    env["BOT_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        input="quit\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )
    assert result.stdout.splitlines()[-1] == "True 0", result.stdout + result.stderr
