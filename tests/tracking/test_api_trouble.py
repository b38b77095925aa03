"""When Supermetrics says no: rate-limit budgets, 429s, failing calls, paused tracking."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bot.simulator.state import DEFAULT_TRANSFERS
from bot.store.attention import count_paused_tracking, list_paused_tracking
from bot.store.db import session_scope
from bot.store.models import RequestState
from tests.tracking.conftest import SM_TEAM, SM_TOKEN, TEAM, USER, TrackerEnv


@pytest.fixture(params=["team", "backfill"])
def tracker_settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every test here runs with team-batched and with per-backfill polling."""
    return {"tracker_polling": request.param}


def _gets(env: TrackerEnv, backfill_id: int, team: int = 1) -> int:
    """Calls that looked at the backfill: its own GET, or its team's list (the backfills
    of these tests are each alone in their team)."""
    return sum(
        1
        for method, path in env.sim.calls
        if method == "GET"
        and path.endswith((f"/teams/{team}/backfills/{backfill_id}", f"/teams/{team}/backfills"))
    )


def test_polls_stay_within_the_workspace_rate_limit_budget(env: TrackerEnv) -> None:
    # 100 calls an hour: 20 backfills would need ~200 polls at the fastest cadence
    env.sim.rate_limit = 100
    subs = [
        env.submit(
            date(2026, 1, 1) + timedelta(days=3 * n), date(2026, 1, 3) + timedelta(days=3 * n)
        )
        for n in range(20)
    ]
    calls_before = len(env.sim.calls)  # the 20 creates count against the budget too
    assert calls_before == 20
    hour_end = env.clock.now().replace(minute=0, second=0) + timedelta(hours=1)
    calls_in_hour = calls_before
    while env.clock.now() < hour_end - timedelta(seconds=5):
        env.tick(5)
        calls_in_hour = len(env.sim.calls)
    # the pacer keeps 20% of the budget for people's own commands, and never hits a 429
    assert calls_in_hour <= 80
    rate = env.dts.rate_limit(1)
    assert rate is not None and rate.remaining is not None and rate.remaining >= 20
    # …and still gets every backfill to its end, within the hour or the next
    env.run_until(
        lambda: all(env.state(s.request_id) is RequestState.COMPLETED for s in subs),
        step=30,
        max_steps=240,
    )
    assert all(env.replies(s)[-1].startswith(":white_check_mark:") for s in subs)


def test_a_429_makes_only_that_workspace_wait(env: TrackerEnv) -> None:
    env.sim.add_team(2, token="team-two-token", transfers=DEFAULT_TRANSFERS)
    env.add_workspace("T2", 2, "team-two-token")
    first = env.submit(date(2026, 1, 1), date(2026, 1, 15))
    second = env.submit(
        date(2026, 1, 1),
        date(2026, 1, 15),
        slack_team_id="T2",
        sm_team_id=2,
        token="team-two-token",
    )
    env.tick(5)  # both polled once
    assert _gets(env, first.backfill_id) == 1
    assert _gets(env, second.backfill_id, team=2) == 1

    # the next answer is a 429 asking to wait two minutes: team 1 is polled first
    env.sim.inject("429", retry_after=120)
    env.tick(5)
    assert _gets(env, first.backfill_id) == 2  # the one that got the 429
    assert _gets(env, second.backfill_id, team=2) == 2  # polled in the same tick, not stalled
    for _ in range(22):  # 110 s: team 1 waits, team 2 goes on
        env.tick(5)
    assert _gets(env, first.backfill_id) == 2
    # a run ends every 10 s: team 2 was polled for each, and its thread moved on
    assert _gets(env, second.backfill_id, team=2) >= 10
    assert env.state(second.request_id) is RequestState.RUNNING
    assert env.request(second.request_id).runs_completed >= 9
    row = env.request(first.request_id)
    assert row.poll_failures == 0  # a rate limit is not a failure of the backfill
    env.tick(10)  # the two minutes are over
    assert _gets(env, first.backfill_id) == 3
    env.run_until(
        lambda: all(env.state(s.request_id) is RequestState.COMPLETED for s in (first, second))
    )


