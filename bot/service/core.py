"""``BackfillService``: the use-cases behind every transport (Slack, the console).

It takes plain values (an ``Actor``, text, ids, dates) and returns a ``Reply``; the card
and the thread are posted through the ``Notifier``. Every failure a user can meet is a
``BotError`` with ``user_message``; anything else is logged with a short reference id and
turned into a ``BotError`` that quotes it, so no foreign exception leaves the service.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.errors import BotError, CommandError
from bot.messages.cards import confirmation_text
from bot.messages.modals import DatesForm
from bot.messages.notifier import Notifier
from bot.messages.policy_modal import PolicyChanges, PolicyForm
from bot.observability import metrics
from bot.observability.logs import log_context
from bot.service.changes import Changes
from bot.service.deps import Deps, Flusher, log
from bot.service.directory import Directory, NoDirectory
from bot.service.failed_day_retries import FailedDayRetries
from bot.service.history import history
from bot.service.home import Home, RangePreview
from bot.service.intake import Intake
from bot.service.lookups import Lookups
from bot.service.plans import Plans
from bot.service.policy_admin import PolicyAdmin
from bot.service.recovery import Recovery
from bot.service.setup import Setup
from bot.service.submission import Submission
from bot.service.transfer_cache import TransferCache
from bot.service.types import Actor, Reply
from bot.supermetrics.client import DtsClient
from bot.vault import TokenVault

P = ParamSpec("P")
R = TypeVar("R")

_ID = re.compile(r"^#?([0-9]{1,30})$")
_LEADING_VERB = re.compile(r"^\s*backfill\b\s*", re.IGNORECASE)
# every id the bot stores (request, backfill, transfer, team) is a signed 64-bit integer
INT64_MAX = 2**63 - 1
# Slack's own guidance for one message's text; a backfill request is a line, not a page,
# and the parser's time grows with the text
MAX_COMMAND_CHARS = 4000
# NUL cannot be stored in PostgreSQL text; other C0 controls mean nothing in a command
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_command(text: str) -> str:
    """The command as the parser reads it: capped, control characters gone, spaces single."""
    if len(text) > MAX_COMMAND_CHARS:
        raise CommandError(
            f"That command is {len(text):,} characters long; I read commands of up to "
            f"{MAX_COMMAND_CHARS:,} characters. Send just the request, e.g. "
            "`/backfill transfer 456789 for last January`."
        )
    return " ".join(_CONTROLS.sub("", text).split())


def new_reference() -> str:
    """A short id that ties what the user saw to the full log entry."""
    return secrets.token_hex(4)


def unexpected(exc: BaseException, where: str) -> BotError:
    """Log an unexpected failure in full and return the BotError the user will see."""
    reference = new_reference()
    log.error("unexpected error in %s [ref %s]", where, reference, exc_info=exc)
    error = BotError(
        f"Something went wrong on my side (reference `{reference}`). Nothing else was "
        "changed; try again, and if it keeps happening give the reference to whoever runs "
        "the bot."
    )
    error.reference = reference  # type: ignore[attr-defined]
    return error


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Let BotError through; turn anything else into a BotError with a reference id."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except BotError:
            raise
        except Exception as exc:
            raise unexpected(exc, method.__qualname__) from exc

    return wrapper


_COMMANDS = frozenset({"help", "status", "list", "cancel", "setup"})


def _command_name(text: str) -> str:
    """The sub-command a text is (a metrics label): one of ``_COMMANDS``, else ``request``."""
    bare = _LEADING_VERB.sub("", " ".join(text.split()))
    word = bare.partition(" ")[0].lower()
    if not bare or word in {"?", "-h", "--help"}:
        return "help"
    return word if word in _COMMANDS else "request"


def _parse_id(raw: str, command: str) -> int:
    match = _ID.match(raw.strip())
    if not match:
        raise CommandError(
            f"`{command}` needs a request or backfill id, e.g. `/backfill {command} 12`."
        )
    value = int(match.group(1))
    if not 0 < value <= INT64_MAX:
        raise CommandError(
            f"There is no request or backfill {value}: ids are whole numbers from 1 to "
            f"{INT64_MAX}. See `/backfill list` for yours."
        )
    return value


class BackfillService:
    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        dts: DtsClient,
        vault: TokenVault,
        notifier: Notifier,
        clock: Clock,
        announcer: Flusher | None = None,
        directory: Directory | None = None,
    ) -> None:
        if announcer is None:
            from bot.tracking.announcer import Announcer

            announcer = Announcer(
                settings=settings,
                session_factory=session_factory,
                notifier=notifier,
                clock=clock,
            )
        self.deps = Deps(
            settings=settings,
            session_factory=session_factory,
            dts=dts,
            vault=vault,
            notifier=notifier,
            clock=clock,
            announcer=announcer,
            transfers=TransferCache(clock=clock, ttl_seconds=settings.transfer_cache_seconds),
            directory=directory or NoDirectory(),
        )
        self._submission = Submission(self.deps)
        self._intake = Intake(self.deps)
        self._plans = Plans(self.deps, self._submission, post_card=self._intake.cards.post_card)
        self._intake.plans = self._plans.request
        self._retries = FailedDayRetries(self.deps, self._intake.cards, self._intake.checks)
        self._changes = Changes(self.deps)
        self._lookups = Lookups(self.deps)
        self._setup = Setup(self.deps)
        self._recovery = Recovery(self.deps, self._submission, requeue=self._plans.requeue_stuck)
        self._home = Home(self.deps, self._intake)
        self._policies = PolicyAdmin(self.deps)

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    # --- text commands ----------------------------------------------------------------

    def handle_text(self, *, actor: Actor, text: str) -> Reply:
        """Route ``help``, ``status``, ``list``, ``cancel``, ``setup``; else a backfill request."""
        command = _command_name(text)
        try:
            reply = self._handle_text(actor=actor, text=text)
        except BotError as exc:
            # a reference id means our fault (logged in full); without, the person's to fix
            outcome = "error" if getattr(exc, "reference", None) else "refused"
            metrics.current().command(command, outcome)
            raise
        metrics.current().command(command, "ok")
        return reply

    @_guarded
    def _handle_text(self, *, actor: Actor, text: str) -> Reply:
        cleaned = clean_command(text)
        bare = _LEADING_VERB.sub("", cleaned)
        word, _, rest = bare.partition(" ")
        word = word.lower()
        if not bare or word in {"help", "?", "-h", "--help"}:
            return self._lookups.help()
        if word == "status":
            return self._lookups.status(actor, _parse_id(rest, "status"))
        if word == "list" and not rest:
            return self._lookups.list(actor)
        if word == "cancel":
            request_id = _parse_id(rest, "cancel")
            if self._plans.is_plan(request_id) and self._plans.is_running(request_id):
                return self._plans.cancel(actor, request_id, self._changes.cancel_backfill)
            return self._changes.cancel_any(actor, request_id)
        if word == "setup" and not rest:
            return self._setup.open(actor)
        if word == "history":
            return history(self.deps, actor, rest)
        if word == "policy" and not rest:
            return self._policies.show(actor)
        if word == "approve":
            return self.approve(actor=actor, request_id=_parse_id(rest, "approve"))
        if word == "reject":
            raw_id, _, reason = rest.partition(" ")
            return self._submission.approvals.reject(actor, _parse_id(raw_id, "reject"), reason)
        return self._intake.request(actor, cleaned)

    # --- buttons and forms ------------------------------------------------------------

    def confirm(self, *, actor: Actor, request_id: int) -> Reply:
        with log_context(request_id=request_id, slack_team=actor.slack_team_id):
            try:
                reply = self._confirm(actor=actor, request_id=request_id)
            except BotError as exc:
                outcome = "error" if getattr(exc, "reference", None) else "refused"
                metrics.current().confirmation(outcome)
                raise
            metrics.current().confirmation("ok")
            return reply

    @_guarded
    def _confirm(self, *, actor: Actor, request_id: int) -> Reply:
        if self._plans.is_plan(request_id):
            return self._plans.confirm(actor, request_id)
        return self._submission.confirm(actor, request_id)

    @_guarded
    def drop_plan_step(self, *, actor: Actor, request_id: int, step_id: int) -> Reply:
        """A plan's Remove beside a step, before confirmation."""
        return self._plans.drop_step(actor, request_id, step_id)

    @_guarded
    def cancel_blockers_and_confirm(self, *, actor: Actor, request_id: int) -> Reply:
        """A plan's "Cancel #N and submit": cancel the backfills it overlaps, confirm it."""
        return self._plans.confirm(actor, request_id, cancel_blockers=True)

    @_guarded
    def approve(self, *, actor: Actor, request_id: int) -> Reply:
        if self._plans.is_plan(request_id):
            return self._plans.approve(actor, request_id)
        return self._submission.approve(actor, request_id)

    @_guarded
    def check_reject(self, *, actor: Actor, request_id: int) -> str:
        """Refuse early (before the reason form opens); return the request's summary text."""
        req = self._submission.approvals.check_reject(actor, request_id)
        return confirmation_text(req.summary).rstrip("?")

    @_guarded
    def reject(self, *, actor: Actor, request_id: int, reason: str) -> Reply:
        return self._submission.approvals.reject(actor, request_id, reason)

    @_guarded
    def policy_form(self, *, actor: Actor) -> PolicyForm:
        return self._policies.form(actor)

    @_guarded
    def set_policy(self, *, actor: Actor, changes: PolicyChanges) -> Reply:
        return self._policies.change(actor, changes)

    @_guarded
    def dates_form(self, *, actor: Actor, request_id: int) -> DatesForm:
        return self._changes.dates_form(actor, request_id)

    @_guarded
    def edit_dates(self, *, actor: Actor, request_id: int, start: date, end: date) -> Reply:
        return self._changes.edit_dates(actor, request_id, start, end)

    @_guarded
    def dismiss(self, *, actor: Actor, request_id: int) -> Reply:
        return self._changes.dismiss(actor, request_id)

    @_guarded
    def cancel_backfill(self, *, actor: Actor, request_id: int) -> Reply:
        if self._plans.is_plan(request_id):
            return self._plans.cancel(actor, request_id, self._changes.cancel_backfill)
        return self._changes.cancel_backfill(actor, request_id)

    @_guarded
    def choose_transfer(self, *, actor: Actor, request_id: int, transfer_id: int) -> Reply:
        return self._intake.choose_transfer(actor, request_id, transfer_id)

    @_guarded
    def retry_failed_days(self, *, actor: Actor, request_id: int) -> Reply:
        if self._plans.is_plan(request_id):
            # one Retry for the whole plan: the failed days of every step
            texts = [
                self._retries.retry_failed_days(actor, step_id).text
                for step_id in self._plans.steps_with_failures(request_id)
            ]
            return Reply(text=" ".join(texts) or "No step of this plan has failed days.")
        return self._retries.retry_failed_days(actor, request_id)

    @_guarded
    def set_token(self, *, actor: Actor, supermetrics_team_id: int, token: str) -> Reply:
        return self._setup.set_token(actor, supermetrics_team_id, token)

    @_guarded
    def expire_due(self) -> int:
        return self._changes.expire_due()

    # --- the App Home and the New backfill form --------------------------------------------

    @_guarded
    def home_view(self, *, actor: Actor) -> dict[str, Any]:
        """The actor's App Home: their running and recent backfills, the others, setup."""
        return self._home.view(actor)

    @_guarded
    def has_token(self, *, actor: Actor) -> bool:
        return self._home.has_token(actor)

    @_guarded
    def transfer_options(self, *, actor: Actor, typed: str) -> list[tuple[int, str]]:
        """(id, name) of the workspace's transfers matching what was typed (empty: none)."""
        return self._home.transfer_options(actor, typed)

    @_guarded
    def preview_range(self, *, actor: Actor, typed: str, transfer_id: int | None) -> RangePreview:
        return self._home.preview(actor, typed, transfer_id)

    @_guarded
    def check_days(self, *, actor: Actor, start: date, end: date) -> str | None:
        return self._home.check_days(actor, start, end)

    @_guarded
    def request_from_form(
        self,
        *,
        actor: Actor,
        transfer_id: int,
        range_text: str | None = None,
        days: Sequence[date] = (),
    ) -> Reply:
        """The form's request: the same card as ``/backfill transfer <id> <range>``."""
        return self._home.submit(actor, transfer_id=transfer_id, range_text=range_text, days=days)

    # --- housekeeping (the tracker's tick) ----------------------------------------------

    @_guarded
    def recover_stuck_submissions(self, *, older_than_seconds: float | None = None) -> int:
        """Settle requests left SUBMITTING by a dead process (see ``bot.service.recovery``).

        Older than ``older_than_seconds`` (default ``settings.submit_recovery_seconds``):
        SUBMITTED when Supermetrics has the backfill, else PENDING with Retry. Returns how
        many requests moved; safe to call from several processes at once.
        """
        return self._recovery.recover_stuck_submissions(older_than_seconds=older_than_seconds)

    @_guarded
    def advance_plans(self) -> int:
        """Submit the plan steps whose turn has come (see ``bot.service.plans``); the
        tracker calls this each tick, after it observed backfills end."""
        return self._plans.advance_all()
