"""Confirm: claim the request (PENDING → SUBMITTING), submit once, record what happened.

Only the caller whose conditional update wins talks to Supermetrics, so double clicks,
Slack retries and a second process never create a second backfill. Failures keep the
request and its reason: refusals end it (REJECTED); transient trouble puts it back to
PENDING with a Retry button.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.errors import (
    DtsError,
    DtsForbiddenError,
    DtsNotFoundError,
    DtsRateLimitedError,
    DtsRejectedError,
    DtsUnauthorizedError,
    StateConflictError,
    TokenError,
)
from bot.messages import cards
from bot.messages.blocks import error_text
from bot.observability import metrics
from bot.observability.logs import log_context
from bot.service.approvals import Approvals
from bot.service.deps import Deps, RequestSnapshot, log, snapshot
from bot.service.failed_backfills import FailedBackfills
from bot.service.request_cards import closed, pending_card
from bot.service.types import Actor, Reply
from bot.store.attention import first_submit_attempt
from bot.store.models import TRACKED_STATES, RequestState
from bot.store.queries import find_request_by_backfill, transition
from bot.supermetrics.models import Backfill
from bot.tracking.observe import backfill_payload, backfill_values

# clocks of the bot and Supermetrics may disagree a little about "since the claim"
CLOCK_SKEW = timedelta(minutes=5)
# refusals: sending the same request again would be refused again
_FINAL_FAILURES = (DtsUnauthorizedError, DtsForbiddenError, DtsNotFoundError, DtsRejectedError)


class Submission:
    def __init__(self, deps: Deps) -> None:
        self.d = deps
        self.failed_backfills = FailedBackfills(deps)
        self.approvals = Approvals(deps)

    def confirm(self, actor: Actor, request_id: int) -> Reply:
        req, rules = self.d.request_and_rules(actor, request_id)
        rules.check_may_act(actor, req, "confirm")
        if req.state is not RequestState.PENDING:
            return self._not_pending(actor, req)
        if req.transfer_id is None:
            raise StateConflictError(
                f"Request #{req.id} doesn't know its transfer yet: pick one of the buttons "
                "on the card first."
            )
        rule = self.approvals.needs_approval(rules, req)
        if rule is not None:
            if not self.approvals.hold(actor, req, rules, rule):
                with self.d.session() as session:
                    return self._not_pending(
                        actor, snapshot(self.d.load(session, actor, request_id))
                    )
            return Reply(
                text=f"Request #{req.id} is confirmed and now waits for approval: "
                f"{rules.approvers_text()} can approve {rule}.",
                request_id=req.id,
            )
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=RequestState.PENDING,
                to=RequestState.SUBMITTING,
                actor=actor.user_id,
                now=self.d.now(),
                # a pending late look-up (``back_to_pending``) is done by this claim now
                values={"confirmed_by": actor.user_id, "state_reason": None, "next_poll_at": None},
            )
        if not won:
            with self.d.session() as session:
                return self._not_pending(actor, snapshot(self.d.load(session, actor, request_id)))
        return self.submit_claimed(actor, req, confirmed_by=actor.user_id)

    def approve(self, actor: Actor, request_id: int) -> Reply:
        """An approver's Approve: the same guarded claim as Confirm, then one create."""
        req = self.approvals.claim(actor, request_id)
        if req is None:
            return Reply(text="", request_id=request_id)
        return self.submit_claimed(actor, req, confirmed_by=req.confirmed_by or req.user_id)

    def submit_claimed(self, actor: Actor, req: RequestSnapshot, *, confirmed_by: str) -> Reply:
        """Submit a request this call moved to SUBMITTING (only the winner gets here)."""
        with self.d.session() as session:
            # a re-submit (Retry): when the first try was claimed, to look for its late create
            first_attempt = first_submit_attempt(session, request_id=req.id)
        self.d.show_card(
            req,
            text=cards.confirmation_text(req.summary),
            blocks=cards.submitting_card(req.summary, confirmed_by=confirmed_by),
        )
        recorded = metrics.current()
        try:
            # a retry of failed days: the FAILED backfill it retries would refuse the create
            self.failed_backfills.close_for_retry(actor, req)
            # a re-submit: the earlier create may have landed after its look-up
            landed = (
                None
                if first_attempt is None
                else self.find_landed(req, since=first_attempt - CLOCK_SKEW)
            )
            backfill = landed or self._submit(req)
        except TokenError as exc:
            recorded.submission("failed", type(exc).__name__)
            self.back_to_pending(req, error_text(exc), retry=False, by=actor.user_id)
            raise
        except _FINAL_FAILURES as exc:
            recorded.submission("rejected", type(exc).__name__)
            self._reject(actor, req, exc)
            raise
        except DtsError as exc:
            recorded.submission("failed", type(exc).__name__)
            self.back_to_pending(req, self._transient_message(exc), retry=True, by=actor.user_id)
            raise
        except Exception:
            recorded.submission("failed", "unexpected")
            # the row must not stay SUBMITTING; the error itself is reported by the caller
            self.back_to_pending(
                req, "Submitting failed unexpectedly; try again.", retry=True, by=actor.user_id
            )
            raise
        recorded.submission("created")
        with log_context(backfill_id=backfill.backfill_id):
            self.record_submitted(req, backfill, by=actor.user_id, confirmed_by=confirmed_by)
        return Reply(text="", request_id=req.id)

    def _submit(self, req: RequestSnapshot) -> Backfill:
        assert req.transfer_id is not None
        team = self.d.team_client(req.slack_team_id)
        return team.create_backfill(
            transfer_id=req.transfer_id, range_start=req.range_start, range_end=req.range_end
        )

    def find_landed(self, req: RequestSnapshot, *, since: datetime) -> Backfill | None:
        """The backfill an earlier create of this request made, if Supermetrics has it:
        that transfer, that exact range, created since ``since``, owned by no other request
        (the latest backfill of the transfer, then the team's incomplete ones)."""
        assert req.transfer_id is not None
        team = self.d.team_client(req.slack_team_id)

        def ours(backfill: Backfill) -> bool:
            return (
                backfill.covers(
                    transfer_id=req.transfer_id or 0,
                    range_start=req.range_start,
                    range_end=req.range_end,
                )
                and backfill.created_time >= since
                and not self._owned_by_another(req, backfill)
            )

        latest = team.latest_backfill(transfer_id=req.transfer_id)
        if latest is not None and ours(latest):
            return latest
        return next((b for b in team.list_incomplete_backfills() if ours(b)), None)

    def _owned_by_another(self, req: RequestSnapshot, backfill: Backfill) -> bool:
        with self.d.session() as session:
            owner = find_request_by_backfill(
                session, slack_team_id=req.slack_team_id, backfill_id=backfill.backfill_id
            )
            return owner is not None and owner.id != req.id

    def _transient_message(self, exc: DtsError) -> str:
        if isinstance(exc, DtsRateLimitedError) and exc.retry_after:
            when = self.d.now() + timedelta(seconds=exc.retry_after)
            return f"{error_text(exc)} (after {when.strftime('%H:%M:%S')} UTC). Press Retry then."
        return f"{error_text(exc)} Press Retry to submit it again."

    def record_submitted(
        self, req: RequestSnapshot, backfill: Backfill, *, by: str, confirmed_by: str
    ) -> bool:
        """SUBMITTING → SUBMITTED with the backfill, the card and the first thread reply.

        Also from PENDING: recovery may have given up on a create that was only slow, and
        the backfill it made must not be left without its request.
        """
        now = self.d.now()
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=(RequestState.SUBMITTING, RequestState.PENDING),
                to=RequestState.SUBMITTED,
                actor=by,
                now=now,
                announce=True,
                values={
                    "backfill_id": backfill.backfill_id,
                    **backfill_values(backfill),
                    "submitted_at": now,
                    "next_poll_at": now + timedelta(seconds=self.d.settings.poll_min_seconds),
                    "confirmed_by": confirmed_by,
                    "state_reason": None,
                },
                payload=backfill_payload(backfill),
            )
            blocks = self.d.card_as_stored(session, req.id) if won else []
        if not won:
            log.warning(
                "request %s moved on before backfill %s was recorded", req.id, backfill.backfill_id
            )
            return False
        self.d.show_card(
            req,
            text=f"Backfill #{backfill.backfill_id} submitted by <@{confirmed_by}>.",
            blocks=blocks,
        )
        self.d.flush_announcements(req.id)
        return True

    def back_to_pending(self, req: RequestSnapshot, reason: str, *, retry: bool, by: str) -> bool:
        """SUBMITTING → PENDING with the reason on the card (and Retry when it may help)."""
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=RequestState.SUBMITTING,
                to=RequestState.PENDING,
                actor=by,
                now=self.d.now(),
                reason=reason,
                # one more look, once a create that is only slow would have landed
                values={
                    "confirmed_by": None,
                    "next_poll_at": self.d.now()
                    + timedelta(seconds=self.d.settings.submit_recovery_seconds),
                },
                payload={"submit_failed": True},
            )
        if won:
            card = pending_card(req, problem=reason, retry=retry)
            self.d.show_card(req, text=card.text, blocks=card.blocks)
        return won

    def _reject(self, actor: Actor, req: RequestSnapshot, exc: DtsError) -> None:
        reason = error_text(exc)
        with self.d.session() as session:
            won = transition(
                session,
                request_id=req.id,
                expected=RequestState.SUBMITTING,
                to=RequestState.REJECTED,
                actor=actor.user_id,
                now=self.d.now(),
                reason=reason,
                payload={
                    "status_code": exc.status_code,
                    "code": exc.code,
                    "request_id": exc.request_id,
                },
            )
        if not won:
            return
        card = closed(
            req,
            f":x: *Not submitted.* {reason}",
            "Fix the problem above, then send the request again.",
        )
        self.d.show_card(req, text=card.text, blocks=card.blocks)

    def _not_pending(self, actor: Actor, req: RequestSnapshot) -> Reply:
        """Explain a click on a request that moved on (quiet for the confirmer's double click)."""
        if req.state is RequestState.SUBMITTING or req.state in TRACKED_STATES:
            if req.confirmed_by == actor.user_id:
                return Reply(text="", request_id=req.id)
            who = f" by <@{req.confirmed_by}>" if req.confirmed_by else ""
            raise StateConflictError(
                f"Request #{req.id} was already confirmed{who}; it is submitted only once."
            )
        raise StateConflictError(
            f"Request #{req.id} is {req.state.value.lower()}, so it can't be confirmed any more."
            + (f" {req.state_reason}" if req.state_reason else "")
        )
