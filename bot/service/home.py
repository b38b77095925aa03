"""The App Home's data, and the New backfill form's use-cases: the transfer picker's
options, the live preview of a typed range, and the submission (the command's own path)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.errors import CommandError, DtsError, MissingTokenError, TokenDecryptError
from bot.messages.home import RECENT_LIMIT, HomeData, HomeRow, home_view
from bot.parsing import check_range, parse_command
from bot.service.deps import Deps, log
from bot.service.intake import Intake
from bot.service.request_cards import outside_lines
from bot.service.types import Actor, Reply
from bot.service.visibility import Visibility
from bot.store.models import TRACKED_STATES, BackfillRequest, Workspace
from bot.store.queries import list_requests

MAX_OPTIONS = 100  # Slack shows at most 100 options in a select
# The range grammar reads a range beside a transfer: the preview pairs the typed range
# with the picked transfer, or with this id before one is picked (it is never sent).
PREVIEW_TRANSFER = 1


@dataclass(frozen=True)
class RangePreview:
    """What a typed range means, or why it can't be read."""

    start: date | None = None
    end: date | None = None
    days: int = 0
    notes: tuple[str, ...] = ()
    error: str | None = None


def _row(req: BackfillRequest) -> HomeRow:
    return HomeRow(
        request_id=req.id,
        transfer_id=req.transfer_id,
        transfer_name=req.transfer_name,
        range_start=req.range_start,
        range_end=req.range_end,
        state=req.state.value,
        dts_status=req.dts_status,
        backfill_id=req.backfill_id,
        runs_total=req.runs_total or 0,
        runs_completed=req.runs_completed or 0,
        runs_failed=req.runs_failed or 0,
        requester=req.user_id,
        channel=req.message_channel or req.channel_id,
        ts=req.thread_ts or req.message_ts,
        tracking_paused=bool(req.tracking_paused),
    )


class Home:
    def __init__(self, deps: Deps, intake: Intake) -> None:
        self.d = deps
        self.intake = intake

    def view(self, actor: Actor) -> dict[str, Any]:
        """The actor's App Home."""
        rules = self.d.rules(actor)
        team = actor.slack_team_id
        with self.d.session() as session:
            workspace = session.get(Workspace, team)
            tracked = list_requests(session, slack_team_id=team, states=TRACKED_STATES, limit=100)
            mine = list_requests(
                session, slack_team_id=team, user_id=actor.user_id, limit=RECENT_LIMIT
            )
            running = [_row(r) for r in tracked if r.user_id == actor.user_id]
            others_rows = [r for r in tracked if r.user_id != actor.user_id]
            recent = [_row(r) for r in mine]
            outside = outside_lines(session, slack_team_id=team, now=self.d.now())
        # the same privacy as list and status: others' requests from channels one is in
        seen = Visibility(actor=actor, rules=rules, directory=self.d.directory)
        others = [
            _row(r)
            for r in others_rows
            if seen.can_see(channel_id=r.channel_id, requester=r.user_id)
        ]
        data = HomeData(
            viewer=actor.user_id,
            is_admin=rules.is_admin(actor),
            token_set=rules.has_token,
            supermetrics_team_id=workspace.supermetrics_team_id if workspace else None,
            running=running,
            recent=recent,
            others=others,
            outside=outside,
        )
        return home_view(data)

    # --- the New backfill form ----------------------------------------------------------

    def has_token(self, actor: Actor) -> bool:
        return self.d.rules(actor).has_token

    def transfer_options(self, actor: Actor, typed: str) -> list[tuple[int, str]]:
        """The workspace's transfers whose name or id contains ``typed`` (id, name)."""
        try:
            team = self.d.team_client(actor.slack_team_id)
        except (MissingTokenError, TokenDecryptError) as exc:
            log.info("no transfer list for the form: %s", type(exc).__name__)
            return []
        try:
            transfers = self.d.transfers.transfers(team)
        except DtsError as exc:
            log.info("transfer list unavailable for the form: %s", exc.user_message)
            return []
        needle = " ".join(typed.lower().split())
        found = [
            (t.transfer_id, t.display_name)
            for t in transfers
            if not needle or needle in t.display_name.lower() or needle in str(t.transfer_id)
        ]
        return sorted(found, key=lambda item: item[1].lower())[:MAX_OPTIONS]

    def preview(self, actor: Actor, typed: str, transfer_id: int | None) -> RangePreview:
        """What the range typed in the form reads as, with the command's own parser."""
        if not typed.strip():
            return RangePreview()
        rules = self.d.rules(actor)
        try:
            command = parse_command(
                f"transfer {transfer_id or PREVIEW_TRANSFER} {typed}",
                today=self.d.today(actor.tz),
                date_order=rules.date_order or self.d.settings.date_order,
                max_days=self.d.max_days(rules),
                date_order_explicit=bool(rules.date_order) or self.d.settings.date_order_explicit,
            )
        except CommandError as exc:
            return RangePreview(error=exc.user_message)
        return RangePreview(
            start=command.range_start,
            end=command.range_end,
            days=command.days,
            notes=tuple(command.notes),
        )

    def check_days(self, actor: Actor, start: date, end: date) -> str | None:
        """Why two picked days can't be backfilled (None: they can)."""
        rules = self.d.rules(actor)
        try:
            check_range(start, end, today=self.d.today(actor.tz), max_days=self.d.max_days(rules))
        except CommandError as exc:
            return exc.user_message
        return None

    def submit(
        self,
        actor: Actor,
        *,
        transfer_id: int,
        range_text: str | None = None,
        days: Sequence[date] = (),
    ) -> Reply:
        """A request from the form: the command's path (``actor.channel_id`` gets the card)."""
        if range_text and range_text.strip():
            spoken = " ".join(range_text.split())
        elif len(days) == 2:
            spoken = f"{days[0].isoformat()}..{days[1].isoformat()}"
        else:
            raise CommandError("Type a range (e.g. last January) or pick the first and last day.")
        return self.intake.request(actor, f"transfer {transfer_id} {spoken}")
