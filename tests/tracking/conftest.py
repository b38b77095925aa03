"""Fixtures for the tracker: a frozen clock driving the DTS simulator, FakeSlack over HTTP,
a migrated SQLite file, and helpers that submit backfills the way the service does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.config import Settings
from bot.messages.blocks import submitted_card
from bot.service.background import attach_recovery
from bot.simulator.server import DtsSimulator, RunningSimulator
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from bot.store.db import session_scope
from bot.store.models import RequestState
from bot.store.queries import (
    create_request,
    get_request,
    set_workspace_token,
    transition,
    update_request,
)
from bot.supermetrics.client import DtsClient
from bot.tracking.polling_client import build_polling_client
from bot.tracking.tracker import Tracker
from bot.vault import TokenVault
from tests.support.fake_slack import FakeSlack, FakeUser
from tests.support.postgres import postgres_schema
from tests.support.world import build_world, world_settings

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
TEAM = "T1"
CHANNEL = "C1"
USER = "U1"
SM_TEAM = 1
SM_TOKEN = "demo-token"
TRANSFER = 456789


@dataclass
class Submitted:
    request_id: int
    backfill_id: int
    channel: str
    ts: str


@dataclass
class TrackerEnv:
    clock: FrozenClock
    sim: DtsSimulator
    running: RunningSimulator
    slack: FakeSlack
    settings: Settings
    session_factory: Any
    vault: TokenVault
    dts: DtsClient
    notifier: SlackNotifier
    tracker: Tracker
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    # ------------------------------------------------------------------ set-up
    def add_workspace(self, slack_team_id: str, sm_team_id: int, token: str) -> None:
        with session_scope(self.session_factory) as session:
            set_workspace_token(
                session,
                slack_team_id=slack_team_id,
                supermetrics_team_id=sm_team_id,
                token_ciphertext=self.vault.encrypt(token),
                set_by=USER,
                now=self.clock.now(),
            )

    def confirmed(
        self,
        start: date = date(2026, 1, 1),
        end: date = date(2026, 1, 3),
        *,
        transfer_id: int = TRANSFER,
        transfer_name: str | None = "Facebook Ads - daily",
        slack_team_id: str = TEAM,
        channel: str = CHANNEL,
        user: str = USER,
    ) -> tuple[int, str]:
        """A request with its card, moved to SUBMITTING by a Confirm; returns (id, card ts)."""
        now = self.clock.now()
        days = (end - start).days + 1
        with session_scope(self.session_factory) as session:
            request = create_request(
                session,
                slack_team_id=slack_team_id,
                channel_id=channel,
                user_id=user,
                user_tz="UTC",
                text=f"transfer {transfer_id} from {start} to {end}",
                transfer_id=transfer_id,
                transfer_name=transfer_name,
                range_start=start,
                range_end=end,
                days=days,
                notes=[],
                now=now,
                expires_at=now + timedelta(hours=24),
            )
            request_id = request.id
        ts = self.notifier.post(
            slack_team_id=slack_team_id, channel=channel, text="Backfill request (confirm?)"
        )
        with session_scope(self.session_factory) as session:
            update_request(
                session,
                request_id=request_id,
                now=now,
                values={"message_channel": channel, "message_ts": ts},
            )
            assert transition(
                session,
                request_id=request_id,
                expected=RequestState.PENDING,
                to=RequestState.SUBMITTING,
                actor=user,
                now=now,
                values={"confirmed_by": user},
            )
        return request_id, ts

    def submit(
        self,
        start: date = date(2026, 1, 1),
        end: date = date(2026, 1, 3),
        *,
        transfer_id: int = TRANSFER,
        transfer_name: str | None = "Facebook Ads - daily",
        slack_team_id: str = TEAM,
        channel: str = CHANNEL,
        user: str = USER,
        sm_team_id: int = SM_TEAM,
        token: str = SM_TOKEN,
        flush: bool = True,
    ) -> Submitted:
        """What the service does on Confirm: card, SUBMITTING, API create, SUBMITTED + flush."""
        request_id, ts = self.confirmed(
            start,
            end,
            transfer_id=transfer_id,
            transfer_name=transfer_name,
            slack_team_id=slack_team_id,
            channel=channel,
            user=user,
        )
        now = self.clock.now()
        days = (end - start).days + 1
        backfill = self.dts.team(team_id=sm_team_id, token=token).create_backfill(
            transfer_id=transfer_id, range_start=start, range_end=end
        )
        with session_scope(self.session_factory) as session:
            assert transition(
                session,
                request_id=request_id,
                expected=RequestState.SUBMITTING,
                to=RequestState.SUBMITTED,
                actor=user,
                now=now,
                announce=True,
                values={
                    "backfill_id": backfill.backfill_id,
                    "dts_status": backfill.status.value,
                    "runs_total": backfill.runs_total,
                    "runs_created": backfill.runs_created,
                    "runs_completed": backfill.runs_completed,
                    "runs_failed": backfill.runs_failed,
                    "next_poll_at": now + timedelta(seconds=self.settings.poll_min_seconds),
                },
                payload={"backfill_id": backfill.backfill_id, "status": backfill.status.value},
            )
        self.notifier.update(
            slack_team_id=slack_team_id,
            channel=channel,
            ts=ts,
            text="submitted",
            blocks=submitted_card(
                request_id=request_id,
                transfer_id=transfer_id,
                transfer_name=transfer_name,
                range_start=start,
                range_end=end,
                days=days,
                requester=user,
                confirmed_by=user,
                backfill_id=backfill.backfill_id,
                status=backfill.status.value,
                runs_total=backfill.runs_total,
                runs_completed=0,
                runs_failed=0,
                notes=[],
                can_cancel=True,
            ),
        )
        if flush:
            self.tracker.announcer.flush(request_id=request_id)
        return Submitted(request_id, backfill.backfill_id, channel, ts)

    # ------------------------------------------------------------------ driving
    def tick(self, seconds: float = 0.0, tracker: Tracker | None = None) -> int:
        if seconds:
            self.clock.advance(seconds)
        return (tracker or self.tracker).run_once()

    def run_until(
        self,
        done: Callable[[], bool],
        *,
        step: float = 5.0,
        max_steps: int = 400,
        tracker: Tracker | None = None,
    ) -> int:
        """Advance the clock a step at a time, ticking, until ``done()``; return the steps."""
        for steps in range(1, max_steps + 1):
            self.tick(step, tracker)
            if done():
                return steps
        raise AssertionError(f"not done after {max_steps} steps of {step}s")

    # ------------------------------------------------------------------ looking
    def request(self, request_id: int) -> Any:
        with session_scope(self.session_factory) as session:
            row = get_request(session, request_id=request_id)
            assert row is not None
            session.expunge(row)
            return row

    def state(self, request_id: int) -> RequestState:
        return RequestState(self.request(request_id).state)

    def replies(self, sub: Submitted) -> list[str]:
        row = self.request(sub.request_id)
        thread = row.thread_ts or row.message_ts
        return [msg["text"] for msg in self.slack.thread(row.message_channel, thread)]

    def card(self, sub: Submitted) -> dict[str, Any]:
        row = self.request(sub.request_id)
        msg = self.slack.message(row.message_channel, row.message_ts)
        assert msg is not None
        return msg

    def card_updates(self, sub: Submitted) -> list[dict[str, Any]]:
        """chat.update calls for this card that Slack accepted, in order."""
        return [
            call.args
            for call in self.slack.calls_to("chat.update")
            if call.ok and call.args.get("ts") == sub.ts
        ]


def card_text(message: dict[str, Any]) -> str:
    """Every text in a message's blocks, joined (what a person reads on the card)."""
    parts: list[str] = []
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") in {"mrkdwn", "plain_text"}:
                parts.append(element.get("text", ""))
    return "\n".join(parts)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(action_id, value) of every button in a message."""
    found = []
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                found.append((element.get("action_id"), element.get("value")))
    return found


# what the tracker tests run with unless a module overrides it (tracker_settings_overrides)
TRACKER_DEFAULTS: dict[str, Any] = {
    "poll_min_seconds": 5.0,
    "poll_max_seconds": 60.0,
    "progress_reply_interval_seconds": 60.0,
    "tracker_lease_seconds": 30.0,
    "tracker_max_failures": 3,
}


def make_settings(
    tmp_path: Path, *, api_url: str, slack_url: str, token: str, **extra: Any
) -> Settings:
    return world_settings(
        tmp_path,
        api_url=api_url,
        slack_api_url=slack_url,
        slack_bot_token=token,
        **{**TRACKER_DEFAULTS, **extra},
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def tracker_settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the settings the env is built with."""
    return {}


