"""A request about to be recorded (a ``Draft``) becomes a PENDING row and its card where
it was asked for; a card Slack refuses closes the row, with a hint when the bot may not
post in the channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import SlackApiError
from bot.messages.notifier import Block
from bot.service import card_posting
from bot.service.deps import Deps, RequestSnapshot, snapshot
from bot.service.failed_backfills import record_retry_link
from bot.service.request_cards import pending_card
from bot.service.types import Actor, Reply
from bot.store.models import RequestState
from bot.store.queries import create_request, transition, update_request

INVITE_HINT = (
    "I can't post in this channel because I'm not a member. Invite me with "
    "`/invite @Backfill Bot` and send the request again, or send it to me in a direct message."
)
_CANT_POST = {"not_in_channel", "channel_not_found", "is_archived"}


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


class DraftCards:
    def __init__(self, deps: Deps) -> None:
        self.d = deps

    def post_new(self, actor: Actor, draft: Draft, *, warnings: Sequence[str] = ()) -> Reply:
        """Record the request PENDING and post its confirmation card."""
        req = self.record(actor, draft)
        card = pending_card(req, warnings=warnings)
        return self.post_card(actor, req, text=card.text, blocks=card.blocks)

    def record(self, actor: Actor, draft: Draft) -> RequestSnapshot:
        """Record the request PENDING (linked to the request whose failed days it retries)."""
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
        """Post the card where the request was made (a plan's too); remember its ts for
        later updates."""
        try:
            ts = card_posting.post_card(
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
