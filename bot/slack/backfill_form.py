"""The New backfill form: opened from the App Home's button or the global shortcut
"Backfill a transfer"; its transfer picker's options, the live preview of a typed range,
and its submission, which posts the same confirmation card as the command.

Options and inline errors exist only in the ack, so both are computed before acking:
options within ``OPTIONS_DEADLINE_SECONDS`` (the transfer list is cached per team), the
submission's checks are the parser's and the database's (no Supermetrics call).
"""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError as SdkSlackApiError

from bot.clock import local_today
from bot.messages import ids
from bot.messages.backfill_form import (
    FormInput,
    new_backfill_view,
    preview_text,
    read_form,
    transfer_option,
    with_preview,
)
from bot.service import Actor
from bot.slack.listener_kit import Body, Listeners, acked_then, log
from bot.slack.responder import Where, where_from_body

OPTIONS_DEADLINE_SECONDS = 2.0


def register(app: App, ls: Listeners) -> None:
    def open_form(body: Body) -> None:
        def work() -> None:
            where = where_from_body(body)
            actor = ls.responder.actor(where)
            view = new_backfill_view(
                dm_channel=ls.responder.dm_channel(where.team_id, where.user_id),
                token_set=ls.service.has_token(actor=actor),
                today=local_today(ls.clock, actor.tz, ls.settings.default_timezone),
            )
            ls.responder.open_view(str(body.get("trigger_id") or ""), view, team_id=where.team_id)

        ls.later(body, work)

    app.action(ids.ACTION_NEW_BACKFILL)(acked_then(open_form))
    app.shortcut(ids.SHORTCUT_NEW_BACKFILL)(acked_then(open_form))

    def options(ack: Ack, body: Body) -> None:
        where = where_from_body(body)
        typed = str(body.get("value") or "")

        def find() -> list[tuple[int, str]]:
            actor = ls.responder.actor(where)
            return ls.service.transfer_options(actor=actor, typed=typed)

        try:
            found = ls.background.submit(find).result(timeout=OPTIONS_DEADLINE_SECONDS)
        except FutureTimeout:
            log.info(
                "transfer options for %s took too long; the list is still loading", where.team_id
            )
            found = []
        except Exception:
            log.exception("transfer options for %s failed", where.team_id)
            found = []
        ack(options=[transfer_option(transfer_id, name) for transfer_id, name in found])

    app.options(ids.ACTION_FORM_TRANSFER)(options)

    def preview(body: Body) -> None:
        def work() -> None:
            view = body.get("view") or {}
            form = read_form(((view.get("state") or {}).get("values")) or {})
            where = where_from_body(body)
            seen = ls.service.preview_range(
                actor=ls.responder.actor(where),
                typed=form.range_text,
                transfer_id=form.transfer_id,
            )
            text = preview_text(
                start=seen.start, end=seen.end, days=seen.days, notes=seen.notes, error=seen.error
            )
            try:
                client = ls.responder.client_for(where.team_id)
                client.views_update(
                    view_id=str(view.get("id") or ""),
                    hash=str(view.get("hash") or "") or None,
                    view=with_preview(view, text),
                )
            except SdkSlackApiError as exc:
                # a newer keystroke already changed the modal: its own preview follows
                if exc.response.get("error") != "hash_conflict":
                    raise

        ls.later(body, work)

    app.action(ids.ACTION_FORM_RANGE)(acked_then(preview))

    def submit(ack: Ack, body: Body, view: Body) -> None:
        form = read_form(((view.get("state") or {}).get("values")) or {})
        where = where_from_body(body)
        try:
            errors = form_errors(ls, where, form)
        except Exception as exc:  # never let a bug turn into Slack's generic error
            log.exception("checking the new backfill form failed")
            errors = {ids.BLOCK_FORM_TRANSFER: f"Something went wrong checking this ({exc!r})."}
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        assert form.transfer_id is not None

        def work() -> None:
            channel = (
                form.channel
                or ls.responder.dm_channel(where.team_id, where.user_id)
                or where.user_id
            )
            here = Where("view", where.team_id, where.user_id, channel)
            actor = ls.responder.actor(here)
            reply = ls.service.request_from_form(
                actor=actor,
                transfer_id=form.transfer_id or 0,
                range_text=form.range_text or None,
                days=(form.start, form.end) if form.start and form.end else (),
            )
            ls.responder.show(here, reply)

        ls.later(body, work)

    app.view(ids.VIEW_NEW_BACKFILL)(submit)


def form_errors(ls: Listeners, where: Where, form: FormInput) -> dict[str, str]:
    """Inline errors of the New backfill form (empty when it can be submitted)."""
    errors: dict[str, str] = {}
    if form.transfer_id is None:
        errors[ids.BLOCK_FORM_TRANSFER] = "Pick a transfer."
    actor: Actor = ls.responder.actor(where)
    if form.range_text.strip():
        seen = ls.service.preview_range(
            actor=actor, typed=form.range_text, transfer_id=form.transfer_id
        )
        if seen.error:
            errors[ids.BLOCK_FORM_RANGE] = _short(seen.error)
    elif form.start and form.end:
        problem = ls.service.check_days(actor=actor, start=form.start, end=form.end)
        if problem:
            errors[ids.BLOCK_FORM_END] = _short(problem)
    elif form.start:
        errors[ids.BLOCK_FORM_END] = "Pick the last day too."
    elif form.end:
        errors[ids.BLOCK_FORM_START] = "Pick the first day too."
    else:
        errors[ids.BLOCK_FORM_RANGE] = "Type a range (e.g. last January) or pick two days."
    return errors


def _short(message: str, limit: int = 300) -> str:
    """Inline errors are plain text under a field: no markup, not too long."""
    plain = message.replace("*", "").replace("`", "")
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
