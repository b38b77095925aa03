"""Text in: the ``/backfill`` slash command, @mentions in channels and direct messages.

All three ack at once and hand the text to ``BackfillService.handle_text`` after the
ack (``Listeners.later``). Events Slack delivers again (``X-Slack-Retry-Num``) are handled once: the
first delivery to claim its ``event_id`` in the database wins.
"""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from bot.messages import ids
from bot.messages.blocks import unescape_mrkdwn
from bot.messages.modals import setup_view
from bot.service import OPEN_SETUP, Reply
from bot.slack.listener_kit import Body, Listeners, acked_then, log
from bot.slack.responder import where_from_body
from bot.store.db import session_scope
from bot.store.deliveries import claim_delivery

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
SETUP_IN_CHAT = (
    "Setup takes the Supermetrics API token, which must not be typed into a chat. Run "
    "`/backfill setup` instead: it opens a private form."
)


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, ls: Listeners) -> None:
    def run_command(body: Body) -> None:
        def work() -> None:
            where = where_from_body(body)
            actor = ls.responder.actor(where)
            # Slack sends &, < and > typed by the person as entities: the service reads
            # plain text (and escapes whatever it echoes)
            text = unescape_mrkdwn(str(body.get("text") or ""))
            reply = ls.service.handle_text(actor=actor, text=text)
            if reply.opens == OPEN_SETUP:
                ls.responder.open_view(
                    str(body.get("trigger_id") or ""), setup_view(channel_id=where.channel_id)
                )
                return
            ls.responder.show(where, reply)

        ls.later(body, work)

    app.command(ids.SLASH_COMMAND)(acked_then(run_command))

    def run_event(body: Body) -> None:
        def work() -> None:
            event = body.get("event") or {}
            if not _wanted(event):
                return
            if not _first_delivery(ls, body):
                log.info("event %s already handled; ignoring the retry", body.get("event_id"))
                return
            where = where_from_body(body)
            text = unescape_mrkdwn(_MENTION.sub(" ", str(event.get("text") or ""))).strip()
            reply = ls.service.handle_text(actor=ls.responder.actor(where), text=text)
            if reply.opens == OPEN_SETUP:
                reply = Reply(text=SETUP_IN_CHAT)
            ls.responder.show(where, reply)

        ls.later(body, work)

    app.event("app_mention")(acked_then(run_event))
    app.event("message")(acked_then(run_event))
    # Slack sends this when someone opens the bot's Messages tab; acking is all it needs
    # (unanswered events are retried and logged as unhandled).
    app.event("app_home_opened")(_ack)


def _wanted(event: Body) -> bool:
    """Mentions, and people's own new direct messages (not edits, not bots, not channels)."""
    if event.get("bot_id") or event.get("subtype"):
        return False
    if event.get("type") == "app_mention":
        return True
    return event.get("type") == "message" and event.get("channel_type") == "im"


def _first_delivery(ls: Listeners, body: Body) -> bool:
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        return True
    with session_scope(ls.session_factory) as session:
        return claim_delivery(session, delivery_id=event_id, now=ls.clock.now())
