"""Which bot modules a Confirm click crosses on its way to the DTS create call.

Run from the repository root: ``.venv/bin/python benchmarks/data_path_trace.py``. It drives
the Slack test harness (a signed slash command, then a signed Confirm click) with a profiler on
every thread, and prints the bot modules on the stack at the create request and every bot
module that ran on that thread from the click to the create call (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import collections
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.messages import ids  # noqa: E402
from tests.slack.harness import SlackHarness  # noqa: E402

ran: dict[int, set[str]] = collections.defaultdict(set)
recording = threading.Event()
at_create: list[tuple[list[str], list[str]]] = []
_request = httpx.Client.request


def _bot_module(frame: FrameType) -> str:
    name = frame.f_globals.get("__name__") or ""
    return name if name.startswith("bot") else ""


def _profile(frame: FrameType, event: str, _arg: Any) -> None:
    if recording.is_set() and event == "call" and (module := _bot_module(frame)):
        ran[threading.get_ident()].add(module)


def _spy(self: httpx.Client, method: str, url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
    if method == "POST" and str(url).endswith("/backfills"):
        stack: list[str] = []
        frame: FrameType | None = sys._getframe()
        while frame is not None:
            module = _bot_module(frame)
            if module and module not in stack:
                stack.append(module)
            frame = frame.f_back
        at_create.append((stack, sorted(ran[threading.get_ident()])))
    return _request(self, method, url, *args, **kwargs)


def main() -> int:
    httpx.Client.request = _spy  # type: ignore[method-assign]
    threading.setprofile(_profile)
    sys.setprofile(_profile)
    bot = SlackHarness(Path(tempfile.mkdtemp()))
    try:
        bot.command("transfer 456789 for last month")
        row, _ = bot.posted_card()
        recording.set()
        bot.click(ids.ACTION_CONFIRM, str(row.id), message_ts=row.message_ts or "")
        bot.wait_request(row.id, "SUBMITTED")
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        bot.close()
    stack, modules = at_create[0]
    print(f"{len(stack)} bot modules on the stack at the create call (innermost first):")
    print("  " + ", ".join(stack))
    print(f"{len(modules)} bot modules ran on that thread from the click to the create call:")
    for module in modules:
        print(f"  {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
