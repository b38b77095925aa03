"""Recover requests left SUBMITTING by a process that died inside the create call.

The claim (PENDING → SUBMITTING) and the create are not one transaction: a crash, a
deploy or a kill between them leaves the row SUBMITTING for ever, its card saying
"submitting…" with no buttons. After ``submit_recovery_seconds`` (longer than any create
the client would still be waiting for, retries included) this asks Supermetrics whether
the backfill exists, the way the client's own look-up after an uncertain create does:

- found (that transfer, that exact range, created since the claim, owned by no other
  request) → SUBMITTED with its id, announced like any submit;
- not found → PENDING with a Retry button.

Every move is a conditional ``transition`` from SUBMITTING, so two processes recovering
at once (or a late answer from the original create) never move one request twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.errors import DtsError, TokenError
from bot.messages.blocks import error_text
from bot.service.deps import Deps, RequestSnapshot, log, snapshot
from bot.service.submission import CLOCK_SKEW, Submission
from bot.store.attention import first_submit_attempt, list_orphan_checks_due
from bot.store.models import BackfillRequest as BackfillRequestRow
from bot.store.models import RequestState
from bot.store.queries import list_stuck_submissions, update_request
from bot.supermetrics.models import Backfill

ACTOR = "recovery"
INTERRUPTED = "The submission was interrupted; press Retry."
BATCH = 50


class Recovery:
    def __init__(
        self,
        deps: Deps,
        submission: Submission,
        requeue: Callable[[RequestSnapshot], bool | None] | None = None,
    ) -> None:
        self.d = deps
        self.submission = submission
        # a plan's step goes back to its queue, not to a Retry button (service/plans)
        self.requeue = requeue

    def recover_stuck_submissions(self, *, older_than_seconds: float | None = None) -> int:
        """Settle requests SUBMITTING for longer than the threshold; return how many moved."""
        seconds = (
            self.d.settings.submit_recovery_seconds
            if older_than_seconds is None
            else older_than_seconds
        )
        cutoff = self.d.now() - timedelta(seconds=seconds)
        with self.d.session() as session:
            stuck = [
                snapshot(row)
                for row in list_stuck_submissions(session, updated_before=cutoff, limit=BATCH)
            ]
        moved = sum(1 for req in stuck if self._recover(req))
        return moved + self.adopt_late_creates()

    def adopt_late_creates(self) -> int:
        """Track a backfill whose create landed after its request went back to Retry."""
        now = self.d.now()
        with self.d.session() as session:
            due = [snapshot(row) for row in list_orphan_checks_due(session, now=now, limit=BATCH)]
        adopted = 0
        for req in due:
            if req.transfer_id is None:
                continue
            with self.d.session() as session:
                first = first_submit_attempt(session, request_id=req.id)
            since = (first or req.updated_at) - CLOCK_SKEW
            try:
                backfill = self.submission.find_landed(req, since=since)
            except (DtsError, TokenError) as exc:
                log.info("late look-up for request %s failed (%s)", req.id, type(exc).__name__)
                backfill = None
            if backfill is not None:
                log.warning(
                    "request %s: its create landed late as backfill %s; tracking it",
                    req.id,
                    backfill.backfill_id,
                )
                if self.submission.record_submitted(
                    req, backfill, by=ACTOR, confirmed_by=req.user_id
                ):
                    adopted += 1
                    continue
            with self.d.session() as session:
                current = session.get(BackfillRequestRow, req.id)
                if current is not None and current.state is RequestState.PENDING:
                    update_request(
                        session, request_id=req.id, now=now, values={"next_poll_at": None}
                    )
        return adopted

    def _recover(self, req: RequestSnapshot) -> bool:
        if req.transfer_id is None:  # cannot happen (confirm needs it); do not stay stuck
            return self.submission.back_to_pending(req, INTERRUPTED, retry=True, by=ACTOR)
        try:
            backfill = self._find_backfill(req)
        except TokenError as exc:
            return self.submission.back_to_pending(
                req, f"The submission was interrupted. {error_text(exc)}", retry=False, by=ACTOR
            )
        except DtsError as exc:
            # Supermetrics can't tell us now: leave it for the next pass rather than guess
            log.warning(
                "recovering request %s: backfill look-up failed (%s); will try again",
                req.id,
                type(exc).__name__,
            )
            return False
        if backfill is None:
            requeued = self.requeue(req) if self.requeue is not None else None
            if requeued is not None:
                log.info("plan step %s was stuck submitting; no backfill found, queued", req.id)
                return requeued
            log.info("request %s was stuck submitting; no backfill found, back to Retry", req.id)
            return self.submission.back_to_pending(req, INTERRUPTED, retry=True, by=ACTOR)
        log.info(
            "request %s was stuck submitting; found its backfill %s", req.id, backfill.backfill_id
        )
        return self.submission.record_submitted(
            req, backfill, by=ACTOR, confirmed_by=req.confirmed_by or req.user_id
        )

    def _find_backfill(self, req: RequestSnapshot) -> Backfill | None:
        """The backfill this request's create made, if Supermetrics has it."""
        return self.submission.find_landed(req, since=req.updated_at - CLOCK_SKEW)
