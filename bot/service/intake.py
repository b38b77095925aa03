"""New requests: parse the text, resolve the transfer, warn on overlaps, post the card;
and choosing among transfers that share a name (the chooser card, then the pick).

The parts: ``draft_cards`` records a request and posts its card, ``transfer_checks`` looks
up the transfer and the overlapping backfills; a range too long for one backfill, or
several transfers, go to the plans hook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.clock import zone
from bot.errors import DtsError, MissingTokenError, RangeTooLongError, StateConflictError
from bot.messages import cards
from bot.messages.blocks import escape_mrkdwn
from bot.parsing import parse_command
from bot.parsing.plans import PlanCommand, Target, parse_plan, split_targets
from bot.service.deps import Deps
from bot.service.draft_cards import Draft, DraftCards
from bot.service.request_cards import overlap_warnings, pending_card
from bot.service.transfer_cache import match_transfers, no_match_error
from bot.service.transfer_checks import TransferChecks, with_id
from bot.service.types import Actor, Reply
from bot.store.models import RequestState
from bot.supermetrics.client import DtsTeamClient
from bot.supermetrics.models import Transfer

PlanHook = Callable[[Actor, str, PlanCommand], Reply]


class Intake:
    def __init__(self, deps: Deps, plans: PlanHook | None = None) -> None:
        self.d = deps
        # a range longer than one backfill may be becomes a plan of chunks (service/plans)
        self.plans = plans
        self.cards = DraftCards(deps)
        self.checks = TransferChecks(deps)

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
        team = self.checks.team_or_none(actor)
        transfers = self.checks.transfers(team, has=with_id(command.transfer_id))
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
        warnings += self.checks.warnings_for(
            team, command.transfer_id, draft.range_start, draft.range_end, actor=actor
        )
        if team is None:
            warnings.append(
                "This workspace has no Supermetrics token yet, so confirming will fail: an "
                "admin can add one with `/backfill setup`."
            )
        draft = replace(draft, transfer_name=name)
        return self.cards.post_new(actor, draft, warnings=warnings)

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
            warnings = self.checks.warnings_for(
                team, chosen.transfer_id, draft.range_start, draft.range_end, actor=actor
            )
            resolved = replace(
                draft, transfer_id=chosen.transfer_id, transfer_name=chosen.display_name
            )
            return self.cards.post_new(actor, resolved, warnings=warnings)
        return self._post_chooser(actor, draft, matches)

    def _post_chooser(self, actor: Actor, draft: Draft, matches: Sequence[Transfer]) -> Reply:
        req = self.cards.record(actor, draft)
        blocks = cards.chooser_card(req.summary, [(t.transfer_id, t.display_name) for t in matches])
        name = escape_mrkdwn(draft.transfer_name or "")
        text = f'Several transfers match "{name}": which one did you mean?'
        return self.cards.post_card(actor, req, text=text, blocks=blocks)

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

    # --- the transfer picked on a chooser card -----------------------------------------

    def choose_transfer(self, actor: Actor, request_id: int, transfer_id: int) -> Reply:
        """Set the transfer a chooser card asked for and turn it into a confirmation card."""
        req, rules = self.d.request_and_rules(actor, request_id)
        rules.check_may_act(actor, req, "choose the transfer for")
        if req.state is not RequestState.PENDING:
            raise StateConflictError(
                f"Request #{req.id} is already {req.state.value.lower()}; nothing was changed."
            )
        team = self.checks.team_or_none(actor)
        transfers = self.checks.transfers(team, has=with_id(transfer_id)) or []
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
        warnings = self.checks.warnings_for(
            team, transfer_id, req.range_start, req.range_end, actor=actor
        )
        card = pending_card(req, warnings=warnings)
        self.d.show_card(req, text=card.text, blocks=card.blocks)
        return Reply(text="", request_id=req.id)
