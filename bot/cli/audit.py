"""``python -m bot audit --slack-team T [--since DATE] [--format jsonl|csv]``: every
request event of a workspace (who asked, confirmed, approved, rejected, cancelled, and what
Supermetrics said), oldest first, on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any, TextIO

from bot.cli.store_admin import _current_database, _slack_id
from bot.config import load_settings
from bot.errors import BotError
from bot.messages.audit_lines import describe_event
from bot.store.db import session_scope
from bot.store.queries import team_events

FIELDS = (
    "at",
    "request_id",
    "event_id",
    "actor",
    "what",
    "kind",
    "from_state",
    "to_state",
    "requested_by",
    "channel_id",
    "transfer_id",
    "transfer_name",
    "range_start",
    "range_end",
    "backfill_id",
    "payload",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot audit", description="Export a workspace's audit trail."
    )
    parser.add_argument("--slack-team", required=True, type=_slack_id("team"))
    parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD (UTC)")
    parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    return parser


def audit_rows(factory: Any, *, slack_team_id: str, since: date | None) -> Iterator[dict[str, Any]]:
    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    with session_scope(factory) as session:
        pairs = team_events(session, slack_team_id=slack_team_id, since=start)
        for event, request in pairs:
            payload = dict(event.payload or {})
            from_state = event.from_state.value if event.from_state else None
            to_state = event.to_state.value if event.to_state else None
            what = describe_event(
                kind=event.kind,
                from_state=from_state,
                to_state=to_state,
                actor=event.actor,
                payload=payload,
                mrkdwn=False,
            )
            yield {
                "at": event.created_at.isoformat(),
                "request_id": request.id,
                "event_id": event.id,
                "actor": event.actor,
                "what": what or event.kind,
                "kind": event.kind,
                "from_state": from_state,
                "to_state": to_state,
                "requested_by": request.user_id,
                "channel_id": request.channel_id,
                "transfer_id": request.transfer_id,
                "transfer_name": request.transfer_name,
                "range_start": request.range_start.isoformat(),
                "range_end": request.range_end.isoformat(),
                "backfill_id": payload.get("backfill_id", request.backfill_id),
                "payload": payload,
            }


def write(rows: Iterator[dict[str, Any]], out: TextIO, fmt: str) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "payload": json.dumps(row["payload"], sort_keys=True)})
            count += 1
    else:
        for row in rows:
            out.write(json.dumps(row, sort_keys=False, default=str) + "\n")
            count += 1
    return count


def main(argv: list[str], *, out: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        with _current_database(settings) as factory:
            count = write(
                audit_rows(factory, slack_team_id=args.slack_team, since=args.since),
                out or sys.stdout,
                args.format,
            )
        print(f"{count} events.", file=sys.stderr)
        return 0
    except BotError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 1
