"""New requests: parse the text, resolve the transfer, warn on overlaps, post the card.

Also the two ways a request is born from another: choosing among transfers that share a
name, and retrying the failed days of a finished backfill.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.clock import day_spans, zone
from bot.errors import (
    DtsError,
    MissingTokenError,
    RangeTooLongError,
    SlackApiError,
    StateConflictError,
    TokenDecryptError,
)
from bot.messages import cards
from bot.messages.blocks import error_text, escape_mrkdwn, format_range, plural
from bot.messages.notifier import Block
from bot.parsing import check_range, parse_command
from bot.parsing.plans import PlanCommand, Target, parse_plan, split_targets
from bot.service.card_posting import post_card
from bot.service.deps import Deps, RequestSnapshot, log, snapshot
from bot.service.failed_backfills import record_retry_link
from bot.service.request_cards import outside_backfill, overlap_warnings, pending_card
from bot.service.transfer_cache import match_transfers, no_match_error
from bot.service.types import Actor, Reply
from bot.store.external_backfills import external_backfills
from bot.store.models import RequestState
from bot.store.queries import create_request, transition, update_request
from bot.supermetrics.client import DtsTeamClient
from bot.supermetrics.models import LIST_CAP, Transfer

INVITE_HINT = (
    "I can't post in this channel because I'm not a member. Invite me with "
    "`/invite @Backfill Bot` and send the request again, or send it to me in a direct message."
)
MAX_RETRY_SPANS = 10
_CANT_POST = {"not_in_channel", "channel_not_found", "is_archived"}
PlanHook = Callable[[Actor, str, PlanCommand], Reply]


@dataclass(frozen=True)
class Draft:
    """A request about to be recorded: what the user asked for, resolved."""

    text: str
    transfer_id: int | None
    transfer_name: str | None
    range_start: date
    range_end: date
    days: int
    notes: tuple[str, ...]
    retry_of: RequestSnapshot | None = None  # the request whose failed days this retries


class Intake:
    def __init__(self, deps: Deps, plans: PlanHook | None = None) -> None:
        self.d = deps
        # a range longer than one backfill may be becomes a plan of chunks (service/plans)
        self.plans = plans

    # --- a new request from text ------------------------------------------------------

    def request(self, actor: Actor, text: str) -> Reply:
        rules = self.d.rules(actor)
        rules.check_allowed(actor)
        today = self.d.today(actor.tz)
        order = rules.date_order or self.d.settings.date_order
        explicit = bool(rules.date_order) or self.d.settings.date_order_explicit
        try:
            if self.plans is not None and split_targets(text) is not None:
                raise RangeTooLongError()  # several transfers: a plan
            command = parse_command(
                text,
                today=today,
                date_order=order,
                max_days=self.d.max_days(rules),
                date_order_explicit=explicit,
                timezone=zone(actor.tz, self.d.settings.default_timezone).key,
            )
        except RangeTooLongError:
            if self.plans is None:
                raise
            plan = parse_plan(
                text,
                today=today,
                date_order=order,
                max_days=self.d.max_days(rules),
                max_plan_days=self.d.settings.max_plan_days,
                date_order_explicit=explicit,
                timezone=zone(actor.tz, self.d.settings.default_timezone).key,
            )
            return self.plans(actor, text, plan)
        draft = Draft(
            text=text,
            transfer_id=command.transfer_id,
            transfer_name=command.transfer_name,
            range_start=command.range_start,
            range_end=command.range_end,
            days=command.days,
            notes=tuple(command.notes),
        )
        if command.transfer_id is None:
            return self._by_name(actor, draft)
        team = self._team_or_none(actor)
        transfers = self._transfers(team, has=_with_id(command.transfer_id))
        warnings: list[str] = []
        name = None
        if transfers is not None:
            found = [t for t in transfers if t.transfer_id == command.transfer_id]
            if found:
                name = found[0].display_name
            else:
                warnings.append(
                    f"Transfer #{command.transfer_id} is not in the transfer list of this "
                    "workspace's Supermetrics team; check the id before confirming."
                )
        queued = self._plan_if_blocked(actor, draft, team, command.transfer_id)
        if queued is not None:
            return queued
        warnings += self.warnings_for(
            team, command.transfer_id, draft.range_start, draft.range_end, actor=actor
        )
        if team is None:
            warnings.append(
                "This workspace has no Supermetrics token yet, so confirming will fail: an "
                "admin can add one with `/backfill setup`."
            )
        draft = replace(draft, transfer_name=name)
        return self.post_new(actor, draft, warnings=warnings)

    def _by_name(self, actor: Actor, draft: Draft) -> Reply:
        name = draft.transfer_name or ""
        try:
            team = self.d.team_client(actor.slack_team_id)
        except MissingTokenError as exc:
            raise MissingTokenError(
                f'To find the transfer named "{escape_mrkdwn(name)}" I need this workspace\'s '
                "Supermetrics token, and none is set up yet. An admin can add it with "
                "`/backfill setup`; meanwhile you can give the transfer id instead."
            ) from exc
        transfers = self.d.transfers.transfers(
            team, has=lambda listed: bool(match_transfers(name, listed))
        )
        matches = match_transfers(name, transfers)
        if not matches:
            raise no_match_error(name, transfers)
        if len(matches) == 1:
            chosen = matches[0]
            queued = self._plan_if_blocked(actor, draft, team, chosen.transfer_id)
            if queued is not None:
                return queued
            warnings = self.warnings_for(
                team, chosen.transfer_id, draft.range_start, draft.range_end, actor=actor
            )
            resolved = replace(
                draft, transfer_id=chosen.transfer_id, transfer_name=chosen.display_name
            )
            return self.post_new(actor, resolved, warnings=warnings)
        return self._post_chooser(actor, draft, matches)

    def _post_chooser(self, actor: Actor, draft: Draft, matches: Sequence[Transfer]) -> Reply:
        req = self._record(actor, draft)
        blocks = cards.chooser_card(req.summary, [(t.transfer_id, t.display_name) for t in matches])
        name = escape_mrkdwn(draft.transfer_name or "")
        text = f'Several transfers match "{name}": which one did you mean?'
        return self._post_card(actor, req, text=text, blocks=blocks)

    # --- shared steps -------------------------------------------------------------------

    def post_new(self, actor: Actor, draft: Draft, *, warnings: Sequence[str] = ()) -> Reply:
        """Record the request PENDING and post its confirmation card."""
        req = self._record(actor, draft)
        card = pending_card(req, warnings=warnings)
        return self._post_card(actor, req, text=card.text, blocks=card.blocks)

    def _record(self, actor: Actor, draft: Draft) -> RequestSnapshot:
        now = self.d.now()
        with self.d.session() as session:
            row = create_request(
                session,
                slack_team_id=actor.slack_team_id,
                channel_id=actor.channel_id,
                user_id=actor.user_id,
                user_tz=actor.tz,
                text=draft.text,
                transfer_id=draft.transfer_id,
                transfer_name=draft.transfer_name,
                range_start=draft.range_start,
                range_end=draft.range_end,
                days=draft.days,
                notes=draft.notes,
                now=now,
                expires_at=now + timedelta(seconds=self.d.settings.confirmation_ttl_seconds),
            )
            if draft.retry_of is not None:
                record_retry_link(
                    session,
                    request_id=row.id,
                    parent=draft.retry_of,
                    actor=actor.user_id,
                    now=now,
                )
            return snapshot(row)

    def post_card(
        self, actor: Actor, req: RequestSnapshot, *, text: str, blocks: Sequence[Block]
    ) -> Reply:
        """Post a card for a recorded request (a plan's too); see ``_post_card``."""
        return self._post_card(actor, req, text=text, blocks=blocks)

    def _post_card(
        self, actor: Actor, req: RequestSnapshot, *, text: str, blocks: Sequence[Block]
    ) -> Reply:
        """Post the card where the request was made; remember its ts for later updates."""
        try:
            ts = post_card(
                self.d.notifier,
                slack_team_id=actor.slack_team_id,
                channel=actor.channel_id,
                thread_ts=actor.thread_ts,
                request_id=req.id,
                text=text,
                blocks=blocks,
                sleep=self.d.sleep,
            )
        except SlackApiError as exc:
            # no card means nobody can confirm it: close the row instead of leaving it open
            with self.d.session() as session:
                transition(
                    session,
                    request_id=req.id,
                    expected=RequestState.PENDING,
                    to=RequestState.DISMISSED,
                    actor="bot",
                    now=self.d.now(),
                    reason=f"The confirmation card could not be posted ({exc.error}).",
                )
            if exc.error in _CANT_POST:
                return Reply(text=INVITE_HINT, request_id=req.id)
            raise
        with self.d.session() as session:
            update_request(
                session,
                request_id=req.id,
                now=self.d.now(),
                # asked in a thread: the card is a reply there, and so are its updates
                values={
                    "message_channel": actor.channel_id,
                    "message_ts": ts,
                    "thread_ts": actor.thread_ts,
                },
            )
        return Reply(text="", request_id=req.id)

    def _plan_if_blocked(
        self, actor: Actor, draft: Draft, team: DtsTeamClient | None, transfer_id: int
    ) -> Reply | None:
        """An unfinished backfill of the transfer overlaps the range: the request becomes
        a one-step plan, whose card offers Queue after #N / Cancel #N and submit."""
        if self.plans is None or team is None:
            return None
        try:
            incomplete = team.list_incomplete_backfills()
        except DtsError:
            return None  # the card's own check says it could not look
        start, end = draft.range_start, draft.range_end
        if not overlap_warnings(incomplete, transfer_id=transfer_id, req_start=start, req_end=end):
            return None
        plan = PlanCommand(
            targets=(Target(transfer_id=transfer_id),),
            range_start=start,
            range_end=end,
            days=draft.days,
            chunks=((start, end),),
            notes=draft.notes,
        )
        return self.plans(actor, draft.text, plan)

    def _team_or_none(self, actor: Actor) -> DtsTeamClient | None:
        try:
            return self.d.maybe_team_client(actor.slack_team_id)
        except TokenDecryptError:
            log.warning("token of %s cannot be decrypted; skipping lookups", actor.slack_team_id)
            return None

    def _transfers(
        self, team: DtsTeamClient | None, *, has: Callable[[Sequence[Transfer]], bool]
    ) -> Sequence[Transfer] | None:
        """The team's transfers, or None when they can't be read (the card still shows)."""
        if team is None:
            return None
        try:
            return self.d.transfers.transfers(team, has=has)
        except DtsError as exc:
            log.info("transfer list unavailable for the card: %s", exc.user_message)
            return None

    def warnings_for(
        self,
        team: DtsTeamClient | None,
        transfer_id: int,
        start: date,
        end: date,
        *,
        actor: Actor,
        closes_on_confirm: int | None = None,
    ) -> list[str]:
        """Warn about unfinished backfills of the transfer that overlap the range.

        The team's list is read now; backfills started outside Slack that the tracker
        last saw in it are added when the list is full (older ones may not fit in it) or
        cannot be read.
        """
        if team is None:
            return []
        with self.d.session() as session:
            # what the tracker last saw in the team's list, started outside Slack
            seen = [
                outside_backfill(row)
                for row in external_backfills(
                    session,
                    slack_team_id=actor.slack_team_id,
                    transfer_id=transfer_id,
                    overlapping=(start, end),
                )
            ]
        try:
            incomplete = team.list_incomplete_backfills()
        except DtsError as exc:
            problem = (
                f"I couldn't check for overlapping backfills of this transfer ({error_text(exc)})"
            )
            known = overlap_warnings(seen, transfer_id=transfer_id, req_start=start, req_end=end)
            return [*known, problem]
        if len(incomplete) >= LIST_CAP:
            # a full list may leave out older backfills: add those the tracker saw before
            listed = {backfill.backfill_id for backfill in incomplete}
            incomplete = [*incomplete, *(b for b in seen if b.backfill_id not in listed)]
        return overlap_warnings(
            incomplete,
            transfer_id=transfer_id,
            req_start=start,
            req_end=end,
            closes_on_confirm=closes_on_confirm,
        )

    # --- born from another request ----------------------------------------------------

    def choose_transfer(self, actor: Actor, request_id: int, transfer_id: int) -> Reply:
        """Set the transfer a chooser card asked for and turn it into a confirmation card."""
        req, rules = self.d.request_and_rules(actor, request_id)
        rules.check_may_act(actor, req, "choose the transfer for")
        if req.state is not RequestState.PENDING:
            raise StateConflictError(
                f"Request #{req.id} is already {req.state.value.lower()}; nothing was changed."
            )
        team = self._team_or_none(actor)
        transfers = self._transfers(team, has=_with_id(transfer_id)) or []
        name = next(
            (t.display_name for t in transfers if t.transfer_id == transfer_id),
            req.transfer_name,
        )
        with self.d.session() as session:
            req = self.d.revise_pending(
                session,
                actor,
                req.id,
                values={"transfer_id": transfer_id, "transfer_name": name},
                payload={"chosen_transfer_id": transfer_id},
            )
        warnings = self.warnings_for(team, transfer_id, req.range_start, req.range_end, actor=actor)
        card = pending_card(req, warnings=warnings)
        self.d.show_card(req, text=card.text, blocks=card.blocks)
        return Reply(text="", request_id=req.id)

    def retry_failed_days(self, actor: Actor, request_id: int) -> Reply:
        """One new confirmation card per contiguous span of the days that failed."""
        req, rules = self.d.request_and_rules(actor, request_id)
        rules.check_may_act(actor, req, "retry the failed days of")
        dates = sorted(
            {
                date.fromisoformat(str(item["date"])[:10])
                for item in req.error_report
                if "date" in item
            }
        )
        if req.transfer_id is None or not dates:
            raise StateConflictError(
                f"Request #{req.id} has no failed days recorded, so there is nothing to retry."
            )
        spans = day_spans(dates)
        today = self.d.today(actor.tz)
        team = self._team_or_none(actor)
        posted: list[str] = []
        for start, end in spans[:MAX_RETRY_SPANS]:
            start, end, _clamped, notes = check_range(
                start, end, today=today, max_days=self.d.max_days(rules)
            )
            draft = Draft(
                text=f"retry failed days of request #{req.id}",
                transfer_id=req.transfer_id,
                transfer_name=req.transfer_name,
                range_start=start,
                range_end=end,
                days=(end - start).days + 1,
                notes=(
                    f"Retries failed days of request #{req.id}"
                    + (f" (backfill #{req.backfill_id})." if req.backfill_id else "."),
                    *notes,
                ),
                retry_of=req,
            )
            # a FAILED parent still blocks these dates; confirming closes it (see
            # bot.service.failed_backfills)
            closes = req.backfill_id if req.state is RequestState.FAILED else None
            warnings = self.warnings_for(
                team, req.transfer_id, start, end, actor=actor, closes_on_confirm=closes
            )
            self.post_new(actor, draft, warnings=warnings)
            posted.append(format_range(start, end))
        text = (
            f"I posted {plural(len(posted), 'confirmation card')} for the failed days of "
            f"request #{req.id}: {', '.join(posted)}. Confirm each one to submit it."
        )
        if len(spans) > MAX_RETRY_SPANS:
            text += (
                f" {len(spans) - MAX_RETRY_SPANS} more spans of failed days were left out; "
                "retry them after these."
            )
        return Reply(text=text, request_id=req.id)


def _with_id(transfer_id: int) -> Callable[[Sequence[Transfer]], bool]:
    """Whether a transfer list holds the transfer (else a cached list is fetched again)."""
    return lambda transfers: any(t.transfer_id == transfer_id for t in transfers)
