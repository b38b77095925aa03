"""Seeded random scenarios against a ChaosWorld, and the invariants checked after each.

A scenario is a list of steps drawn from ``random.Random(seed)``: requests by slash
command or @mention (Slack retrying the event), Slack 429 / 5xx / late answers on the
card and on thread replies, DTS 429 / 5xx / late answers / broken JSON before and after
a create lands, one to three concurrent Confirm clicks (double clicks) with a Cancel
racing them, Retry after a failed submit, DTS outages while tracking, and a restart of
the tracker (kill -9 of the worker process on PostgreSQL) at a random point. The same
seed gives the same steps, so a failure replays (``CHAOS_SEED=<seed>``).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.messages import ids
from bot.messages.status_updates import REPLY_STATES
from bot.store.db import session_scope
from bot.store.models import FINAL_STATES, TRACKED_STATES, BackfillRequest, RequestEvent
from bot.store.models import RequestState as S
from tests.chaos.world import (
    ADMIN,
    ALICE,
    CHANNEL,
    DTS_TOKEN,
    SIGNING_SECRET,
    SLACK_TOKEN,
    TEAM,
    ChaosWorld,
)
from tests.support import signing
from tests.support.waiting import wait_for

TRANSFERS = (456789, 456790, 456791)
SETTLE_SECONDS = 60.0
# states a request may rest in once nothing more happens (PENDING: waiting for a person)
RESTING = {*FINAL_STATES, S.PENDING, S.DISMISSED, S.EXPIRED, S.REJECTED}


@dataclass
class Plan:
    """One request's fate, drawn from the seed."""

    transfer_id: int
    entry: str  # command | mention | mention_retried
    card_fault: str | None  # 429 | 500 | late
    dts_create_fault: str | None  # 429 | 500 | delay | bad_json
    reply_fault: str | None  # 500 | 429 | late
    poll_outage: int  # DTS 500s while tracking
    clicks: int  # concurrent Confirm clicks
    clicker_is_admin: bool
    cancel_races: bool
    retry_after_failure: bool


@dataclass
class Scenario:
    seed: int
    plans: list[Plan]
    restart_after: int | None  # restart the tracker after this request (None: never)
    steps: list[str] = field(default_factory=list)
    settled: bool = False

    @classmethod
    def draw(cls, seed: int) -> Scenario:
        rng = random.Random(seed)
        count = rng.randint(1, 3)
        plans = [
            Plan(
                transfer_id=TRANSFERS[n],
                entry=rng.choice(["command", "command", "mention", "mention_retried"]),
                card_fault=rng.choice([None, None, None, "429", "500", "late"]),
                dts_create_fault=rng.choice([None, None, "429", "500", "delay", "bad_json"]),
                reply_fault=rng.choice([None, None, "500", "429", "late"]),
                poll_outage=rng.choice([0, 0, 1, 2, 4]),
                clicks=rng.randint(1, 3),
                clicker_is_admin=rng.random() < 0.3,
                cancel_races=rng.random() < 0.15,
                retry_after_failure=rng.random() < 0.8,
            )
            for n in range(count)
        ]
        restart = rng.randrange(count) if rng.random() < 0.4 else None
        return cls(seed=seed, plans=plans, restart_after=restart)

    def describe(self) -> str:
        return f"seed {self.seed}: " + "; ".join(self.steps)


def run(world: ChaosWorld, scenario: Scenario) -> None:
    """Play the scenario, then wait until nothing more happens (bounded)."""
    for number, plan in enumerate(scenario.plans):
        _play(world, scenario, plan, number)
        if scenario.restart_after == number:
            scenario.steps.append("restart tracker")
            world.stop_tracker()
            world.start_tracker()
    _settle(world, scenario)


def _play(world: ChaosWorld, scenario: Scenario, plan: Plan, number: int) -> None:
    steps = scenario.steps
    if plan.card_fault == "429":
        world.fake.rate_limit_next("chat.postMessage", retry_after=1, count=2)
    elif plan.card_fault == "500":
        world.fake.fail_next("chat.postMessage", "internal_error", count=3, status=500)
    elif plan.card_fault == "late":
        world.fake.answer_late_next("chat.postMessage", 1.5)
    text = f"transfer {plan.transfer_id} for last month"
    steps.append(f"#{number} {plan.entry} ({plan.card_fault or 'card ok'})")
    name = f"req-{number}"
    if plan.entry == "command":
        signing.slash_command(
            world.url,
            SIGNING_SECRET,
            text=text,
            user_id=ALICE.user_id,
            team_id=TEAM,
            channel_id=CHANNEL,
            response_url=world.fake.response_url(name, channel=CHANNEL),
            client=world.http,
        )
    else:
        event = signing.app_mention(
            user_id=ALICE.user_id,
            channel_id=CHANNEL,
            text=f"<@U0BOT> {text}",
            ts=f"1770735600.{number:06d}",
        )
        for retry in (None, 1) if plan.entry == "mention_retried" else (None,):
            signing.event(
                world.url,
                SIGNING_SECRET,
                event=event,
                team_id=TEAM,
                event_id=f"Ev{scenario.seed}x{number}",
                retry_num=retry,
                client=world.http,
            )
    row = wait_for(
        lambda: _card_or_closed(world, plan.transfer_id), timeout=60, what="the card (or a close)"
    )
    if row.state is not S.PENDING:
        steps.append(f"#{number} closed: {row.state}")
        return
    _confirm(world, scenario, plan, number, row)


