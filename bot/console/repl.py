"""``python -m bot console``: options, the input loop, and waiting for the end.

Reads commands from standard input, one a line.  At a terminal it prompts; with piped
input it echoes each line (so the output reads as a transcript) and, once the input ends,
waits until every backfill it submitted has finished (``--no-wait`` to stop at once),
bounded by ``--timeout``.
"""

from __future__ import annotations

import argparse
import getpass
import io
import logging
import shutil
import sys
import threading
from collections.abc import Callable
from datetime import date
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock, SystemClock
from bot.config import Settings, load_settings
from bot.console import blocks_as_text
from bot.console.console_notifier import ConsoleNotifier
from bot.console.environment import (
    CONSOLE_CHANNEL,
    CONSOLE_TEAM,
    CONSOLE_USER,
    DEFAULT_SPEED,
    build_environment,
    clock_for_today,
    describe,
    local_timezone_name,
)
from bot.console.session import ConsoleSession
from bot.errors import BotError
from bot.service.types import Actor

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300.0
# the parser's warm-up takes a fraction of a second; never let it hold up the prompt long
WARM_UP_TIMEOUT = 10.0
PROMPT = "you › "

EXIT_OK = 0
EXIT_TIMEOUT = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130


def _positive(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{raw!r} must be more than 0")
    return value


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a timezone; use an IANA name such as Europe/Helsinki or UTC"
        ) from None
    return raw


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date like 2026-01-31") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot console",
        description=(
            "Run the bot in this terminal: the same service and tracker as in Slack, "
            "against the built-in Supermetrics simulator unless SUPERMETRICS_API_URL is set."
        ),
    )
    parser.add_argument(
        "--tz",
        type=_timezone,
        help="your timezone, e.g. Europe/Helsinki (default: this machine's, else DEFAULT_TIMEZONE)",
    )
    parser.add_argument(
        "--speed",
        type=_positive,
        default=DEFAULT_SPEED,
        help=f"how many times faster than real time the simulator runs (default {DEFAULT_SPEED:g})",
    )
    wait = parser.add_mutually_exclusive_group()
    wait.add_argument(
        "--wait",
        dest="wait",
        action="store_true",
        default=None,
        help="after the input ends, keep running until every submitted backfill has finished "
        "(the default when input is piped)",
    )
    wait.add_argument(
        "--no-wait", dest="wait", action="store_false", help="stop as soon as the input ends"
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        help=f"the longest --wait waits, in seconds (default {DEFAULT_TIMEOUT:g}); "
        "running out exits 1",
    )
    parser.add_argument(
        "--today", type=_day, help="pretend today is this date, YYYY-MM-DD (demos and tests)"
    )
    parser.add_argument(
        "--slack-team",
        default=CONSOLE_TEAM,
        help=f"the workspace whose token and requests to use (default {CONSOLE_TEAM})",
    )
    return parser


def _configure_logging(settings: Settings) -> None:
    # the console's own output is the conversation: keep routine INFO logs out of it
    level = settings.log_level.upper()
    if level == Settings().log_level:
        level = "WARNING"
    logging.basicConfig(
        level=getattr(logging, level, logging.WARNING),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )


class _Prompt:
    """Re-shows the prompt, and what was typed after it, when the tracker prints meanwhile."""

    def __init__(self, out: TextIO, enabled: bool, typed: Callable[[], str]) -> None:
        self.out = out
        self.enabled = enabled
        self.waiting = threading.Event()
        self._typed = typed

    def before_output(self) -> None:
        if self.enabled and self.waiting.is_set():
            self.out.write("\r\033[K")  # clear the prompt line; after_output redraws it

    def after_output(self) -> None:
        if self.enabled and self.waiting.is_set():
            self.out.write(PROMPT + self._typed())
            self.out.flush()


def _line_editing() -> Callable[[], str]:
    """Turn on line editing and history for ``input()``; return what is typed so far.

    Without ``readline`` (some platforms lack it) the prompt is still redrawn, but the
    half-typed line is only in the terminal's buffer and cannot be shown again.
    """
    try:
        import readline
    except ImportError:
        return _nothing_typed
    return readline.get_line_buffer


class _WarmUp:
    """The parser's warm-up on a side thread, while the console waits for input."""

    def __init__(self, warm_up: Callable[[], None]) -> None:
        self._warm_up = warm_up
        self._thread = threading.Thread(target=self._run, name="console-warm-up", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._warm_up()
        except Exception:
            # only speed is lost: the first command pays the cost instead
            log.warning("warming up the command parser failed", exc_info=True)

    def wait(self) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout=WARM_UP_TIMEOUT)


def _parser_warm_up() -> None:
    from bot.parsing import warm_up

    warm_up()


