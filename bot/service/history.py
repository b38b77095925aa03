"""``/backfill history [transfer ID | @user] [since DATE]``: the audit trail, readable.

Read from ``request_events`` (every change is stored there as it happens), filtered to the
requests the person may see (``Visibility``), newest events last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from bot.errors import CommandError
from bot.messages.audit_lines import describe_event, history_blocks, history_line
from bot.messages.blocks import transfer_label
from bot.service.deps import Deps
from bot.service.types import Actor, Reply
from bot.service.visibility import Visibility
from bot.store.queries import team_events

SHOWN = 40
SCANNED = 5000
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_TRANSFER = re.compile(r"^#?(\d{1,18})$")
USAGE = (
    "Usage: `/backfill history [transfer 456789 | @person] [since 2026-01-01]`, e.g. "
    "`/backfill history transfer 456789 since 2026-01-01`."
)


@dataclass(frozen=True)
class HistoryQuery:
    transfer_id: int | None = None
    user_id: str | None = None
    since: date | None = None

    @classmethod
    def parse(cls, text: str) -> HistoryQuery:
        words = text.split()
        transfer_id: int | None = None
        user_id: str | None = None
        since: date | None = None
        i = 0
        while i < len(words):
            word = words[i]
            low = word.lower()
            if low == "since" and i + 1 < len(words):
                try:
                    since = date.fromisoformat(words[i + 1])
                except ValueError:
                    raise CommandError(
                        f"I read dates after `since` as YYYY-MM-DD, not {words[i + 1]!r}. {USAGE}"
                    ) from None
                i += 2
                continue
            if low == "transfer" and i + 1 < len(words):
                word = words[i + 1]
                i += 1
            if match := _TRANSFER.match(word):
                transfer_id = int(match.group(1))
            elif match := _USER.match(word):
                user_id = match.group(1)
            else:
                raise CommandError(f"I don't know what {word!r} means here. {USAGE}")
            i += 1
        return cls(transfer_id=transfer_id, user_id=user_id, since=since)

    def title(self) -> str:
        parts = ["History"]
        if self.transfer_id is not None:
            parts.append(f"of {transfer_label(self.transfer_id, None)}")
        if self.user_id:
            parts.append(f"involving <@{self.user_id}>")
        if self.since:
            parts.append(f"since {self.since.isoformat()}")
        return " ".join(parts) + " (times in UTC)"


def history(deps: Deps, actor: Actor, text: str) -> Reply:
    query = HistoryQuery.parse(text)
    seen = Visibility(actor=actor, rules=deps.rules(actor), directory=deps.directory)
    since = datetime.combine(query.since, time.min, tzinfo=UTC) if query.since else None
    with deps.session() as session:
        rows = [
            (
                event.created_at,
                event.kind,
                event.from_state,
                event.to_state,
                event.actor,
                dict(event.payload or {}),
                request.id,
                request.user_id,
                request.channel_id,
                request.transfer_id,
                request.transfer_name,
                request.range_start,
                request.range_end,
            )
            for event, request in team_events(
                session,
                slack_team_id=actor.slack_team_id,
                since=since,
                transfer_id=query.transfer_id,
                limit=SCANNED,
            )
        ]
    lines: list[str] = []
    for (
        at,
        kind,
        from_state,
        to_state,
        who,
        payload,
        request_id,
        requester,
        channel,
        transfer_id,
        transfer_name,
        start,
        end,
    ) in rows:
        if query.user_id and query.user_id not in {who, requester}:
            continue
        if not seen.can_see(channel_id=channel, requester=requester):
            continue
        what = describe_event(
            kind=kind,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value if to_state else None,
            actor=who,
            payload=payload,
        )
        if what is None:
            continue
        lines.append(
            history_line(
                at=at,
                request_id=request_id,
                transfer_id=transfer_id,
                transfer_name=transfer_name,
                range_start=start,
                range_end=end,
                what=what,
            )
        )
    shown = lines[-SHOWN:]
    text_out = f"{len(lines)} events." if lines else "No events match."
    return Reply(
        text=text_out,
        blocks=history_blocks(query.title(), shown, more=len(lines) - len(shown)),
    )
