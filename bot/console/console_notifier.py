"""ConsoleNotifier: the ``Notifier`` port printed to a terminal.

The service (in the input thread) and the tracker (in a background thread) both call it,
so every write happens under one lock and each message is printed whole.  Messages are
rendered from the same Block Kit blocks Slack would receive.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from bot.console import blocks_as_text
from bot.messages.notifier import Block

THREAD_PREFIX = "    │ "


@dataclass
class PostedMessage:
    """One message as the console remembers it (for updates and thread headers)."""

    ts: str
    channel: str
    text: str
    blocks: list[Block]
    thread_ts: str | None = None
    updates: int = 0
    replies: int = 0
    title: str = field(default="")
    # the progress step (and buttons) last printed for this card: smaller steps are skipped
    shown_step: tuple[tuple[str, str, str] | None, str] | None = None


class ConsoleNotifier:
    """Prints posts, updates, thread replies and ephemeral notes; thread-safe."""

    def __init__(
        self,
        out: TextIO,
        *,
        namer: blocks_as_text.UserNamer = blocks_as_text.default_namer,
        on_output: Callable[[], None] | None = None,
        before_output: Callable[[], None] | None = None,
        width: Callable[[], int] | None = None,
    ) -> None:
        self._out = out
        # a terminal's width (asked each time: it can be resized); None: never fold
        self._width = width
        self._namer = namer
        self._on_output = on_output
        self._before_output = before_output
        self._lock = threading.RLock()
        self._counter = itertools.count(1)
        # like Slack's ts: unique across console runs that share one database
        self._epoch = int(time.time())
        self.messages: dict[str, PostedMessage] = {}

    # --- the Notifier protocol -------------------------------------------------------

    def post(
        self,
        *,
        slack_team_id: str,
        channel: str,
        text: str,
        blocks: Sequence[Block] = (),
        thread_ts: str | None = None,
    ) -> str:
        with self._lock:
            ts = f"{self._epoch}.{next(self._counter):06d}"
            lines = blocks_as_text.render_blocks(blocks, fallback=text, namer=self._namer)
            message = PostedMessage(
                ts=ts,
                channel=channel,
                text=text,
                blocks=list(blocks),
                thread_ts=thread_ts,
                title=_title(lines, text),
            )
            progress = blocks_as_text.progress_of(blocks, self._namer)
            if progress is not None:
                buttons = " ".join(f"[{label}]" for label in blocks_as_text.button_labels(blocks))
                message.shown_step = (blocks_as_text.progress_step(progress), buttons)
            self.messages[ts] = message
            parent = self.messages.get(thread_ts) if thread_ts else None
            if thread_ts:
                if parent is not None:
                    parent.replies += 1
                about = f" on “{parent.title}”" if parent is not None and parent.title else ""
                self._emit(
                    [f"  ↳ thread reply{about}", *blocks_as_text.indent(lines, THREAD_PREFIX)]
                )
            else:
                self._emit(["", f"bot › {channel}", *blocks_as_text.indent(lines, "  ")])
            return ts

    def update(
        self,
        *,
        slack_team_id: str,
        channel: str,
        ts: str,
        text: str,
        blocks: Sequence[Block] = (),
    ) -> None:
        with self._lock:
            message = self.messages.get(ts)
            previous = message.blocks if message is not None else []
            lines = blocks_as_text.render_blocks(blocks, fallback=text, namer=self._namer)
            if message is not None and lines == blocks_as_text.render_blocks(
                previous, fallback=message.text, namer=self._namer
            ):
                return  # nothing a reader could see has changed
            if message is None:
                message = PostedMessage(ts=ts, channel=channel, text=text, blocks=[])
                self.messages[ts] = message
            message.text, message.blocks = text, list(blocks)
            message.updates += 1
            message.title = _title(lines, text) or message.title
            progress = blocks_as_text.progress_of(blocks, self._namer)
            earlier = blocks_as_text.progress_of(previous, self._namer) if previous else None
            step = blocks_as_text.progress_step(progress) if progress is not None else None
            buttons = " ".join(f"[{label}]" for label in blocks_as_text.button_labels(blocks))
            if progress is not None and earlier is not None:
                # a card already tracking progress: the new progress line says it all, and
                # only when a reader would notice (status, a bar cell, a failure, buttons);
                # the thread replies still show every change of status
                if (step, buttons) == message.shown_step:
                    return
                label = blocks_as_text.backfill_label(blocks, self._namer)
                line = f"  ✎ card updated{f' ({label})' if label else ''}: {progress}"
                # buttons only when they change (the card showed them): lines stay short
                shown_buttons = message.shown_step[1] if message.shown_step else ""
                new_buttons = buttons if buttons != shown_buttons else ""
                self._emit([line + (f"  {new_buttons}" if new_buttons else "")])
            else:
                self._emit(["  ✎ card updated:", *blocks_as_text.indent(lines, "  │ ")])
            message.shown_step = (step, buttons)

    def ephemeral(
        self,
        *,
        slack_team_id: str,
        channel: str,
        user: str,
        text: str,
        blocks: Sequence[Block] = (),
    ) -> None:
        with self._lock:
            lines = blocks_as_text.render_blocks(blocks, fallback=text, namer=self._namer)
            self._emit(["", "bot (only you can see this)", *blocks_as_text.indent(lines, "  ")])

    # --- helpers for the console itself ----------------------------------------------

    def say(self, text: str) -> None:
        """Print console chrome (prompts, notices) without tearing a message in half."""
        with self._lock:
            self._emit(text.splitlines() or [""])

    def error(self, message: str) -> None:
        """Print a ``BotError.user_message`` (Slack mrkdwn, escaped) as terminal text."""
        with self._lock:
            lines = blocks_as_text.message_lines(message, self._namer)
            self._emit(["", *blocks_as_text.indent(lines or [""], "! ", first_only=True)])

    def show_reply(
        self, *, text: str, blocks: Sequence[Block] = (), ephemeral: bool = True
    ) -> None:
        """Print what the service answered the user directly."""
        with self._lock:
            lines = blocks_as_text.render_blocks(blocks, fallback=text, namer=self._namer)
            if lines:
                header = "bot (only you can see this)" if ephemeral else "bot"
                self._emit(["", header, *blocks_as_text.indent(lines, "  ")])

    def _emit(self, lines: Sequence[str]) -> None:
        if self._width is not None:
            lines = blocks_as_text.wrap(lines, max(self._width() - 1, 20))
        if self._before_output is not None:
            self._before_output()
        self._out.write("\n".join(lines) + "\n")
        self._out.flush()
        if self._on_output is not None:
            self._on_output()


def _title(lines: Sequence[str], text: str) -> str:
    first = next((line.strip() for line in lines if line.strip()), text.strip())
    return first[:60] + ("…" if len(first) > 60 else "")
