"""The per-process transfer list cache: fewer list calls, yet new transfers are found."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest

from bot.clock import FrozenClock
from bot.config import load_settings
from bot.errors import ConfigError, TransferLookupError
from bot.service import Actor
from bot.service.transfer_cache import TransferCache
from bot.store.db import session_scope
from bot.store.models import BackfillRequest
from bot.supermetrics.models import Transfer
from tests.service.conftest import TEAM, ServiceWorld
from tests.slack.harness import START

ALICE = Actor(slack_team_id=TEAM, user_id="U0ALICE", channel_id="C0GEN")
ADMIN = Actor(slack_team_id=TEAM, user_id="U0ADA", channel_id="C0GEN", is_admin=True)


def list_calls(world: ServiceWorld) -> int:
    """How many times the simulator was asked for team 1's transfer list."""
    return sum(
        1 for method, path in world.sim.calls if method == "GET" and path.endswith("/1/transfers")
    )


def request_row(world: ServiceWorld, text: str) -> BackfillRequest:
    reply = world.service.handle_text(actor=ALICE, text=text)
    assert reply.request_id is not None
    with session_scope(world.session_factory) as session:
        row = session.get(BackfillRequest, reply.request_id)
        assert row is not None
        session.expunge(row)
        return row


def test_commands_in_a_row_share_one_list_call(world: ServiceWorld) -> None:
    first = request_row(world, "transfer 456789 yesterday")
    second = request_row(world, "transfer 456790 last week")
    by_name = request_row(world, "LinkedIn Ads yesterday")
    assert list_calls(world) == 1
    assert (first.transfer_name, second.transfer_name) == ("Facebook Ads - daily", "Google Ads")
    assert (by_name.transfer_id, by_name.transfer_name) == (456791, "LinkedIn Ads")


def test_a_transfer_made_since_the_list_was_read_is_found_after_one_refetch(
    world: ServiceWorld,
) -> None:
    request_row(world, "transfer 456789 yesterday")
    assert list_calls(world) == 1
    world.sim.add_team(
        1,
        token="demo-token",
        transfers=[Transfer(456800, "Pinterest Ads", "ACTIVE"), Transfer(456801, "Bing Ads")],
    )

    by_name = request_row(world, "Pinterest Ads yesterday")
    assert (by_name.transfer_id, by_name.transfer_name) == (456800, "Pinterest Ads")
    assert list_calls(world) == 2
    by_id = request_row(world, "transfer 456801 yesterday")  # in the refreshed list already
    assert by_id.transfer_name == "Bing Ads"
    assert list_calls(world) == 2

    world.sim.add_team(1, token="demo-token", transfers=[Transfer(456802, "Reddit Ads")])
    by_id = request_row(world, "transfer 456802 yesterday")
    assert by_id.transfer_name == "Reddit Ads"
    assert list_calls(world) == 3

    with pytest.raises(TransferLookupError, match='named "Snapchat"'):
        world.service.handle_text(actor=ALICE, text="Snapchat yesterday")
    assert list_calls(world) == 4  # one look more before "no match", not more


def test_the_list_expires_by_the_clock(world: ServiceWorld) -> None:
    ttl = world.service.settings.transfer_cache_seconds
    assert ttl == 300
    request_row(world, "transfer 456789 yesterday")
    world.clock.advance(ttl - 1)
    request_row(world, "transfer 456789 yesterday")
    assert list_calls(world) == 1
    world.clock.advance(1)
    request_row(world, "transfer 456789 yesterday")
    assert list_calls(world) == 2
    request_row(world, "transfer 456789 yesterday")
    assert list_calls(world) == 2


def test_setup_storing_a_token_drops_the_cached_list(world: ServiceWorld) -> None:
    request_row(world, "transfer 456789 yesterday")
    world.service.set_token(actor=ADMIN, supermetrics_team_id=1, token="demo-token")
    assert list_calls(world) == 2  # setup checks the token by listing
    request_row(world, "transfer 456789 yesterday")
    assert list_calls(world) == 3
    request_row(world, "transfer 456789 yesterday")
    assert list_calls(world) == 3