def test_tracking_pauses_after_repeated_failures_then_resumes_by_itself(env: TrackerEnv) -> None:
    """Issue 17: 8. A DTS outage longer than the failure budget: the pause is said in the
    thread (with when the bot looks again), visible to a store query, and tracking
    resumes by itself, the pause growing only up to POLL_MAX_SECONDS."""
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    env.sim.inject("500", count=6)  # max failures is 3 here; the outage lasts six polls
    env.tick(5)
    env.tick(5)  # failure backoff: 5 s, then 10 s
    env.tick(10)
    row = env.request(sub.request_id)
    assert row.tracking_paused is True
    assert row.poll_failures == 3
    with session_scope(env.session_factory) as session:
        assert count_paused_tracking(session) == 1
        assert [r.id for r in list_paused_tracking(session)] == [sub.request_id]
    paused = env.replies(sub)[-1]
    # alone in its team, the backfill is read on its own in either mode
    next_look = (env.clock.now() + timedelta(seconds=20)).strftime("%H:%M")
    assert paused.startswith(
        f":double_vertical_bar: Tracking of backfill #{sub.backfill_id} is paused after "
        "3 failed attempts: Supermetrics had an internal error (500) while trying to read "
        f"backfill {sub.backfill_id}."
    )
    assert f"I'll look again by myself at {next_look} UTC, then every 1 minute" in paused
    assert f"`/backfill status {sub.request_id}` looks at once." in paused
    assert row.next_poll_at is not None
    # still looked at while paused, never more often than POLL_MAX_SECONDS apart once
    # the backoff has grown, and it resumes by itself when the API answers again
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED, step=30)
    env.tick(5)
    replies = env.replies(sub)
    assert f":arrow_forward: Tracking of backfill #{sub.backfill_id} resumed." in replies
    assert sum("is paused" in reply for reply in replies) == 1
    assert replies[-1].startswith(f":white_check_mark: <@{USER}> Backfill #{sub.backfill_id}")
    assert sum(":white_check_mark:" in reply for reply in replies) == 1
    with session_scope(env.session_factory) as session:
        assert count_paused_tracking(session) == 0


def test_paused_polls_back_off_to_poll_max_and_no_further(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    env.sim.inject("500", count=12)
    gaps = []
    for seen in range(12):
        before = env.clock.now()

        def failed_again(seen: int = seen) -> bool:
            return int(env.request(sub.request_id).poll_failures) > seen

        env.run_until(failed_again, step=5)
        gaps.append((env.clock.now() - before).total_seconds())
    assert env.request(sub.request_id).tracking_paused
    assert max(gaps) <= env.settings.poll_max_seconds + 5
    assert gaps[-1] >= env.settings.poll_max_seconds - 5  # grown to the cap


def test_after_a_stretch_of_401s_tracking_resumes_once_the_token_works(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    env.add_workspace(TEAM, SM_TEAM, "revoked-token")
    env.run_until(lambda: env.request(sub.request_id).tracking_paused, step=5)
    assert "401" in env.replies(sub)[-1]
    env.add_workspace(TEAM, SM_TEAM, SM_TOKEN)  # someone stored a working token
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED, step=30)
    assert not env.request(sub.request_id).tracking_paused
    assert any("resumed" in reply for reply in env.replies(sub))


def test_a_missing_token_pauses_tracking_with_the_reason(env: TrackerEnv) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    with session_scope(env.session_factory) as session:
        from bot.store.queries import get_workspace

        workspace = get_workspace(session, slack_team_id="T1")
        assert workspace is not None
        workspace.token_ciphertext = None
    env.tick(5)
    env.tick(5)
    env.tick(10)
    assert env.request(sub.request_id).tracking_paused
    assert "has no Supermetrics API token yet" in env.replies(sub)[-1]


@pytest.mark.parametrize("fault", ["bad_json", "500"])
def test_a_failed_poll_is_retried_and_forgotten_on_success(env: TrackerEnv, fault: str) -> None:
    sub = env.submit(date(2026, 1, 1), date(2026, 1, 3))
    env.sim.inject(fault)  # type: ignore[arg-type]
    env.tick(5)
    assert env.request(sub.request_id).poll_failures == 1
    env.run_until(lambda: env.state(sub.request_id) is RequestState.COMPLETED)
    row = env.request(sub.request_id)
    assert row.poll_failures == 0 and not row.tracking_paused
