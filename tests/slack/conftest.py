from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slack.harness import SlackHarness, harness
from tests.support.block_kit_limits import check_message
from tests.support.postgres import postgres_schema


def check_limits(h: SlackHarness) -> None:
    """Every message, update, ephemeral, view and response_url post kept Slack's limits."""
    assert h.fake.violations == [], "Block Kit limits broken in a Slack call"
    for post in h.fake.responses:
        body = post.body
        assert check_message(body.get("text"), body.get("blocks")) == [], post


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[SlackHarness]:
    with harness(tmp_path) as h:
        yield h
        check_limits(h)


@pytest.fixture
def bot_without_token(tmp_path: Path) -> Iterator[SlackHarness]:
    with harness(tmp_path, with_token=False) as h:
        yield h
        check_limits(h)


@pytest.fixture
def bot_with_short_dts_timeout(tmp_path: Path) -> Iterator[SlackHarness]:
    """A harness whose DTS client gives up after 1 s, for the simulator's "delay" fault."""
    with harness(tmp_path, dts_timeout=1.0) as h:
        yield h
        check_limits(h)


@pytest.fixture
def pg_bot(tmp_path: Path) -> Iterator[SlackHarness]:
    """The bot on a PostgreSQL schema of its own (tests marked ``postgres``)."""
    with postgres_schema("slack") as url, harness(tmp_path, database_url=url) as h:
        yield h
        check_limits(h)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_bot(request: pytest.FixtureRequest) -> SlackHarness:
    """The bot on SQLite, then on PostgreSQL."""
    bot: SlackHarness = request.getfixturevalue("bot" if request.param == "sqlite" else "pg_bot")
    return bot