@pytest.fixture
def env(
    tmp_path: Path, clock: FrozenClock, tracker_settings_overrides: dict[str, Any]
) -> Iterator[TrackerEnv]:
    world = build_world(
        tmp_path,
        clock=clock,
        slack_users=[FakeUser(USER, tz="UTC"), FakeUser("U2")],
        sim_token=SM_TOKEN,
        sim_team_id=SM_TEAM,
        **{**TRACKER_DEFAULTS, **tracker_settings_overrides},
    )
    assert world.slack is not None
    try:
        settings = world.settings
        dts = build_polling_client(settings, clock=clock)
        notifier = SlackNotifier(build_web_client(settings))
        tracker = attach_recovery(
            Tracker(
                settings=settings,
                session_factory=world.session_factory,
                dts=dts,
                vault=world.vault,
                notifier=notifier,
                clock=clock,
                owner="worker-a",
            )
        )
        environment = TrackerEnv(
            clock=clock,
            sim=world.sim,
            running=world.running,
            slack=world.slack,
            settings=settings,
            session_factory=world.session_factory,
            vault=world.vault,
            dts=dts,
            notifier=notifier,
            tracker=tracker,
        )
        environment.add_workspace(TEAM, SM_TEAM, SM_TOKEN)
        yield environment
        for cleanup in environment.cleanups:
            cleanup()
        dts.close()
    finally:
        world.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    with postgres_schema("tracker") as url:
        yield url
