"""``python -m bot parse``: commands → JSON, exactly as the bot would read them.

    python -m bot parse "backfill transfer 456789 for last January" --today 2026-11-28
    printf '{"text": "backfill 456789 last month", "today": "2026-11-28"}\\n' \\
        | python -m bot parse --jsonl

One JSON object per command: ``{"transfer_id"|"transfer_name", "range_start",
"range_end", "days", "clamped", "timezone", "notes"}`` or ``{"error": "<what to tell the
user>"}`` (with ``"suggestion"``, the corrected command, after a near-miss such as "lst").
``timezone`` is ``--tz`` (the zone that decided today); the notes name it whenever the
range depends on today, and say when the range includes today, which is not over yet.
The date order and the maximum default to the bot's settings (``DATE_ORDER``,
``MAX_BACKFILL_DAYS``); passing ``--date-order`` counts as an explicit order.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import SystemClock, local_today
from bot.config import load_settings
from bot.errors import CommandError, ConfigError

_MAX_ERROR_TEXT = 200


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-28") from None


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a timezone like Europe/Helsinki"
        ) from None
    return value


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot parse",
        description="Parse backfill commands into a transfer and an inclusive date range (JSON).",
    )
    parser.add_argument("text", nargs="*", help="the command, e.g. 'transfer 456789 for Q3'")
    parser.add_argument("--today", type=_iso_date, help="pretend today is this date (YYYY-MM-DD)")
    parser.add_argument(
        "--tz", type=_zone, default="UTC", help="timezone that decides today (default UTC)"
    )
    parser.add_argument(
        "--date-order",
        type=str.upper,
        choices=["MDY", "DMY"],
        help="how to read 01/05/2024 (default: DATE_ORDER, else MDY)",
    )
    parser.add_argument(
        "--max-days", type=_positive, help="longest range (default: MAX_BACKFILL_DAYS, else 366)"
    )
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"text": ..., "today"?: ...} objects, one per line, from stdin',
    )
    return parser


def _parse_one(
    text: str, *, today: date, date_order: str, max_days: int, explicit: bool, timezone: str
) -> tuple[dict[str, Any], bool]:
    from bot.parsing import parse_command

    try:
        command = parse_command(
            text,
            today=today,
            date_order=date_order,
            max_days=max_days,
            date_order_explicit=explicit,
            timezone=timezone,
        )
    except CommandError as exc:
        error: dict[str, Any] = {"error": exc.user_message}
        if exc.suggestion is not None:
            error["suggestion"] = exc.suggestion
        return error, False
    return command.to_json(), True


def _emit(obj: dict[str, Any], out: IO[str]) -> None:
    # keep "→" readable where the stream can carry it, escaped where it cannot
    encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "")
    out.write(json.dumps(obj, ensure_ascii=encoding != "utf8") + "\n")
    out.flush()


def _jsonl_line(line: str, default_today: date, options: dict[str, Any]) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except ValueError:
        return {"error": "This line is not JSON. Send one object per line, e.g. " + _EXAMPLE}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return {"error": 'This line has no "text" string. Send e.g. ' + _EXAMPLE}
    today = default_today
    raw = item.get("today")
    if raw is not None:
        parsed = _date_or_none(raw)
        if parsed is None:
            shown = json.dumps(raw, ensure_ascii=False)[:_MAX_ERROR_TEXT]
            return {"error": f'"today" must be a date like "2026-11-28", not {shown}.'}
        today = parsed
    return _parse_one(item["text"], today=today, **options)[0]


_EXAMPLE = '{"text": "backfill transfer 456789 for last month", "today": "2026-11-28"}'


def _date_or_none(raw: object) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        settings = load_settings()
        default_order, default_max = settings.date_order, settings.max_backfill_days
        settings_explicit = settings.date_order_explicit
    except ConfigError as exc:
        print(f"warning: ignoring settings: {exc.user_message}", file=sys.stderr)
        default_order, default_max, settings_explicit = "MDY", 366, False
    options: dict[str, Any] = {
        "date_order": args.date_order or default_order,
        "max_days": args.max_days or default_max,
        "explicit": args.date_order is not None or settings_explicit,
        "timezone": args.tz,
    }
    today = args.today or local_today(SystemClock(), args.tz)
    out = sys.stdout
    if args.jsonl:
        if args.text:
            print("error: give either a command or --jsonl, not both", file=sys.stderr)
            return 2
        from bot.parsing import warm_up

        warm_up()  # a stream is a long-running process: pay dateparser's cost once, up front
        for line in sys.stdin:
            try:
                result = _jsonl_line(line, today, options)
            except Exception:  # a bug must not end the stream: report it, go on
                traceback.print_exc(file=sys.stderr)
                result = {"error": "The parser failed on this line; it was skipped."}
            _emit(result, out)
        return 0
    if not args.text:
        print("error: give a command to parse, or --jsonl", file=sys.stderr)
        return 2
    result, ok = _parse_one(" ".join(args.text), today=today, **options)
    _emit(result, out)
    return 0 if ok else 1
