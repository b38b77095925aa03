"""One person at the console: lines in, the service's answers out.

Sub-commands and backfill requests go to ``BackfillService.handle_text`` exactly as a
Slack slash command would.  The buttons of a card become words typed on a line:
``confirm``, ``edit START END`` and ``cancel`` answer the most recent request waiting for
confirmation (or the request whose id follows), ``choose TRANSFER`` picks a transfer when a
name matched several, and ``retry`` asks to retry the failed days of a finished backfill.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Collection
from datetime import date
from typing import TYPE_CHECKING

from bot.console.console_notifier import ConsoleNotifier
from bot.errors import BotError, CommandError, NotFoundError
from bot.service.types import OPEN_SETUP, Actor, Reply
from bot.store.db import session_scope
from bot.store.models import TRACKED_STATES, BackfillRequest, RequestState
from bot.store.queries import get_request, list_requests, pending_announcements

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.service import BackfillService

log = logging.getLogger(__name__)

QUIT_WORDS = frozenset({"quit", "exit", "q"})
WAIT_POLL_SECONDS = 0.2

CONSOLE_HELP = """\
Console answers (instead of the card's buttons):
  confirm [REQUEST]                 submit the request waiting for confirmation
  edit YYYY-MM-DD YYYY-MM-DD [REQUEST]  change its dates (inclusive)
  cancel [REQUEST]                  drop it without submitting (cancel ID also cancels
                                    a submitted request or backfill)
  choose TRANSFER [REQUEST]         pick a transfer when a name matched several
  retry [REQUEST]                   retry the failed days of a finished backfill
  quit                              stop (piped input: wait for submitted backfills)"""


class ConsoleSession:
    """Turns typed lines into service calls and prints what comes back."""

    def __init__(
        self,
        *,
        service: BackfillService,
        session_factory: sessionmaker[Session],
        notifier: ConsoleNotifier,
        actor: Actor,
        read_secret: Callable[[str], str] | None = None,
    ) -> None:
        self.service = service
        self.session_factory = session_factory
        self.notifier = notifier
        self.actor = actor
        self.read_secret = read_secret
        # requests this console confirmed: --wait waits for each of them to end
        self.submitted: set[int] = set()

    # --- input --------------------------------------------------------------------

    def handle_line(self, line: str) -> bool:
        """Handle one typed line; return False when the user asked to stop."""
        text = line.strip()
        if text.startswith("/backfill"):
            text = text.removeprefix("/backfill").strip()
        if not text:
            return True
        words = text.split()
        verb = words[0].lower()
        if verb in QUIT_WORDS and len(words) == 1:
            return False
        try:
            self._dispatch(verb, words[1:], text)
        except BotError as exc:
            self.notifier.error(exc.user_message)
        except Exception:
            reference = secrets.token_hex(4)
            log.exception("console command failed (reference %s)", reference)
            self.notifier.say(
                f"\n! Something went wrong (reference {reference}); the details are in the "
                "log above. The console keeps going."
            )
        return True

    def _dispatch(self, verb: str, args: list[str], text: str) -> None:
        if verb == "confirm":
            request_id = self._pending_target(args, usage="confirm [REQUEST]")
            self.submitted.add(request_id)
            self._show(self.service.confirm(actor=self.actor, request_id=request_id))
        elif verb == "edit":
            self._edit(args)
        elif verb in {"cancel", "dismiss"} and len(args) <= 1:
            self._cancel(args)
        elif verb == "choose":
            self._choose(args)
        elif verb == "retry":
            request_id = self._finished_target(args)
            self._show(self.service.retry_failed_days(actor=self.actor, request_id=request_id))
        elif verb == "help" and not args:
            self._show(self.service.handle_text(actor=self.actor, text=text))
            self.notifier.say("\n" + CONSOLE_HELP)
        else:
            self._show(self.service.handle_text(actor=self.actor, text=text))

    def _edit(self, args: list[str]) -> None:
        usage = (
            "Type the new dates like this: edit 2026-01-05 2026-01-12 (optionally a request id)."
        )
        dates: list[date] = []
        rest: list[str] = []
        for arg in args:
            try:
                dates.append(date.fromisoformat(arg))
            except ValueError:
                rest.append(arg)
        if len(dates) != 2:
            raise CommandError(f"I need a start and an end date. {usage}")
        if len(rest) > 1 or (rest and not rest[0].lstrip("#").isdigit()):
            raise CommandError(f"I couldn't read {' '.join(rest)!r} as dates. {usage}")
        request_id = self._pending_target(rest, usage="edit START END [REQUEST]")
        start, end = dates
        self._show(
            self.service.edit_dates(actor=self.actor, request_id=request_id, start=start, end=end)
        )

    def _cancel(self, args: list[str]) -> None:
        if args:
            # the service's own `cancel <id>`: dismisses a pending request, else cancels
            # the submitted backfill
            request_id = _number(args[0], usage="cancel [REQUEST]")
            self._show(self.service.handle_text(actor=self.actor, text=f"cancel {request_id}"))
            return
        request_id = self._pending_target([], usage="cancel [REQUEST]")
        self._show(self.service.dismiss(actor=self.actor, request_id=request_id))

    def _choose(self, args: list[str]) -> None:
        if not args or len(args) > 2:
            raise CommandError(
                "Say which transfer: choose TRANSFER_ID (optionally followed by a request id)."
            )
        transfer_id = _number(args[0], usage="choose TRANSFER [REQUEST]")
        request_id = self._pending_target(args[1:], usage="choose TRANSFER [REQUEST]")
        self._show(
            self.service.choose_transfer(
                actor=self.actor, request_id=request_id, transfer_id=transfer_id
            )
        )

    # --- which request an answer is about ----------------------------------------

    def _requests(self, states: Collection[RequestState]) -> list[BackfillRequest]:

        with session_scope(self.session_factory) as session:
            found = list_requests(
                session, slack_team_id=self.actor.slack_team_id, states=states, limit=200
            )
            return [request for request in found if request.user_id == self.actor.user_id]

    def _pending_target(self, args: list[str], *, usage: str) -> int:
        """Return the request id given, else the newest request waiting for confirmation."""

        if args:
            return _number(args[0], usage=usage)
        pending = self._requests({RequestState.PENDING})
        if not pending:
            raise NotFoundError(
                "No request is waiting for confirmation. Type one first, e.g. "
                "`backfill transfer 456789 for last January`."
            )
        return int(pending[0].id)

    def _finished_target(self, args: list[str]) -> int:
        """Return the request id given, else the newest finished request with failed days."""

        if args:
            return _number(args[0], usage="retry [REQUEST]")
        finished = self._requests({RequestState.FAILED, RequestState.COMPLETED})
        for request in finished:
            if request.runs_failed:
                return int(request.id)
        raise NotFoundError("No finished backfill of yours has failed days to retry.")

    # --- output -------------------------------------------------------------------

    def _show(self, reply: Reply) -> None:
        if reply.opens == OPEN_SETUP:
            self._setup()
            return
        if reply.is_empty:
            return
        self.notifier.show_reply(text=reply.text, blocks=reply.blocks, ephemeral=reply.ephemeral)

    def _setup(self) -> None:
        """The console's version of the setup modal: team id, then the token (hidden)."""
        if self.read_secret is None:
            self.notifier.say(
                "\nTo store a Supermetrics token for this workspace, run:\n"
                f"  python -m bot workspace set --slack-team {self.actor.slack_team_id} "
                "--supermetrics-team TEAM_ID < token.txt"
            )
            return
        team = self.read_secret("Supermetrics team id: ").strip()
        if not team.isdigit():
            raise CommandError("The Supermetrics team id is a number, e.g. 12345.")
        token = self.read_secret("Supermetrics API token (not shown): ").strip()
        self._show(
            self.service.set_token(actor=self.actor, supermetrics_team_id=int(team), token=token)
        )

    # --- waiting for the end ---------------------------------------------------------

    def unfinished(self) -> list[int]:
        """Return the submitted requests still running or with announcements to make."""

        waiting: list[int] = []
        with session_scope(self.session_factory) as session:
            for request_id in sorted(self.submitted):
                request = get_request(session, request_id=request_id)
                if request is None:
                    continue
                running = request.state in TRACKED_STATES or request.state == (
                    RequestState.SUBMITTING
                )
                if running or pending_announcements(session, request_id=request_id, limit=1):
                    waiting.append(request_id)
        return waiting

    def wait_until_finished(
        self, timeout: float, *, sleep: Callable[[float], None] = time.sleep
    ) -> list[int]:
        """Wait for every submitted backfill to end; return those still running at timeout."""
        deadline = time.monotonic() + timeout
        while True:
            waiting = self.unfinished()
            if not waiting or time.monotonic() >= deadline:
                return waiting
            sleep(WAIT_POLL_SECONDS)


def _number(raw: str, *, usage: str) -> int:
    value = raw.lstrip("#")
    if not value.isdigit():
        raise CommandError(f"{raw!r} is not a request id (a number). Usage: {usage}")
    return int(value)
