"""The App Home tab: published when a person opens it, and again (throttled per person)
when one of their backfills changes status; its buttons open the form and the setup.

``HomeRefresher.changed`` is what the announcers are given as ``on_status_change`` (the
tracker knows nothing of Slack): it only schedules. At most one publish per person is
waiting at a time, and publishes of one person are ``HOME_REFRESH_SECONDS`` apart, so a
burst of changes ends in one refresh showing the last of them.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_bolt import App

from bot.errors import BotError, CommandError
from bot.messages import ids
from bot.messages.modals import setup_view
from bot.service import OPEN_SETUP, BackfillService
from bot.slack.installations import TeamClients
from bot.slack.listener_kit import Body, Listeners, acked_then
from bot.slack.responder import Responder, Where, where_from_body
from bot.slack.slack_directory import SlackDirectory
from bot.slack.slack_notifier import SlackNotifier
from bot.slack.user_directory import UserDirectory

if TYPE_CHECKING:
    from bot.tracking.tracker import Tracker

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (slack team, user)
FLUSH_TIMEOUT_SECONDS = 30.0  # a publish is a few Slack calls of 10 s at most
_HOME_CANCEL = re.compile(rf"^{re.escape(ids.ACTION_HOME_CANCEL)}:\d+$")


class HomeRefresher:
    def __init__(
        self,
        publish: Callable[[str, str], None],
        *,
        interval: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publish = publish
        self._interval = interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last: dict[Key, float] = {}
        self._pending: dict[Key, threading.Timer] = {}
        self._started: dict[Key, threading.Timer] = {}  # publishing now
        self._closed = False

    def now(self, team_id: str, user_id: str) -> None:
        """Publish at once, on this thread (someone opened the tab)."""
        self._run((team_id, user_id))

    def changed(self, team_id: str, user_id: str) -> None:
        """Publish soon: at once if the last one is old enough, else once it is."""
        key = (team_id, user_id)
        with self._lock:
            if self._closed or key in self._pending:
                return  # the publish already waiting will show this change too
            last = self._last.get(key)
            wait = 0.0 if last is None else max(0.0, last + self._interval - self._monotonic())
            timer = threading.Timer(wait, lambda: self._fire(key, timer))
            timer.daemon = True
            timer.name = f"home-{user_id}"
            self._pending[key] = timer
        timer.start()

    def pending(self) -> int:
        """How many publishes are waiting."""
        with self._lock:
            return len(self._pending)

    def flush(self, timeout: float = FLUSH_TIMEOUT_SECONDS) -> None:
        """Publish what is waiting now and let publishes under way end (a process about to
        stop: its timer threads are daemons)."""
        with self._lock:
            waiting = list(self._pending.items())
        for key, timer in waiting:
            timer.cancel()
            self._fire(key, timer)
        with self._lock:
            running = list(self._started.values())
        deadline = time.monotonic() + timeout
        for timer in running:
            timer.join(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            timers = list(self._pending.values())
            self._pending.clear()
        for timer in timers:
            timer.cancel()

    def _fire(self, key: Key, timer: threading.Timer) -> None:
        """Publish for ``key`` unless that timer's publish was taken (by ``flush``)."""
        with self._lock:
            if self._pending.get(key) is not timer:
                return
            del self._pending[key]
            self._started[key] = timer
        try:
            self._run(key)
        finally:
            with self._lock:
                if self._started.get(key) is timer:
                    del self._started[key]

    def _run(self, key: Key) -> None:
        with self._lock:
            self._last[key] = self._monotonic()
        try:
            self._publish(*key)
        except Exception as exc:
            level = logging.INFO if isinstance(exc, BotError) else logging.ERROR
            log.log(level, "publishing the Home of %s failed: %s", key[1], exc, exc_info=False)


def home_publisher(
    service: BackfillService, responder: Responder, notifier: SlackNotifier
) -> Callable[[str, str], None]:
    """Build and publish one person's Home (their admin flag and timezone from users.info)."""

    def publish(team_id: str, user_id: str) -> None:
        actor = responder.actor(Where("other", team_id, user_id, ""))
        view = service.home_view(actor=actor)
        notifier.publish_home(slack_team_id=team_id, user=user_id, view=view)

    return publish


def watch_homes(tracker: Tracker, clients: TeamClients) -> HomeRefresher:
    """A tracker that announces (``python -m bot worker``) also refreshes the Homes of the
    people whose backfills changed status, as ``serve`` does; ``close()`` when done."""
    notifier = SlackNotifier(clients)
    service = BackfillService(
        settings=tracker.settings,
        session_factory=tracker.session_factory,
        dts=tracker.dts,
        vault=tracker.vault,
        notifier=notifier,
        clock=tracker.clock,
        announcer=tracker.announcer,
        directory=SlackDirectory(clients),  # the Home shows what list would, no more
    )
    responder = Responder(client=clients, notifier=notifier, users=UserDirectory(clients))
    refresher = HomeRefresher(
        home_publisher(service, responder, notifier),
        interval=tracker.settings.home_refresh_seconds,
    )
    tracker.announcer.on_status_change = refresher.changed
    return refresher


def register(app: App, ls: Listeners, home: HomeRefresher) -> None:
    def opened(body: Body) -> None:
        event = body.get("event") or {}
        if event.get("tab") != "home":
            return  # the Messages tab: nothing to show
        team = str(body.get("team_id") or "")
        user = str(event.get("user") or "")
        ls.later(body, lambda: home.now(team, user))

    app.event("app_home_opened")(acked_then(opened))

    def open_setup(body: Body) -> None:
        def work() -> None:
            where = where_from_body(body)
            # the command's own check: only admins get the form, others hear why
            reply = ls.service.handle_text(actor=ls.responder.actor(where), text="setup")
            if reply.opens != OPEN_SETUP:
                ls.responder.show(where, reply)
                return
            ls.responder.open_view(
                str(body.get("trigger_id") or ""),
                setup_view(channel_id=where.channel_id),
                team_id=where.team_id,
            )

        ls.later(body, work)

    app.action(ids.ACTION_OPEN_SETUP)(acked_then(open_setup))

    def cancel(body: Body) -> None:
        def work() -> None:
            where = where_from_body(body)
            raw = str(((body.get("actions") or [{}])[0]).get("value") or "")
            if not raw.isdigit():
                raise CommandError("That button carries no request id; open the Home again.")
            reply = ls.service.cancel_backfill(actor=ls.responder.actor(where), request_id=int(raw))
            ls.responder.show(where, reply)
            home.changed(where.team_id, where.user_id)

        ls.later(body, work)

    app.action(_HOME_CANCEL)(acked_then(cancel))
