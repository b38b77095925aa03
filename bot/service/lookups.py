"""Read-only answers: help, status (which also resumes paused tracking) and list."""

from __future__ import annotations

from datetime import timedelta

from bot.errors import AccessDeniedError, NotFoundError
from bot.messages import cards
from bot.messages.blocks import (
    context,
    escape_mrkdwn,
    format_range,
    progress_line,
    section,
    transfer_label,
)
from bot.service.deps import Deps, RequestSnapshot, snapshot
from bot.service.request_cards import outside_lines
from bot.service.types import Actor, Reply
from bot.service.visibility import NOT_VISIBLE, Visibility
from bot.store.models import FINAL_STATES, TRACKED_STATES
from bot.store.queries import add_event, find_request_by_backfill, list_requests, update_request

# Each example is parsed in the tests, so help never shows a command that fails.
EXAMPLES: tuple[str, ...] = (
    "transfer 456789 for last month",
    "transfer 456789 yesterday",
    "#456789 from March 3 to March 10",
    "transfer 456789 last 7 days",
    "transfer 456789 Q3 2024",
    "Facebook Ads for last week",
)

HELP_TEXT = (
    "*Backfill a Supermetrics transfer*: name the transfer (its id or its name) and the days.\n"
    + "\n".join(f"• `/backfill {example}`" for example in EXAMPLES)
    + "\nI show the exact range first, with *Confirm*, *Edit dates* and *Cancel* buttons; "
    "nothing is submitted until you confirm.\n\n"
    "*Other commands*\n"
    "• `/backfill status 12`: where request 12 (or backfill 12) is; also resumes paused tracking\n"
    "• `/backfill list`: active and recent requests (from channels you are in)\n"
    "• `/backfill history [transfer 456789 | @person] [since 2026-01-01]`: who asked, "
    "confirmed, approved, rejected, cancelled, and what Supermetrics said\n"
    "• `/backfill approve 12` · `/backfill reject 12 why`: for approvers, when a request "
    "needs a second person's approval\n"
    "• `/backfill policy`: who may request and who approves what (admins change it)\n"
    "• `/backfill cancel 12`: cancel request 12 (or its running backfill)\n"
    "• `/backfill setup`: set the Supermetrics team id and API token (admins)\n"
    "You can also mention me (`@Backfill Bot transfer 456789 yesterday`) or send me a "
    "direct message with the same words."
)


class Lookups:
    def __init__(self, deps: Deps) -> None:
        self.d = deps

    def help(self) -> Reply:
        return Reply(text=HELP_TEXT, blocks=[section(HELP_TEXT)])

    def find(self, actor: Actor, ident: int) -> RequestSnapshot:
        """A request by its id, else by the backfill id it submitted (this workspace only)."""
        with self.d.session() as session:
            try:
                return snapshot(self.d.load(session, actor, ident))
            except NotFoundError:
                row = find_request_by_backfill(
                    session, slack_team_id=actor.slack_team_id, backfill_id=ident
                )
                if row is None:
                    raise NotFoundError(
                        f"There is no request or backfill #{ident} in this workspace. "
                        "`/backfill list` shows the recent ones."
                    ) from None
                return snapshot(row)

    def visibility(self, actor: Actor) -> Visibility:
        return Visibility(actor=actor, rules=self.d.rules(actor), directory=self.d.directory)

    def status(self, actor: Actor, ident: int) -> Reply:
        req = self.find(actor, ident)
        seen = self.visibility(actor)
        if not seen.can_see(channel_id=req.channel_id, requester=req.user_id):
            raise AccessDeniedError(
                NOT_VISIBLE.format(id=req.id, admins=self.d.rules(actor).admins_text())
            )
        paused_note = None
        if req.tracking_paused and req.state in TRACKED_STATES:
            now = self.d.now()
            with self.d.session() as session:
                update_request(
                    session,
                    request_id=req.id,
                    now=now,
                    values={"tracking_paused": False, "poll_failures": 0, "next_poll_at": now},
                )
                add_event(
                    session,
                    request_id=req.id,
                    kind="tracking_resumed",
                    actor=actor.user_id,
                    now=now,
                    payload={"reason": f"Resumed by <@{actor.user_id}> with status."},
                    needs_announcement=True,
                )
            paused_note = "Tracking was paused after repeated errors; I've resumed it."
        failed = [str(item.get("date", ""))[:10] for item in req.error_report if item.get("date")]
        blocks = cards.status_blocks(
            req.summary,
            state=req.dts_status
            if req.state in TRACKED_STATES and req.dts_status
            else req.state.value,
            backfill_id=req.backfill_id,
            runs_total=req.runs_total,
            runs_completed=req.runs_completed,
            runs_failed=req.runs_failed,
            reason=req.state_reason,
            failed_dates=failed,
            paused_note=paused_note,
        )
        text = (
            f"Request #{req.id}: {transfer_label(req.transfer_id, req.transfer_name)} "
            f"{format_range(req.range_start, req.range_end)} is {req.state.value}."
        )
        return Reply(text=text, blocks=blocks, request_id=req.id)

    def list(self, actor: Actor) -> Reply:
        with self.d.session() as session:
            rows = [
                snapshot(row)
                for row in list_requests(session, slack_team_id=actor.slack_team_id, limit=200)
            ]
            # no channel or requester here: the team's own list (and the overlap warning)
            # shows them to anyone in the workspace
            now = self.d.now()
            outside = outside_lines(session, slack_team_id=actor.slack_team_id, now=now)
        seen = self.visibility(actor)
        rows = [r for r in rows if seen.can_see(channel_id=r.channel_id, requester=r.user_id)][:30]
        active = [r for r in rows if r.state not in FINAL_STATES]
        recent_cutoff = now - timedelta(days=30)
        recent = [r for r in rows if r.state in FINAL_STATES and r.updated_at >= recent_cutoff]
        blocks = [
            *cards.rows_section("Active requests", [self._line(r) for r in active]),
            *(cards.rows_section("Started outside Slack", outside[:15]) if outside else []),
            *cards.rows_section("Recently finished", [self._line(r) for r in recent[:15]]),
            context(escape_mrkdwn("`/backfill status <id>` shows one in detail.")),
        ]
        text = f"{len(active)} active and {len(recent)} recent backfill requests."
        if outside:
            text += f" {len(outside)} backfill(s) started outside Slack."
        return Reply(text=text, blocks=blocks)

    @staticmethod
    def _line(req: RequestSnapshot) -> str:
        label = transfer_label(req.transfer_id, req.transfer_name)
        line = f"• *#{req.id}* {label} · {format_range(req.range_start, req.range_end)} · "
        if req.backfill_id is not None and req.state in TRACKED_STATES:
            line += progress_line(
                status=req.dts_status or req.state.value,
                runs_total=req.runs_total,
                runs_completed=req.runs_completed,
                runs_failed=req.runs_failed,
            )
        else:
            line += req.state.value
        if req.backfill_id is not None:
            line += f" · backfill #{req.backfill_id}"
        if req.tracking_paused:
            line += " · tracking paused"
        return line + f" · <@{req.user_id}>"