def test_a_list_that_could_not_be_read_is_not_cached(world: ServiceWorld) -> None:
    world.sim.inject("500")
    unnamed = request_row(world, "transfer 456789 yesterday")
    assert unnamed.transfer_name is None  # the card still went up, without the name
    named = request_row(world, "transfer 456789 yesterday")
    assert named.transfer_name == "Facebook Ads - daily"
    assert list_calls(world) == 2


def test_the_setting_reads_from_the_environment() -> None:
    assert load_settings({}).transfer_cache_seconds == 300
    assert load_settings({"TRANSFER_CACHE_SECONDS": "0"}).transfer_cache_seconds == 0
    with pytest.raises(ConfigError, match="TRANSFER_CACHE_SECONDS must be at least 0"):
        load_settings({"TRANSFER_CACHE_SECONDS": "-5"})


# --- the cache alone, with a counting source --------------------------------------------


class CountingTeam:
    """A transfer source that counts its calls; ``during`` runs inside each call."""

    def __init__(self, team_id: int, names: list[str]) -> None:
        self.team_id = team_id
        self.names = names
        self.calls = 0
        self.during: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def list_transfers(self) -> list[Transfer]:
        with self._lock:
            self.calls += 1
        if self.during is not None:
            self.during()
        return [Transfer(self.team_id * 100 + i, name) for i, name in enumerate(self.names)]


def test_teams_are_kept_apart_and_ttl_zero_turns_caching_off() -> None:
    clock = FrozenClock(START)
    cache = TransferCache(clock=clock, ttl_seconds=60)
    one, two = CountingTeam(1, ["A"]), CountingTeam(2, ["B"])
    assert [t.display_name for t in cache.transfers(one)] == ["A"]
    assert [t.display_name for t in cache.transfers(two)] == ["B"]
    assert [t.display_name for t in cache.transfers(one)] == ["A"]
    assert (one.calls, two.calls) == (1, 1)
    cache.invalidate(2)
    cache.transfers(one)
    cache.transfers(two)
    assert (one.calls, two.calls) == (1, 2)

    off = TransferCache(clock=clock, ttl_seconds=0)
    off.transfers(one)
    off.transfers(one)
    assert one.calls == 3
    with pytest.raises(ValueError, match="negative"):
        TransferCache(clock=clock, ttl_seconds=-1)


def test_a_fetch_overtaken_by_invalidate_is_not_kept() -> None:
    cache = TransferCache(clock=FrozenClock(START), ttl_seconds=60)
    team = CountingTeam(1, ["Old token's view"])
    team.during = lambda: cache.invalidate(1)  # a new token is stored meanwhile
    assert [t.display_name for t in cache.transfers(team)] == ["Old token's view"]
    team.during = None
    cache.transfers(team)
    cache.transfers(team)
    assert team.calls == 2


def test_a_clock_that_went_back_expires_the_list() -> None:
    clock = FrozenClock(START)
    cache = TransferCache(clock=clock, ttl_seconds=60)
    team = CountingTeam(1, ["A"])
    cache.transfers(team)
    clock.set(START - timedelta(seconds=1))
    cache.transfers(team)
    assert team.calls == 2


def test_has_refetches_only_a_cached_list_and_only_once() -> None:
    cache = TransferCache(clock=FrozenClock(START), ttl_seconds=60)
    team = CountingTeam(1, ["A"])

    def never(_listed: Sequence[Transfer]) -> bool:
        return False

    cache.transfers(team, has=never)  # fetched: returned even though has() rejects it
    assert team.calls == 1
    cache.transfers(team, has=never)  # cached and rejected: one fetch more
    assert team.calls == 2
    cache.transfers(team, has=lambda listed: len(listed) == 1)
    assert team.calls == 2


def test_many_threads_share_the_list() -> None:
    clock = FrozenClock(START)
    cache = TransferCache(clock=clock, ttl_seconds=60)
    teams = [CountingTeam(team_id, [f"T{team_id}"]) for team_id in (1, 2, 3)]
    seen: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(12)

    def work(team: CountingTeam) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(200):
                [transfer] = cache.transfers(team)
                seen.append(transfer.display_name)
                if transfer.display_name != f"T{team.team_id}":
                    raise AssertionError(transfer)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(teams[i % 3],)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [] and len(seen) == 12 * 200
    # at most the four threads of a team missed together at the start; then all hits
    assert all(1 <= team.calls <= 4 for team in teams)