def run(
    args: argparse.Namespace,
    *,
    settings: Settings,
    stdin: TextIO,
    stdout: TextIO,
    interactive: bool,
    clock: Clock | None = None,
    warm_up: Callable[[], None] = _parser_warm_up,
    typed: Callable[[], str] | None = None,
    width: Callable[[], int] | None = None,
) -> int:
    """Run one console session; return the exit code.

    ``warm_up`` (the parser's, by default) starts when the first prompt is shown and runs
    while it waits; the first command waits for it to end, so it is as quick as any other
    (at a terminal the warm-up is over long before you finish typing). ``typed`` returns
    the half-typed input line (to redraw it), ``width`` the terminal's width (to fold).
    """
    tz = args.tz or local_timezone_name(settings.default_timezone)
    if clock is None:
        clock = clock_for_today(args.today, tz) if args.today else SystemClock()
    prompt = _Prompt(stdout, interactive, typed or _nothing_typed)
    notifier = ConsoleNotifier(
        stdout,
        namer=lambda user: "you" if user == CONSOLE_USER else user,
        on_output=prompt.after_output,
        before_output=prompt.before_output,
        width=width,
    )
    try:
        env = build_environment(
            settings,
            notifier=notifier,
            clock=clock,
            speed=args.speed,
            slack_team_id=args.slack_team,
            user_id=CONSOLE_USER,
        )
    except BotError as exc:
        _print_error(exc.user_message)
        return EXIT_CONFIG

    actor = Actor(
        slack_team_id=args.slack_team,
        user_id=CONSOLE_USER,
        channel_id=CONSOLE_CHANNEL,
        tz=tz,
        is_admin=True,
    )
    session = ConsoleSession(
        service=env.service,
        session_factory=env.runtime.session_factory,
        notifier=notifier,
        actor=actor,
        read_secret=getpass.getpass if interactive else None,
    )
    wait = (not interactive) if args.wait is None else args.wait
    with env:
        notifier.say(
            "backfill-bot console: type a request such as "
            "`backfill transfer 456789 for last January`, or `help`.\n"
            f"Timezone: {tz} (today is {clock.now().astimezone(ZoneInfo(tz)).date()})"
        )
        for line in describe(env):
            notifier.say(line)
        env.start_tracker()
        # started only now: beside the start-up it would slow it down (the GIL), while
        # a prompt waiting for input leaves it the processor
        warming = _WarmUp(warm_up)
        try:
            _read_loop(session, stdin=stdin, notifier=notifier, prompt=prompt, before=warming.wait)
        except KeyboardInterrupt:
            notifier.say("\nInterrupted.")
            return EXIT_INTERRUPTED
        if not wait:
            running = session.unfinished()
            if running:
                notifier.say(
                    f"\nStopping with {len(running)} backfill(s) still being tracked "
                    f"(request {', '.join(f'#{rid}' for rid in running)})."
                )
            return EXIT_OK
        return _wait(session, notifier=notifier, timeout=args.timeout)


def _read_loop(
    session: ConsoleSession,
    *,
    stdin: TextIO,
    notifier: ConsoleNotifier,
    prompt: _Prompt,
    before: Callable[[], None],
) -> None:
    while True:
        if prompt.enabled:
            prompt.waiting.set()
            try:
                line = input(PROMPT) if stdin is sys.stdin else _prompted(stdin, prompt)
            except EOFError:
                prompt.waiting.clear()  # end the prompt's line, don't draw it again
                notifier.say("")
                return
            finally:
                prompt.waiting.clear()
        else:
            line = stdin.readline()
            if not line:
                return
            if line.strip():
                notifier.say(f"\n{PROMPT}{line.strip()}")
        before()
        if not session.handle_line(line):
            return


def _prompted(stdin: TextIO, prompt: _Prompt) -> str:
    prompt.out.write(PROMPT)
    prompt.out.flush()
    line = stdin.readline()
    if not line:
        raise EOFError
    return line


def _wait(session: ConsoleSession, *, notifier: ConsoleNotifier, timeout: float) -> int:
    running = session.unfinished()
    if running:
        notifier.say(
            f"\nWaiting for {len(running)} submitted backfill(s) to finish (at most {timeout:g} s)…"
        )
    try:
        left = session.wait_until_finished(timeout)
    except KeyboardInterrupt:
        notifier.say("\nInterrupted.")
        return EXIT_INTERRUPTED
    if left:
        message = (
            f"Timed out after {timeout:g} s with {len(left)} backfill(s) still running "
            f"(request {', '.join(f'#{rid}' for rid in left)}). Use --timeout to wait longer."
        )
        notifier.say(f"\n! {message}")
        print(f"! {message}", file=sys.stderr)
        return EXIT_TIMEOUT
    if session.submitted:
        notifier.say("\nEvery submitted backfill has finished.")
    return EXIT_OK


def _print_error(message: str) -> None:
    """Print a ``BotError.user_message`` (written for Slack) to stderr as plain text."""
    lines = blocks_as_text.indent(
        blocks_as_text.message_lines(message) or [""], "! ", first_only=True
    )
    print("\n".join(lines), file=sys.stderr)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except BotError as exc:
        _print_error(exc.user_message)
        return EXIT_CONFIG
    _configure_logging(settings)
    if isinstance(sys.stdout, io.TextIOWrapper):
        # a terminal or pipe without UTF-8 still gets the transcript, bars replaced
        sys.stdout.reconfigure(errors="replace")
    interactive = sys.stdin.isatty()
    return run(
        args,
        settings=settings,
        stdin=sys.stdin,
        stdout=sys.stdout,
        interactive=interactive,
        typed=_line_editing() if interactive else _nothing_typed,
        width=_terminal_width if sys.stdout.isatty() else None,
    )


def _nothing_typed() -> str:
    return ""


def _terminal_width() -> int:
    return shutil.get_terminal_size().columns  # asked each time: terminals get resized
