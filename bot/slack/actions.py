"""Button clicks: on the request card (confirm, retry, edit dates, cancel, choose transfer,
cancel backfill, retry failed days, approve, reject with a reason modal) and "Did you
mean"'s button, which runs the corrected command. Each acks at once; the work runs after
the ack.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from slack_bolt import App

from bot.errors import CommandError
from bot.messages import ids
from bot.messages.approvals import reject_view
from bot.messages.modals import edit_dates_view
from bot.service import INT64_MAX, Actor, Reply
from bot.slack.listener_kit import Body, Listeners, acked_then
from bot.slack.responder import where_from_body

_CHOOSE = re.compile(rf"^{re.escape(ids.ACTION_CHOOSE_TRANSFER)}(?::\d+)?$")
_DROP_STEP = re.compile(rf"^{re.escape(ids.ACTION_PLAN_DROP_STEP)}(?::\d+)?$")


def _value(body: Body) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def _int64(raw: str) -> int | None:
    """A positive int64 written in ASCII digits, else None (button values are ours, but
    a forged or stale one must end in a message, not a database error)."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19):
        return None
    value = int(raw)
    return value if 0 < value <= INT64_MAX else None


def _request_id(body: Body) -> int:
    value = _int64(_value(body).split(":", 1)[0])
    if value is None:
        raise CommandError("That button carries no request id; send the request again.")
    return value


def register(app: App, ls: Listeners) -> None:
    def simple(use_case: Callable[[Actor, int], Reply]) -> Callable[[Body], None]:
        """Work for a click: the clicker as an Actor, the request id from the button."""

        def run(body: Body) -> None:
            def work() -> None:
                where = where_from_body(body)
                reply = use_case(ls.responder.actor(where), _request_id(body))
                ls.responder.show(where, reply)

            ls.later(body, work)

        return run

    service = ls.service
    confirm = simple(lambda a, r: service.confirm(actor=a, request_id=r))
    app.action(ids.ACTION_CONFIRM)(acked_then(confirm))
    approve = simple(lambda a, r: service.approve(actor=a, request_id=r))
    app.action(ids.ACTION_APPROVE)(acked_then(approve))
    app.action(ids.ACTION_RETRY_SUBMIT)(acked_then(confirm))
    dismiss = simple(lambda a, r: service.dismiss(actor=a, request_id=r))
    cancel = simple(lambda a, r: service.cancel_backfill(actor=a, request_id=r))
    retry_days = simple(lambda a, r: service.retry_failed_days(actor=a, request_id=r))
    app.action(ids.ACTION_DISMISS)(acked_then(dismiss))
    app.action(ids.ACTION_CANCEL_BACKFILL)(acked_then(cancel))
    app.action(ids.ACTION_RETRY_FAILED_DAYS)(acked_then(retry_days))
    cancel_blockers = simple(
        lambda a, r: service.cancel_blockers_and_confirm(actor=a, request_id=r)
    )
    app.action(ids.ACTION_PLAN_CANCEL_BLOCKERS)(acked_then(cancel_blockers))

    def drop_step(body: Body) -> None:
        def work() -> None:
            where = where_from_body(body)
            plan_raw, _, step_raw = _value(body).partition(":")
            if not (plan_raw.isdigit() and step_raw.isdigit()):
                raise CommandError("That button carries no plan step; send the request again.")
            reply = service.drop_plan_step(
                actor=ls.responder.actor(where), request_id=int(plan_raw), step_id=int(step_raw)
            )
            ls.responder.show(where, reply)

        ls.later(body, work)

    app.action(_DROP_STEP)(acked_then(drop_step))

    def choose(body: Body) -> None:
        def work() -> None:
            where = where_from_body(body)
            request_raw, _, transfer_raw = _value(body).partition(":")
            request_id, transfer_id = _int64(request_raw), _int64(transfer_raw)
            if request_id is None or transfer_id is None:
                raise CommandError("That button carries no transfer; send the request again.")
            reply = service.choose_transfer(
                actor=ls.responder.actor(where), request_id=request_id, transfer_id=transfer_id
            )
            ls.responder.show(where, reply)

        ls.later(body, work)

    app.action(_CHOOSE)(acked_then(choose))

    def open_edit(body: Body) -> None:
        def work() -> None:
            where = where_from_body(body)
            form = service.dates_form(actor=ls.responder.actor(where), request_id=_request_id(body))
            ls.responder.open_view(
                str(body.get("trigger_id") or ""),
                edit_dates_view(form, channel_id=where.channel_id),
                team_id=where.team_id,
            )

        ls.later(body, work)

    app.action(ids.ACTION_EDIT)(acked_then(open_edit))

    def open_reject(body: Body) -> None:
        def work() -> None:
            where = where_from_body(body)
            request_id = _request_id(body)
            # refused before the form opens: only approvers, never the requester
            summary = service.check_reject(actor=ls.responder.actor(where), request_id=request_id)
            ls.responder.open_view(
                str(body.get("trigger_id") or ""),
                reject_view(request_id=request_id, channel_id=where.channel_id, summary=summary),
                team_id=where.team_id,
            )

        ls.later(body, work)

    app.action(ids.ACTION_REJECT)(acked_then(open_reject))

    def run_suggestion(body: Body) -> None:
        """The "Did you mean" button: run the corrected command the person was shown."""

        def work() -> None:
            where = where_from_body(body)
            text = _value(body).strip()
            if not text:
                raise CommandError("That button carries no command; type the command again.")
            reply = service.handle_text(actor=ls.responder.actor(where), text=text)
            ls.responder.show(where, reply)

        ls.later(body, work)

    app.action(ids.ACTION_RUN_SUGGESTION)(acked_then(run_suggestion))
