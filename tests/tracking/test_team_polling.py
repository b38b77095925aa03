"""Team-batched polling against the simulator: one list call per team and tick, a GET only
for a backfill that left the list, cancellations from the Hub, a 429 on one team's list."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from bot.simulator.state import DEFAULT_TRANSFERS
from bot.store.db import session_scope
from bot.store.models import BACKFILL_FINAL_STATES, RequestState, TeamPoll
from bot.supermetrics.models import INCOMPLETE_STATUSES
from bot.tracking.team_queries import claim_teams
from bot.tracking.tracker import Tracker
from tests.tracking.conftest import SM_TEAM, TrackerEnv

LIST = "/v1/teams/{team}/backfills"
TRANSFERS = (456789, 456790, 456791, 456792)


def _listed_now(env: TrackerEnv) -> set[int]:
    """What the team list shows at the clock's time: the 100 newest incomplete."""
    incomplete = [b for b in env.sim.backfills() if b.status in INCOMPLETE_STATUSES]
    incomplete.sort(key=lambda b: (b.created_time, b.backfill_id), reverse=True)
    return {b.backfill_id for b in incomplete[:100]}


def _single_gets(calls: list[tuple[str, str]], team: int = SM_TEAM) -> list[int]:
    prefix = LIST.format(team=team) + "/"
    return [
        int(path[len(prefix) :])
        for method, path in calls
        if method == "GET" and path.startswith(prefix)
    ]


def _list_calls(calls: list[tuple[str, str]], team: int = SM_TEAM) -> int:
    return sum(1 for call in calls if call == ("GET", LIST.format(team=team)))


