"""What every use-case needs: the collaborators, a snapshot of a request, access rules.

Database sessions stay short and never span a network call (SQLite has one writer), so
use-cases read a ``RequestSnapshot`` in one transaction, talk to Slack or Supermetrics,
then write in another, guarded by ``transition``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, local_today
from bot.config import Settings
from bot.errors import (
    BotError,
    MissingTokenError,
    NotFoundError,
    StateConflictError,
)
from bot.messages.cards import RequestSummary
from bot.messages.notifier import Block, Notifier
from bot.messages.status_updates import render_card
from bot.service.directory import Directory, NoDirectory
from bot.service.policies import WorkspaceRules
from bot.service.transfer_cache import TransferCache
from bot.service.types import Actor
from bot.store.db import session_scope
from bot.store.models import BackfillRequest, RequestState
from bot.store.queries import ensure_workspace, get_request, transition
from bot.supermetrics.client import DtsClient, DtsTeamClient
from bot.vault import TokenVault, workspace_token

log = logging.getLogger("bot.service")


class Flusher(Protocol):
    def flush(self, *, request_id: int | None = None, limit: int = 100) -> int: ...


@dataclass(frozen=True)
class RequestSnapshot:
    """A request's values read in one transaction, safe to use after it closed."""

    id: int
    slack_team_id: str
    channel_id: str
    user_id: str
    user_tz: str | None
    transfer_id: int | None
    transfer_name: str | None
    range_start: date
    range_end: date
    days: int
    notes: tuple[str, ...]
    state: RequestState
    state_reason: str | None
    confirmed_by: str | None
    approved_by: str | None
    message_channel: str | None
    message_ts: str | None
    thread_ts: str | None
    backfill_id: int | None
    dts_status: str | None
    runs_total: int
    runs_completed: int
    runs_failed: int
    error_report: tuple[dict[str, Any], ...]
    tracking_paused: bool
    expires_at: datetime
    updated_at: datetime

    @property
    def summary(self) -> RequestSummary:
        return RequestSummary(
            request_id=self.id,
            transfer_id=self.transfer_id,
            transfer_name=self.transfer_name,
            range_start=self.range_start,
            range_end=self.range_end,
            days=self.days,
            notes=self.notes,
            requester=self.user_id,
        )


def snapshot(row: BackfillRequest) -> RequestSnapshot:
    return RequestSnapshot(
        id=row.id,
        slack_team_id=row.slack_team_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        user_tz=row.user_tz,
        transfer_id=row.transfer_id,
        transfer_name=row.transfer_name,
        range_start=row.range_start,
        range_end=row.range_end,
        days=row.days,
        notes=tuple(row.notes or ()),
        state=RequestState(row.state),
        state_reason=row.state_reason,
        confirmed_by=row.confirmed_by,
        approved_by=row.approved_by,
        message_channel=row.message_channel,
        message_ts=row.message_ts,
        thread_ts=row.thread_ts,
        backfill_id=row.backfill_id,
        dts_status=row.dts_status,
        runs_total=row.runs_total or 0,
        runs_completed=row.runs_completed or 0,
        runs_failed=row.runs_failed or 0,
        error_report=tuple(dict(item) for item in (row.error_report or ())),
        tracking_paused=bool(row.tracking_paused),
        expires_at=row.expires_at,
        updated_at=row.updated_at,
    )


