"""Closing a FAILED backfill at Supermetrics: for a retry of its failed days, or on request.

The DTS API counts a FAILED backfill as incomplete: until it is cancelled (allowed from
FAILED) it refuses every new backfill of the transfer that overlaps it, with a 422. So
confirming a retry of failed days first closes the FAILED backfill it retries, and
``cancel`` on a FAILED request closes its backfill to free the dates.

The parent request keeps its final state FAILED (that is what happened to it); the close
is an event on it (``failed_backfill_closed``), its ``dts_status`` becomes CANCELLED and
its thread says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.errors import DtsNotFoundError, DtsRejectedError
from bot.messages.status_updates import FAILED_BACKFILL_CLOSED
from bot.service.deps import Deps, RequestSnapshot, snapshot
from bot.service.types import Actor, Reply
from bot.store.models import RequestState
from bot.store.queries import add_event, get_request, list_events, update_request
from bot.supermetrics.client import DtsTeamClient
from bot.supermetrics.models import Backfill, BackfillStatus

RETRY_OF = "retry_of"  # on a retry request: the request and backfill whose failed days it retries
# on the parent: its FAILED backfill was cancelled (the announcer renders it in the thread)
CLOSED = FAILED_BACKFILL_CLOSED


@dataclass(frozen=True)
class RetryLink:
    parent_request_id: int
    parent_backfill_id: int | None


def record_retry_link(
    session: Session, *, request_id: int, parent: RequestSnapshot, actor: str, now: Any
) -> None:
    """Remember which request a retry request retries (an audit event, not announced)."""
    add_event(
        session,
        request_id=request_id,
        kind=RETRY_OF,
        actor=actor,
        now=now,
        payload={"parent_request_id": parent.id, "parent_backfill_id": parent.backfill_id},
    )


def retry_link(session: Session, *, request_id: int) -> RetryLink | None:
    """The request this one retries the failed days of, if it was made that way."""
    for event in list_events(session, request_id=request_id):
        if event.kind != RETRY_OF:
            continue
        payload = event.payload or {}
        parent_id, backfill_id = payload.get("parent_request_id"), payload.get("parent_backfill_id")
        if isinstance(parent_id, int):
            return RetryLink(parent_id, backfill_id if isinstance(backfill_id, int) else None)
    return None


def overlaps(backfill: Backfill, req: RequestSnapshot) -> bool:
    return (
        backfill.transfer_id == req.transfer_id
        and backfill.range_start <= req.range_end
        and req.range_start <= backfill.range_end
    )


class FailedBackfills:
    def __init__(self, deps: Deps) -> None:
        self.d = deps

    def close_for_retry(self, actor: Actor, req: RequestSnapshot) -> int | None:
        """Before a retry's create: cancel the FAILED backfill it retries if it is in the way.

        Returns the id of the backfill closed, or None when nothing needed closing (not a
        retry, the parent isn't FAILED, the backfill is already closed or doesn't overlap).
        DTS errors propagate: the confirm handles them like errors of the create.
        """
        parent = self._failed_parent(req)
        if parent is None or parent.backfill_id is None:
            return None
        team = self.d.team_client(req.slack_team_id)
        try:
            current = team.get_backfill(backfill_id=parent.backfill_id)
        except DtsNotFoundError:
            return None
        if current.status is not BackfillStatus.FAILED or not overlaps(current, req):
            return None
        closed = self._cancel(team, parent.backfill_id)
        if closed is None:
            return None  # closed meanwhile (another retry card, the Hub)
        self._record(parent, closed, actor=actor.user_id, extra={"retry_request_id": req.id})
        return closed.backfill_id

    def close(self, actor: Actor, req: RequestSnapshot) -> Reply:
        """``cancel`` on a FAILED request: cancel its backfill at Supermetrics."""
        assert req.state is RequestState.FAILED and req.backfill_id is not None
        team = self.d.team_client(req.slack_team_id)
        closed = self._cancel(team, req.backfill_id)
        if closed is None:
            return Reply(
                text=f"Backfill #{req.backfill_id} (request #{req.id}) is already closed at "
                "Supermetrics, so its dates are free for new backfills. Nothing was changed.",
                request_id=req.id,
            )
        self._record(req, closed, actor=actor.user_id)
        return Reply(
            text=f"Backfill #{closed.backfill_id} (request #{req.id}) had finished with errors; "
            "I closed it at Supermetrics, so its dates are free for new backfills. The request "
            "stays FAILED with its failed days recorded, and *Retry failed days* still works.",
            request_id=req.id,
        )

    # --- internals -------------------------------------------------------------------------

    def _failed_parent(self, req: RequestSnapshot) -> RequestSnapshot | None:
        with self.d.session() as session:
            link = retry_link(session, request_id=req.id)
            if link is None:
                return None
            row = get_request(session, request_id=link.parent_request_id)
            if row is None or row.slack_team_id != req.slack_team_id:
                return None
            parent = snapshot(row)
        if parent.state is not RequestState.FAILED or parent.backfill_id != link.parent_backfill_id:
            return None
        return parent

    @staticmethod
    def _cancel(team: DtsTeamClient, backfill_id: int) -> Backfill | None:
        """Cancel; None when the API says it is final already (and it is not FAILED)."""
        try:
            return team.cancel_backfill(backfill_id=backfill_id)
        except DtsRejectedError:
            current = team.get_backfill(backfill_id=backfill_id)
            if current.status.is_incomplete:
                raise
            return None

    def _record(
        self,
        parent: RequestSnapshot,
        backfill: Backfill,
        *,
        actor: str,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Store the close on the parent (state untouched) for its thread, then announce it.

        The announcer renders the reply from the event, like any other: it is posted once,
        and a Slack failure leaves it pending for the tracker's next flush.
        """
        now = self.d.now()
        with self.d.session() as session:
            update_request(
                session,
                request_id=parent.id,
                now=now,
                values={"dts_status": backfill.status.value},
            )
            add_event(
                session,
                request_id=parent.id,
                kind=CLOSED,
                actor=actor,
                now=now,
                payload={
                    "backfill_id": backfill.backfill_id,
                    "status": backfill.status.value,
                    **(extra or {}),
                },
                needs_announcement=True,
            )
        self.d.flush_announcements(parent.id)