def _card_or_closed(world: ChaosWorld, transfer_id: int) -> BackfillRequest | None:
    with session_scope(world.runtime.session_factory) as session:
        rows = list(
            session.query(BackfillRequest).filter(BackfillRequest.transfer_id == transfer_id)
        )
        for row in rows:
            session.expunge(row)
    if len(rows) > 1:
        raise AssertionError(f"one request made {len(rows)} rows (a retried event twice?)")
    if rows and (rows[0].message_ts or rows[0].state is not S.PENDING):
        return rows[0]
    return None


def _confirm(
    world: ChaosWorld, scenario: Scenario, plan: Plan, number: int, row: BackfillRequest
) -> None:
    steps = scenario.steps
    fault = plan.dts_create_fault
    if fault in {"429", "500", "bad_json"}:
        world.sim.inject(fault, retry_after=1)  # type: ignore[arg-type]
    elif fault == "delay":
        world.sim.inject("delay", delay=1.0)  # the create lands; its answer is late
    if plan.reply_fault == "500":
        world.fake.fail_next("chat.postMessage", "internal_error", count=4, status=500)
    elif plan.reply_fault == "429":
        world.fake.rate_limit_next("chat.postMessage", retry_after=0, count=2)
    elif plan.reply_fault == "late":
        world.fake.answer_late_next("chat.postMessage", 1.5)
    user = ADMIN if plan.clicker_is_admin else ALICE
    steps.append(
        f"#{number} dts {fault or 'ok'}, replies {plan.reply_fault or 'ok'}, "
        f"{plan.clicks} click(s){' + cancel' if plan.cancel_races else ''}"
    )
    _clicks(world, row, user, plan)
    settled = wait_for(
        lambda: _moved(world, row.id, row.version),
        timeout=60,
        what=f"request {row.id} to be confirmed and leave SUBMITTING",
    )
    if settled.state is S.PENDING and plan.retry_after_failure:
        steps.append(f"#{number} retry")
        _click(world, ids.ACTION_RETRY_SUBMIT, row, user)
        wait_for(
            lambda: _moved(world, row.id, settled.version), timeout=60, what="the retry to settle"
        )
    if plan.poll_outage:
        steps.append(f"#{number} DTS outage x{plan.poll_outage}")
        world.sim.inject("500", count=plan.poll_outage)