@dataclass
class Deps:
    settings: Settings
    session_factory: sessionmaker[Session]
    dts: DtsClient
    vault: TokenVault
    notifier: Notifier
    clock: Clock
    announcer: Flusher
    transfers: TransferCache  # each Supermetrics team's transfer list, reused for a while
    directory: Directory = field(default_factory=NoDirectory)  # user groups, channel members
    # waits between tries of a Slack post (a 429's Retry-After); tests pass a fake
    sleep: Callable[[float], None] = time.sleep

    def session(self) -> AbstractContextManager[Session]:
        return session_scope(self.session_factory)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self, tz: str | None) -> date:
        return local_today(self.clock, tz, self.settings.default_timezone)

    def max_days(self, rules: WorkspaceRules) -> int:
        return rules.max_days or self.settings.max_backfill_days

    def load(self, session: Session, actor: Actor, request_id: int) -> BackfillRequest:
        """Return the request if it belongs to the actor's workspace, else NotFoundError."""
        row = get_request(session, request_id=request_id)
        if row is None or row.slack_team_id != actor.slack_team_id:
            raise NotFoundError(
                f"There is no backfill request #{request_id} in this workspace. "
                "`/backfill list` shows the recent ones."
            )
        return row

    def rules(self, actor: Actor) -> WorkspaceRules:
        """The actor's workspace rules (the workspace row is made on first use)."""
        with self.session() as session:
            return self._rules(session, actor)

    def request_and_rules(
        self, actor: Actor, request_id: int
    ) -> tuple[RequestSnapshot, WorkspaceRules]:
        """The request (NotFoundError outside the actor's workspace) and its workspace rules."""
        with self.session() as session:
            return snapshot(self.load(session, actor, request_id)), self._rules(session, actor)

    def _rules(self, session: Session, actor: Actor) -> WorkspaceRules:
        team = actor.slack_team_id

        def groups(group_id: str) -> frozenset[str]:
            return self.directory.group_members(slack_team_id=team, group_id=group_id)

        return WorkspaceRules.of(
            ensure_workspace(session, slack_team_id=team, now=self.now()), groups
        )

    def revise_pending(
        self,
        session: Session,
        actor: Actor,
        request_id: int,
        *,
        values: dict[str, Any],
        payload: dict[str, Any],
        conflict: str | None = None,
    ) -> RequestSnapshot:
        """Change a PENDING request's details (it stays PENDING) and return it as it is now.

        Guarded like every move: if the request left PENDING meanwhile (confirmed, cancelled,
        expired) nothing changes and ``StateConflictError(conflict)`` is raised.
        """
        won = transition(
            session,
            request_id=request_id,
            expected=RequestState.PENDING,
            to=RequestState.PENDING,
            actor=actor.user_id,
            now=self.now(),
            values=values,
            payload=payload,
        )
        if not won:
            raise StateConflictError(conflict)
        return snapshot(self.load(session, actor, request_id))

    def card_as_stored(self, session: Session, request_id: int) -> list[Block]:
        """The submitted card of the request as this session now sees it.

        The tracker's own card (``render_card``), so the service's update and the
        announcer's next one show the same thing.
        """
        row = get_request(session, request_id=request_id)
        card = render_card(row) if row is not None else None
        if card is None:
            raise ValueError(f"request {request_id} has no submitted card")
        return card.blocks

    def team_client(self, slack_team_id: str) -> DtsTeamClient:
        """Return the DTS client bound to the workspace's team and token (MissingTokenError)."""
        with self.session() as session:
            team_id, token = workspace_token(session, self.vault, slack_team_id=slack_team_id)
        return self.dts.team(team_id=team_id, token=token)

    def maybe_team_client(self, slack_team_id: str) -> DtsTeamClient | None:
        """Like ``team_client`` but None when no token is set (lookups that are optional)."""
        try:
            return self.team_client(slack_team_id)
        except MissingTokenError:
            return None

    def show_card(self, req: RequestSnapshot, *, text: str, blocks: Sequence[Block]) -> bool:
        """Replace the request's card; a Slack failure is logged, not fatal (the row is truth)."""
        if not req.message_channel or not req.message_ts:
            return False
        try:
            self.notifier.update(
                slack_team_id=req.slack_team_id,
                channel=req.message_channel,
                ts=req.message_ts,
                text=text,
                blocks=blocks,
            )
        except BotError as exc:
            log.warning("could not update the card of request %s: %s", req.id, exc.user_message)
            return False
        return True

    def flush_announcements(self, request_id: int) -> None:
        """Post pending thread replies now; the tracker retries whatever fails here."""
        try:
            self.announcer.flush(request_id=request_id)
        except Exception:
            log.exception("announcing request %s failed; the tracker will retry", request_id)