def test_150_backfills_one_list_call_per_tick_and_a_get_only_for_those_that_left(
    env: TrackerEnv,
) -> None:
    env.sim.rate_limit = 10**9  # this test counts calls; budgets are test_api_trouble's
    subs = []
    for n in range(150):
        first = date(2025, 1, 1) + timedelta(days=4 * (n // len(TRANSFERS)))
        days = 1 + n % 3  # 1-3 daily runs: they end at different times
        subs.append(
            env.submit(
                first,
                first + timedelta(days=days - 1),
                transfer_id=TRANSFERS[n % len(TRANSFERS)],
                transfer_name=None,
                flush=False,
            )
        )
    ids = [sub.backfill_id for sub in subs]
    newest = set(ids[-100:])  # always in the list while they are incomplete
    gets: Counter[int] = Counter()
    ticks = lists = 0
    while not all(env.state(sub.request_id) in BACKFILL_FINAL_STATES for sub in subs):
        ticks += 1
        assert ticks <= 60, "not done after 60 ticks"
        env.clock.advance(5)
        in_list = _listed_now(env)
        before = len(env.sim.calls)
        env.tracker.run_once()
        calls = env.sim.calls[before:]
        lists += _list_calls(calls)
        assert _list_calls(calls) <= 1, "more than one list call in a tick"
        tick_gets = _single_gets(calls)
        # every single read is of a backfill the list did not show: it left, or is past 100
        assert not set(tick_gets) & in_list, (ticks, sorted(set(tick_gets) & in_list))
        gets.update(tick_gets)
    assert lists >= 1
    # the newest hundred were always listed while incomplete: one read each, after it left
    assert all(gets[backfill_id] == 1 for backfill_id in newest), {
        b: gets[b] for b in newest if gets[b] != 1
    }
    # the older fifty were read on their own only while past the hundred, then once more
    assert sum(gets.values()) < 3 * len(subs)
    assert all(env.state(sub.request_id) is RequestState.COMPLETED for sub in subs)
    env.tick(1)
    for sub in subs[::15]:
        replies = env.replies(sub)
        assert sum(":white_check_mark:" in reply for reply in replies) == 1, replies


def test_a_backfill_cancelled_in_the_hub_is_announced_as_cancelled_once(env: TrackerEnv) -> None:
    subs = [
        env.submit(
            date(2026, 1, 1) + timedelta(days=20 * n), date(2026, 1, 15) + timedelta(days=20 * n)
        )
        for n in range(3)
    ]
    hub = subs[1]
    env.run_until(lambda: env.state(hub.request_id) is RequestState.RUNNING)
    before = len(env.sim.calls)
    env.sim.cancel(hub.backfill_id)  # someone cancels it in the Supermetrics Hub
    env.run_until(lambda: env.state(hub.request_id) is RequestState.CANCELLED)
    for _ in range(10):
        env.tick(5)
    replies = env.replies(hub)
    cancelled = [reply for reply in replies if reply.startswith(":no_entry_sign:")]
    assert len(cancelled) == 1, replies
    assert f"Backfill #{hub.backfill_id} was cancelled" in cancelled[0]
    # it left the list: read on its own once, and never again
    assert _single_gets(env.sim.calls[before:]).count(hub.backfill_id) == 1
    # the others carry on, seen in the list
    assert all(env.state(s.request_id) is RequestState.RUNNING for s in (subs[0], subs[2]))


def test_a_429_on_one_teams_list_pauses_only_that_team(env: TrackerEnv) -> None:
    env.sim.add_team(2, token="team-two-token", transfers=DEFAULT_TRANSFERS)
    env.add_workspace("T2", 2, "team-two-token")
    ones = [
        env.submit(
            date(2026, 1, 1) + timedelta(days=20 * n), date(2026, 1, 15) + timedelta(days=20 * n)
        )
        for n in range(2)
    ]
    two = env.submit(
        date(2026, 1, 1),
        date(2026, 1, 15),
        slack_team_id="T2",
        sm_team_id=2,
        token="team-two-token",
    )
    env.tick(5)
    env.sim.list_failing("429", retry_after=120, team_id=1)
    before = len(env.sim.calls)
    env.tick(5)
    assert _list_calls(env.sim.calls[before:], team=1) == 1  # the one that got the 429
    # team 2 follows one backfill, read on its own in the same tick
    assert _single_gets(env.sim.calls[before:], team=2) == [two.backfill_id]
    for _ in range(22):  # 110 s: team 1 waits, team 2 goes on
        env.tick(5)
    calls = env.sim.calls[before:]
    assert _list_calls(calls, team=1) == 1 and _single_gets(calls, team=1) == []
    assert len(_single_gets(calls, team=2)) >= 10
    assert env.request(two.request_id).runs_completed >= 9
    # a rate limit is not a failure of the backfills: nothing paused, nothing counted
    assert all(env.request(s.request_id).poll_failures == 0 for s in ones)
    env.sim.list_failing(None, team_id=1)
    env.tick(10)  # the two minutes are over
    assert _list_calls(env.sim.calls[before:], team=1) == 2
    env.run_until(
        lambda: all(env.state(s.request_id) is RequestState.COMPLETED for s in (*ones, two))
    )


def test_a_team_lease_left_by_a_dead_worker_holds_until_it_expires(env: TrackerEnv) -> None:
    sub = env.submit()
    env.submit(date(2026, 1, 1), date(2026, 1, 2), transfer_id=456790)
    env.clock.advance(5)
    other = Tracker(
        settings=env.settings,
        session_factory=env.session_factory,
        dts=env.dts,
        vault=env.vault,
        notifier=env.notifier,
        clock=env.clock,
        owner="worker-b",
    )
    # worker A took the team's lease and died before recording (kill -9 mid-tick)
    now = env.clock.now()
    with session_scope(env.session_factory) as session:
        assert claim_teams(
            session, slack_team_ids=["T1"], owner="worker-a", now=now, lease_seconds=30
        )
    before = len(env.sim.calls)
    other.run_once()
    assert env.sim.calls[before:] == []  # the team is A's until the lease runs out
    env.clock.advance(31)
    other.run_once()
    assert _list_calls(env.sim.calls[before:]) == 1
    with session_scope(env.session_factory) as session:
        poll = session.get(TeamPoll, "T1")
        assert poll is not None and poll.lease_owner is None
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED, tracker=other)
    replies = env.replies(sub)
    assert len(replies) == len(set(replies)), replies  # nothing said twice
    assert sum(":white_check_mark:" in reply for reply in replies) == 1, replies


def _next_polls(env: TrackerEnv, request_ids: list[int]) -> dict[int, object]:
    return {rid: env.request(rid).next_poll_at for rid in request_ids}


def test_a_list_that_finds_nothing_new_rewrites_no_row(env: TrackerEnv) -> None:
    """The team's next list looks at what the list saw: unchanged entries keep their own
    (later) poll time instead of being rewritten every list."""
    env.sim.schedule_delay = 3600.0  # they stay CREATED: every list finds them unchanged
    subs = [
        env.submit(
            date(2025, 1, 1) + timedelta(days=4 * n), date(2025, 1, 2) + timedelta(days=4 * n)
        )
        for n in range(5)
    ]
    ids = [sub.request_id for sub in subs]
    env.clock.advance(5)
    env.tracker.run_once()  # the first list sees them all
    assert all(env.state(rid) is RequestState.CREATED for rid in ids)
    first = _next_polls(env, ids)
    lists = 0
    for _ in range(6):
        env.clock.advance(5)
        before = len(env.sim.calls)
        env.tracker.run_once()
        lists += _list_calls(env.sim.calls[before:])
        assert _single_gets(env.sim.calls[before:]) == []
    assert lists >= 3, "the team's list kept coming"
    assert _next_polls(env, ids) == first, "unchanged entries were rewritten"
    with session_scope(env.session_factory) as session:
        team = session.get(TeamPoll, "T1")
        assert team is not None and team.next_list_at is not None
        # the team's list comes before any of their own times
        assert all(team.next_list_at < when for when in first.values())  # type: ignore[operator]


def test_backfills_pushed_past_the_100_by_newer_ones_are_read_at_once(env: TrackerEnv) -> None:
    env.sim.rate_limit = 10**9
    env.sim.schedule_delay = 3600.0
    subs = [
        env.submit(
            date(2025, 1, 1) + timedelta(days=4 * (n // len(TRANSFERS))),
            date(2025, 1, 1) + timedelta(days=4 * (n // len(TRANSFERS))),
            transfer_id=TRANSFERS[n % len(TRANSFERS)],
            transfer_name=None,
            flush=False,
        )
        for n in range(100)
    ]
    env.clock.advance(5)
    env.tracker.run_once()
    assert all(env.state(sub.request_id) is RequestState.CREATED for sub in subs)
    # five started in the Hub: the list's 100 newest now leave out our five oldest
    for n in range(5):
        env.sim.create(
            team_id=SM_TEAM,
            transfer_id=TRANSFERS[0],
            range_start=date(2020, 1, 1) + timedelta(days=n),
            range_end=date(2020, 1, 1) + timedelta(days=n),
        )
    oldest = sorted(sub.backfill_id for sub in subs)[:5]
    seen: list[int] = []
    for _ in range(4):
        env.clock.advance(5)
        before = len(env.sim.calls)
        env.tracker.run_once()
        seen += _single_gets(env.sim.calls[before:])
        if seen:
            break
    assert sorted(seen) == oldest


def test_a_failing_list_is_tried_again_with_a_backoff_not_every_tick(env: TrackerEnv) -> None:
    subs = [
        env.submit(
            date(2025, 1, 1) + timedelta(days=4 * n), date(2025, 1, 2) + timedelta(days=4 * n)
        )
        for n in range(3)
    ]
    env.clock.advance(5)
    env.tracker.run_once()
    env.sim.list_failing("500", team_id=SM_TEAM)
    lists = 0
    for _ in range(60):  # one simulated minute, a tick a second
        env.clock.advance(1)
        before = len(env.sim.calls)
        env.tracker.run_once()
        lists += _list_calls(env.sim.calls[before:])
    # poll_min 5 s doubling per failure (5, 10, 20, 40): a handful, not sixty
    assert 2 <= lists <= 5, lists
    # every backfill the list would have shown counts the failures: tracking paused
    assert all(env.request(sub.request_id).tracking_paused for sub in subs)
    env.sim.list_failing(None, team_id=SM_TEAM)
    env.run_until(lambda: all(env.state(sub.request_id) is RequestState.COMPLETED for sub in subs))
