"""Changing a request after its card is up: edit dates, dismiss, cancel, expire."""

from __future__ import annotations

from datetime import date

from bot.errors import DtsError, DtsRejectedError, StateConflictError
from bot.messages.blocks import format_range
from bot.messages.modals import DatesForm
from bot.parsing import check_range
from bot.service.deps import Deps, RequestSnapshot, log, snapshot
from bot.service.failed_backfills import FailedBackfills, retry_link
from bot.service.request_cards import closed, overlap_warnings, pending_card
from bot.service.types import Actor, Reply
from bot.store.models import TRACKED_STATES, RequestState
from bot.store.queries import add_event, expire_pending, get_request, transition
from bot.tracking.observe import backfill_payload, backfill_values


class Changes:
    def __init__(self, deps: Deps) -> None:
        self.d = deps
        self.failed_backfills = FailedBackfills(deps)

    # --- edit dates -----------------------------------------------------------------------

    def dates_form(self, actor: Actor, request_id: int) -> DatesForm:
        """What the edit-dates form shows and checks; refused for other people's requests."""
        req, rules = self.d.request_and_rules(actor, request_id)
        rules.check_may_act(actor, req, "edit")
        self._require_pending(req, "edit its dates")
        return DatesForm(
            request_id=req.id,
            range_start=req.range_start,
            range_end=req.range_end,
            today=self.d.today(actor.tz),
            max_days=self.d.max_days(rules),
            tz=actor.tz,
        )

    def edit_dates(self, actor: Actor, request_id: int, start: date, end: date) -> Reply:
        req, rules = self.d.request_and_rules(actor, request_id)
        rules.check_may_act(actor, req, "edit")
        self._require_pending(req, "edit its dates")
        start, end, clamped, notes = check_range(
            start, end, today=self.d.today(actor.tz), max_days=self.d.max_days(rules)
        )
        days = (end - start).days + 1
        previous = [req.range_start.isoformat(), req.range_end.isoformat()]
        with self.d.session() as session:
            req = self.d.revise_pending(
                session,
                actor,
                req.id,
                values={
                    "range_start": start,
                    "range_end": end,
                    "days": days,
                    "notes": list(notes),
                    "state_reason": None,
                },
                payload={"edited": [start.isoformat(), end.isoformat()]},
                conflict=f"Request #{req.id} moved on while you were editing; nothing was changed.",
            )
            add_event(
                session,
                request_id=req.id,
                kind="edited",
                actor=actor.user_id,
                now=self.d.now(),
                payload={
                    "from": previous,
                    "to": [start.isoformat(), end.isoformat()],
                    "clamped": clamped,
                },
            )
            link = retry_link(session, request_id=req.id)
        warnings: list[str] = []
        team = self.d.maybe_team_client(actor.slack_team_id)
        if team is not None and req.transfer_id is not None:
            try:
                warnings = overlap_warnings(
                    team.list_incomplete_backfills(),
                    transfer_id=req.transfer_id,
                    req_start=start,
                    req_end=end,
                    closes_on_confirm=link.parent_backfill_id if link else None,
                )
            except DtsError as exc:
                log.info("overlap check skipped: %s", exc.user_message)
        card = pending_card(req, warnings=warnings)
        self.d.show_card(req, text=card.text, blocks=card.blocks)
        return Reply(text="", request_id=req.id)

    # --- cancel before and after submission -------------------------------------------------

    def dismiss(self, actor: Actor, request_id: int) -> Reply:
        req, rules = self.d.request_and_rules(actor, request_id)
        rules.check_may_act(actor, req, "cancel")
        self._require_pending(req, "cancel it here")
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=RequestState.PENDING,
                to=RequestState.DISMISSED,
                actor=actor.user_id,
                now=self.d.now(),
                reason=f"Cancelled by <@{actor.user_id}> before it was submitted.",
            )
        if not won:
            raise StateConflictError(
                f"Request #{req.id} moved on before the cancel arrived; nothing was changed."
            )
        card = closed(
            req, f":no_entry_sign: Cancelled by <@{actor.user_id}>. Nothing was submitted."
        )
        self.d.show_card(req, text=card.text, blocks=card.blocks)
        return Reply(text="", request_id=req.id)

    def cancel_backfill(self, actor: Actor, request_id: int) -> Reply:
        req, rules = self.d.request_and_rules(actor, request_id)
        rules.check_may_act(actor, req, "cancel")
        if req.state is RequestState.FAILED and req.backfill_id is not None:
            # finished with errors, yet still blocking its dates at Supermetrics
            return self.failed_backfills.close(actor, req)
        if req.state not in TRACKED_STATES or req.backfill_id is None:
            raise StateConflictError(
                f"Request #{req.id} is {req.state.value.lower()}; there is no running backfill "
                "to cancel."
            )
        team = self.d.team_client(req.slack_team_id)
        try:
            backfill = team.cancel_backfill(backfill_id=req.backfill_id)
        except DtsRejectedError as exc:
            raise DtsRejectedError(
                f"Supermetrics didn't cancel backfill #{req.backfill_id}: it has probably "
                f"finished already. {exc.user_message} The thread will show its final status.",
                status_code=exc.status_code,
                code=exc.code,
                description=exc.description,
                request_id=exc.request_id,
            ) from exc
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=TRACKED_STATES,
                to=RequestState.CANCELLED,
                actor=actor.user_id,
                now=self.d.now(),
                announce=True,
                reason=f"Cancelled by <@{actor.user_id}>.",
                values={**backfill_values(backfill), "next_poll_at": None},
                payload=backfill_payload(backfill),
            )
            blocks = self.d.card_as_stored(session, req.id) if won else []
        if not won:
            raise StateConflictError(
                f"Backfill #{req.backfill_id} finished before the cancel was recorded; the "
                "thread shows its final status."
            )
        self.d.show_card(
            req, text=f"Backfill #{req.backfill_id} cancelled by <@{actor.user_id}>.", blocks=blocks
        )
        self.d.flush_announcements(req.id)
        return Reply(text="", request_id=req.id)

    def cancel_any(self, actor: Actor, request_id: int) -> Reply:
        """``cancel <id>``: dismiss a pending request or cancel a submitted backfill."""
        req, _rules = self.d.request_and_rules(actor, request_id)
        if req.state is RequestState.PENDING:
            self.dismiss(actor, request_id)
            return Reply(text=f"Request #{req.id} is cancelled; nothing was submitted.")
        if req.state is RequestState.FAILED:
            return self.cancel_backfill(actor, request_id)
        self.cancel_backfill(actor, request_id)
        return Reply(
            text=f"Backfill #{req.backfill_id} (request #{req.id}) is cancelled. Queued days "
            "stop; days already running finish."
        )

    # --- expiry -----------------------------------------------------------------------------

    def expire_due(self) -> int:
        """Expire unconfirmed requests past their time and replace their buttons with a note."""
        with self.d.session() as session:
            expired_ids = expire_pending(session, now=self.d.now())
            expired = [
                snapshot(row)
                for row in (get_request(session, request_id=i) for i in expired_ids)
                if row is not None
            ]
        hours = self.d.settings.confirmation_ttl_seconds / 3600
        for req in expired:
            card = closed(
                req,
                f":hourglass: Expired: nobody confirmed it within {hours:g} h "
                f"({format_range(req.range_start, req.range_end)}). Send the request again "
                "if it is still needed.",
            )
            self.d.show_card(req, text=card.text, blocks=card.blocks)
        return len(expired)

    @staticmethod
    def _require_pending(req: RequestSnapshot, what: str) -> None:
        if req.state is not RequestState.PENDING:
            raise StateConflictError(
                f"Request #{req.id} is {req.state.value.lower()}, so you can't {what} any more."
            )