def _clicks(world: ChaosWorld, row: BackfillRequest, user: Any, plan: Plan) -> None:
    start = threading.Barrier(plan.clicks + (1 if plan.cancel_races else 0))

    def click(action: str) -> None:
        start.wait(timeout=10)
        _click(world, action, row, user)

    threads = [
        threading.Thread(target=click, args=(ids.ACTION_CONFIRM,)) for _ in range(plan.clicks)
    ]
    if plan.cancel_races:
        threads.append(threading.Thread(target=click, args=(ids.ACTION_DISMISS,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def _click(world: ChaosWorld, action: str, row: BackfillRequest, user: Any) -> None:
    import httpx

    with httpx.Client(timeout=10.0) as client:
        ack = signing.block_action(
            world.url,
            SIGNING_SECRET,
            action_id=action,
            value=str(row.id),
            user_id=user.user_id,
            team_id=TEAM,
            channel_id=CHANNEL,
            message_ts=row.message_ts or "",
            client=client,
        )
    assert ack.status_code == 200, ack.status_code


def _request(world: ChaosWorld, request_id: int) -> BackfillRequest:
    with session_scope(world.runtime.session_factory) as session:
        row = session.get(BackfillRequest, request_id)
        assert row is not None
        session.expunge(row)
        return row


def _moved(world: ChaosWorld, request_id: int, version: int) -> BackfillRequest | None:
    """The request once a click changed it (past ``version``) and it left SUBMITTING."""
    row = _request(world, request_id)
    return None if row.version <= version or row.state is S.SUBMITTING else row


def _quiet(world: ChaosWorld) -> bool:
    with session_scope(world.runtime.session_factory) as session:
        busy = (
            session.query(BackfillRequest)
            .filter(BackfillRequest.state.not_in(list(RESTING)))
            .count()
        )
        unannounced = (
            session.query(RequestEvent)
            .filter(RequestEvent.needs_announcement.is_(True), RequestEvent.announced_at.is_(None))
            .count()
        )
        late_lookups = (
            session.query(BackfillRequest)
            .filter(BackfillRequest.state == S.PENDING, BackfillRequest.next_poll_at.is_not(None))
            .count()
        )
    return busy == 0 and unannounced == 0 and late_lookups == 0 and world.wsgi.bot.work.pending == 0


def _settle(world: ChaosWorld, scenario: Scenario) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        if _quiet(world):
            # quiet twice, a tick apart: nothing was mid-flight between two reads
            time.sleep(0.2)
            if _quiet(world):
                scenario.settled = True
                return
        time.sleep(0.05)
    scenario.steps.append(f"not quiet after {SETTLE_SECONDS:g} s")


# --- invariants ------------------------------------------------------------------------


def violations(world: ChaosWorld, scenario: Scenario) -> list[str]:
    """Everything that must hold after any scenario; [] when it all does."""
    # every fault here is transient: once it passes, everything must come to rest
    found: list[str] = [] if scenario.settled else [f"not settled after {SETTLE_SECONDS:g} s"]
    with session_scope(world.runtime.session_factory) as session:
        requests = list(session.query(BackfillRequest).order_by(BackfillRequest.id))
        events = list(session.query(RequestEvent).order_by(RequestEvent.id))
        for row in [*requests, *events]:
            session.expunge(row)
    found += _one_backfill_per_confirmation(world, requests)
    found += _every_change_announced_once(world, events)
    found += _nothing_stuck(requests)
    found += _no_secret_anywhere(world)
    return found


def _one_backfill_per_confirmation(world: ChaosWorld, requests: list[BackfillRequest]) -> list[str]:
    found = []
    made = Counter((b.transfer_id, b.range_start, b.range_end) for b in world.sim.backfills())
    for key, count in made.items():
        if count > 1:
            found.append(f"{count} backfills of transfer {key[0]} for {key[1]}..{key[2]}")
    owned = Counter(r.backfill_id for r in requests if r.backfill_id is not None)
    for backfill_id, count in owned.items():
        if count > 1:
            found.append(f"backfill {backfill_id} owned by {count} requests")
    orphans = {b.backfill_id for b in world.sim.backfills()} - set(owned)
    if orphans:
        found.append(f"backfills nobody tracks: {sorted(orphans)}")
    return found


def _markers(world: ChaosWorld) -> Counter[str]:
    markers: Counter[str] = Counter()
    for message in world.channel_messages():
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        marker = payload.get("marker")
        if isinstance(marker, str) and "-event-" in marker:
            markers[marker] += 1
    return markers


def _every_change_announced_once(world: ChaosWorld, events: list[RequestEvent]) -> list[str]:
    found = []
    markers = _markers(world)
    for marker, count in markers.items():
        if count > 1:
            found.append(f"{marker} posted {count} times")
    for event in events:
        if event.needs_announcement and event.announced_at is None:
            found.append(f"event {event.id} ({event.kind}) of request {event.request_id} unposted")
        if event.kind == "state" and event.needs_announcement and event.to_state in REPLY_STATES:
            marker = f"request-{event.request_id}-event-{event.id}"
            if markers[marker] != 1:
                found.append(f"status {event.to_state} ({marker}) posted {markers[marker]} times")
    return found


def _nothing_stuck(requests: list[BackfillRequest]) -> list[str]:
    found = []
    for row in requests:
        if row.state in RESTING:
            continue
        if row.state is S.SUBMITTING:
            continue  # the recovery pass settles it (no next step needed from the row)
        if row.state in TRACKED_STATES and row.next_poll_at is not None:
            continue
        found.append(f"request {row.id} stuck in {row.state} with nothing scheduled")
    return found


def _no_secret_anywhere(world: ChaosWorld) -> list[str]:
    secrets = {
        "the DTS token": DTS_TOKEN,
        "the signing secret": SIGNING_SECRET,
        "the Slack bot token": SLACK_TOKEN,
        "the encryption key": world.key,
    }
    found = []
    logs = world.all_log_text()
    slack = "\n".join(
        [str(call.args) + str(call.response) for call in world.fake.calls]
        + [str(post.body) for post in world.fake.responses]
    )
    for name, secret in secrets.items():
        if secret in logs:
            found.append(f"{name} in a log line")
        if secret in slack:
            found.append(f"{name} in a Slack message")
    return found
