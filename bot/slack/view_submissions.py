"""Modal submissions: edit dates, setup, reject (the reason) and policies, with mistakes
shown inline in the modal.

Inline errors only exist in the ack (``response_action="errors"``), so both checks run
before acking, bounded in time: the date check is pure (today and the limit travel in the
modal's metadata); the token check calls Supermetrics with a deadline, after which the
modal says "checking…" and is updated with the result when it arrives.
"""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from slack_bolt import Ack, App

from bot.clock import local_today
from bot.errors import (
    BotError,
    CommandError,
    DtsNotFoundError,
    FutureRangeError,
)
from bot.messages import ids
from bot.messages.approvals import RejectMeta, read_reason
from bot.messages.blocks import error_text
from bot.messages.modals import EditMeta, message_view, read_dates, read_setup
from bot.messages.policy_modal import read_policy
from bot.parsing import check_range
from bot.service import INT64_MAX, Reply, unexpected
from bot.service.setup import TeamIdError
from bot.slack.listener_kit import Body, Listeners, log
from bot.slack.responder import where_from_body

SETUP_DEADLINE_SECONDS = 2.0  # leaves room in Slack's 3 s for the rest of the ack
SETUP_TITLE = "Supermetrics setup"


def date_errors(ls: Listeners, view: Body) -> tuple[dict[str, str], EditMeta | None]:
    """Inline errors for the edit-dates modal (empty when the dates are acceptable)."""
    try:
        meta = EditMeta.loads(str(view.get("private_metadata") or ""))
    except (ValueError, KeyError, TypeError):
        return {ids.BLOCK_EDIT_START: "This form is out of date: press Edit dates again."}, None
    start, end = read_dates((view.get("state") or {}).get("values") or {})
    errors: dict[str, str] = {}
    if start is None:
        errors[ids.BLOCK_EDIT_START] = "Pick the first day."
    if end is None:
        errors[ids.BLOCK_EDIT_END] = "Pick the last day."
    if start is None or end is None:
        return errors, meta
    today = local_today(ls.clock, meta.tz, ls.settings.default_timezone)
    try:
        check_range(start, end, today=today, max_days=meta.max_days)
    except FutureRangeError as exc:
        block = ids.BLOCK_EDIT_START if start > today else ids.BLOCK_EDIT_END
        errors[block] = exc.user_message
    except CommandError as exc:
        errors[ids.BLOCK_EDIT_END] = exc.user_message
    return errors, meta


def register(app: App, ls: Listeners) -> None:
    def apply_edit(body: Body, view: Body, meta: EditMeta) -> None:
        def work() -> None:
            start, end = read_dates((view.get("state") or {}).get("values") or {})
            assert start is not None and end is not None
            where = where_from_body(body)
            reply = ls.service.edit_dates(
                actor=ls.responder.actor(where), request_id=meta.request_id, start=start, end=end
            )
            ls.responder.show(where, reply)

        ls.later(body, work)

    def on_edit(ack: Ack, body: Body, view: Body) -> None:
        try:
            errors, meta = date_errors(ls, view)
        except Exception as exc:  # never let a bug turn into Slack's generic error
            errors, meta = (
                {ids.BLOCK_EDIT_START: unexpected(exc, "edit dates check").user_message},
                None,
            )
        if errors or meta is None:
            ack(response_action="errors", errors=errors)
            return
        ack()
        apply_edit(body, view, meta)

    app.view(ids.VIEW_EDIT_DATES)(on_edit)

    def ack_setup(ack: Ack, body: Body, view: Body) -> None:
        team_raw, token = read_setup((view.get("state") or {}).get("values") or {})
        errors: dict[str, str] = {}
        if not (team_raw.isascii() and team_raw.isdigit() and 0 < int(team_raw) <= INT64_MAX):
            errors[ids.BLOCK_SETUP_TEAM] = "The team id is a number, e.g. 12345."
        if not token:
            errors[ids.BLOCK_SETUP_TOKEN] = "Paste the API token."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        where = where_from_body(body)

        def check() -> Reply:
            return ls.service.set_token(
                actor=ls.responder.actor(where),
                supermetrics_team_id=int(team_raw),
                token=token,
            )

        future = ls.background.submit(check)
        try:
            reply = future.result(timeout=SETUP_DEADLINE_SECONDS)
        except FutureTimeout:
            ack(
                response_action="update",
                view=message_view(
                    SETUP_TITLE, "Checking the token with Supermetrics… the result shows here."
                ),
            )
            view_id = str(view.get("id") or "")
            future.add_done_callback(lambda done: _finish_late(ls, where.team_id, view_id, done))
            return
        except BotError as exc:
            ack(response_action="errors", errors={_field(exc): exc.user_message})
            return
        except Exception as exc:
            message = unexpected(exc, "setup check").user_message
            ack(response_action="errors", errors={ids.BLOCK_SETUP_TOKEN: message})
            return
        ack(response_action="update", view=message_view(SETUP_TITLE, reply.text))

    app.view(ids.VIEW_SETUP)(ack_setup)

    def on_reject(ack: Ack, body: Body, view: Body) -> None:
        reason = read_reason((view.get("state") or {}).get("values") or {})
        try:
            meta = RejectMeta.loads(str(view.get("private_metadata") or ""))
        except (ValueError, KeyError, TypeError):
            ack(
                response_action="errors",
                errors={ids.BLOCK_REJECT_REASON: "This form is out of date: press Reject again."},
            )
            return
        if not reason:
            ack(response_action="errors", errors={ids.BLOCK_REJECT_REASON: "Say why."})
            return
        ack()

        def work() -> None:
            where = where_from_body(body)
            reply = ls.service.reject(
                actor=ls.responder.actor(where), request_id=meta.request_id, reason=reason
            )
            ls.responder.show(where, reply)

        ls.later(body, work)

    app.view(ids.VIEW_REJECT)(on_reject)

    def on_policy(ack: Ack, body: Body, view: Body) -> None:
        changes, errors = read_policy((view.get("state") or {}).get("values") or {})
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()

        def work() -> None:
            where = where_from_body(body)
            reply = ls.service.set_policy(actor=ls.responder.actor(where), changes=changes)
            ls.responder.show(where, reply)

        ls.later(body, work)

    app.view(ids.VIEW_POLICY)(on_policy)


def _field(exc: BotError) -> str:
    if isinstance(exc, TeamIdError | DtsNotFoundError):
        return ids.BLOCK_SETUP_TEAM
    return ids.BLOCK_SETUP_TOKEN


def _finish_late(ls: Listeners, team_id: str, view_id: str, done: Future[Reply]) -> None:
    """Show a slow setup check's outcome in the modal (it was acked with "checking…")."""
    error = done.exception()
    if error is None:
        text = done.result().text
    elif isinstance(error, BotError):
        text = f":x: {error_text(error)}\n\nNothing was saved. Run `/backfill setup` again."
    else:
        text = unexpected(error, "setup check").user_message
    try:
        client = ls.responder.client_for(team_id)
        client.views_update(view_id=view_id, view=message_view(SETUP_TITLE, text))
    except Exception:
        log.exception("could not show the setup result in view %s", view_id)
