"""Fixtures: a console on a temporary data directory, a fixed "today" and a fast simulator."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.console import repl
from bot.console.console_notifier import ConsoleNotifier
from bot.console.environment import (
    CONSOLE_CHANNEL,
    CONSOLE_TEAM,
    CONSOLE_USER,
    ConsoleEnvironment,
    build_environment,
    clock_for_today,
)
from bot.console.session import ConsoleSession
from bot.service.types import Actor

TODAY = date(2026, 3, 15)
TZ = "Europe/Helsinki"
# 31 daily runs take 320 simulated seconds: about 0.8 s of real time at this speed
FAST = 400.0


def console_settings(data_dir: Path) -> Settings:
    """Settings as a fresh machine would have them, data kept in ``data_dir``."""
    return load_settings({"BOT_DATA_DIR": str(data_dir)})


@dataclass
class Transcript:
    code: int
    text: str


def run_console(
    data_dir: Path, script: str, *options: str, today: date = TODAY, speed: float = FAST
) -> Transcript:
    """Run the console's CLI in-process with piped input; return exit code and output."""
    args = repl.build_parser().parse_args(
        ["--tz", TZ, "--today", today.isoformat(), "--speed", str(speed), *options]
    )
    out = io.StringIO()
    code = repl.run(
        args,
        settings=console_settings(data_dir),
        stdin=io.StringIO(script),
        stdout=out,
        interactive=False,
    )
    return Transcript(code, out.getvalue())


@dataclass
class LiveConsole:
    """A console session driven line by line, its tracker running."""

    env: ConsoleEnvironment
    session: ConsoleSession
    out: io.StringIO

    def type(self, line: str) -> str:
        """Type a line; return what the console printed since."""
        start = len(self.out.getvalue())
        assert self.session.handle_line(line)
        return self.out.getvalue()[start:]

    def wait(self, timeout: float = 60.0) -> None:
        assert self.session.wait_until_finished(timeout) == []

    @property
    def text(self) -> str:
        return self.out.getvalue()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveConsole]:
    out = io.StringIO()
    notifier = ConsoleNotifier(out, namer=lambda user: "you" if user == CONSOLE_USER else user)
    env = build_environment(
        console_settings(tmp_path),
        notifier=notifier,
        clock=clock_for_today(TODAY, TZ),
        speed=FAST,
    )
    with env:
        session = ConsoleSession(
            service=env.service,
            session_factory=env.runtime.session_factory,
            notifier=notifier,
            actor=Actor(
                slack_team_id=CONSOLE_TEAM,
                user_id=CONSOLE_USER,
                channel_id=CONSOLE_CHANNEL,
                tz=TZ,
                is_admin=True,
            ),
        )
        env.start_tracker()
        yield LiveConsole(env, session, out)
