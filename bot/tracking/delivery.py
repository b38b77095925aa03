"""The Slack calls that announce one event: a thread reply (marked, so a post whose answer
was lost is found again instead of posted twice) and the card's update, or, for a plan or one
of its steps, the plan's one card and thread. ``Announcer`` decides what to announce and
records what these calls came to.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.errors import SlackApiError
from bot.messages.notifier import Block, MarkedThreads, Notifier
from bot.messages.plan_cards import PlanView, plan_handles, plan_reply, plan_status_card
from bot.messages.status_updates import affects_card, render_card, render_reply
from bot.store.models import BackfillRequest, RequestEvent, RequestState

log = logging.getLogger("bot.tracking.announcer")

# the card is gone: post a fresh one instead of updating
_CARD_GONE = {"message_not_found", "cant_update_message", "thread_not_found"}


@dataclass
class Work:
    """The next event to announce and its request, read in one transaction (detached)."""

    request: BackfillRequest
    event: RequestEvent
    update_card: bool
    cancelled_by: str | None
    plan: PlanView | None = None  # the plan the request is (or is a step of)


@dataclass
class Delivery:
    """What the Slack calls for one event came to, recorded in the next transaction."""

    fresh_card: dict[str, str] = field(default_factory=dict)  # a new card replaced a gone one
    error: SlackApiError | None = None


class Deliverer:
    """Posts one event's announcement through the Notifier port."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    def deliver(self, work: Work) -> Delivery:
        """Refresh the card (unless a later pending change will), then post the reply."""
        delivery = Delivery()
        request, event = work.request, work.event
        if work.plan is not None and plan_handles(work.plan, request, event):
            return self._deliver_plan(work, delivery)
        try:
            if work.update_card and affects_card(event):
                self._update_card(request, event, delivery)
            reply = render_reply(event, request, cancelled_by=work.cancelled_by)
            if reply is None:
                return delivery
            channel = request.message_channel or request.channel_id
            thread_ts = request.thread_ts or request.message_ts
            if thread_ts is None:
                thread_ts = self._post_fresh_card(request, delivery)
            marker = f"request-{request.id}-event-{event.id}"
            if event.announce_attempts and self._already_posted(
                request.slack_team_id, channel, thread_ts, marker
            ):
                log.info(
                    "event %s of request %s was posted before its answer was lost",
                    event.id,
                    request.id,
                )
                return delivery
            try:
                self._post_reply(
                    request.slack_team_id, channel, thread_ts, reply.text, reply.blocks, marker
                )
            except SlackApiError as exc:
                if exc.error not in _CARD_GONE:
                    raise
                thread_ts = self._post_fresh_card(request, delivery)
                self._post_reply(
                    request.slack_team_id, channel, thread_ts, reply.text, reply.blocks, marker
                )
        except SlackApiError as exc:
            delivery.error = exc
        return delivery

    def _deliver_plan(self, work: Work, delivery: Delivery) -> Delivery:
        """A plan or one of its steps: the plan's one card, replies in the plan's thread."""
        view, request, event = work.plan, work.request, work.event
        assert view is not None
        plan = view.plan
        channel = plan.message_channel or plan.channel_id
        try:
            # the card shows the plan as it is now: once for a run of the request's events
            if (
                work.update_card
                and plan.message_ts is not None
                and plan.state is not RequestState.PENDING
            ):
                card = plan_status_card(view)
                self.notifier.update(
                    slack_team_id=plan.slack_team_id,
                    channel=channel,
                    ts=plan.message_ts,
                    text=card.text,
                    blocks=card.blocks,
                )
            reply = plan_reply(view, request, event)
            if reply is None or plan.message_ts is None:
                return delivery
            # marked like any thread reply: an earlier attempt whose answer was lost is
            # found in the plan's thread instead of posted twice
            marker = f"request-{request.id}-event-{event.id}"
            if event.announce_attempts and self._already_posted(
                plan.slack_team_id, channel, plan.message_ts, marker
            ):
                log.info(
                    "event %s of plan step %s was posted before its answer was lost",
                    event.id,
                    request.id,
                )
                return delivery
            self._post_reply(
                plan.slack_team_id, channel, plan.message_ts, reply.text, reply.blocks, marker
            )
        except SlackApiError as exc:
            delivery.error = exc
        return delivery

    def _post_reply(
        self,
        slack_team_id: str,
        channel: str,
        thread_ts: str,
        text: str,
        blocks: Sequence[Block],
        marker: str,
    ) -> None:
        if isinstance(self.notifier, MarkedThreads):
            self.notifier.post_marked(
                slack_team_id=slack_team_id,
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                marker=marker,
            )
            return
        self.notifier.post(
            slack_team_id=slack_team_id,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
        )

    def _already_posted(
        self, slack_team_id: str, channel: str, thread_ts: str, marker: str
    ) -> bool:
        """Did an earlier attempt land although its answer was lost? (SlackApiError: ask
        again next time.)"""
        if not isinstance(self.notifier, MarkedThreads):
            return False
        found = self.notifier.find_marked(
            slack_team_id=slack_team_id,
            channel=channel,
            thread_ts=thread_ts,
            marker=marker,
        )
        return found is not None

    def _update_card(
        self, request: BackfillRequest, event: RequestEvent, delivery: Delivery
    ) -> None:
        card = render_card(request)
        if card is None:
            return
        if request.message_ts is None:
            if event.to_state is not RequestState.EXPIRED:
                self._post_fresh_card(request, delivery)
            return
        try:
            self.notifier.update(
                slack_team_id=request.slack_team_id,
                channel=request.message_channel or request.channel_id,
                ts=request.message_ts,
                text=card.text,
                blocks=card.blocks,
            )
        except SlackApiError as exc:
            if exc.error not in _CARD_GONE:
                raise
            if event.to_state is RequestState.EXPIRED:
                return  # nothing to expire any more: the card itself is gone
            log.info("card of request %s is gone (%s); posting a fresh one", request.id, exc.error)
            self._post_fresh_card(request, delivery)

    def _post_fresh_card(self, request: BackfillRequest, delivery: Delivery) -> str:
        """Post the card as a new message and move the thread under it; return its ts.

        Stored by ``_settle`` even when a later call of this event fails, so a retry
        does not post yet another card.
        """
        card = render_card(request)
        channel = request.message_channel or request.channel_id
        text = card.text if card else "Backfill request"
        ts = self.notifier.post(
            slack_team_id=request.slack_team_id,
            channel=channel,
            text=text,
            blocks=card.blocks if card else (),
        )
        delivery.fresh_card = {"message_channel": channel, "message_ts": ts, "thread_ts": ts}
        # the detached row, so the rest of this event's calls use the new card
        request.message_channel, request.message_ts, request.thread_ts = channel, ts, ts
        return ts
