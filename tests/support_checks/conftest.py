"""Fixtures for the tests of tests/support: a running FakeSlack and a client on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from tests.support.fake_slack import FakeSlack, FakeUser

ALICE = FakeUser("U0ALICE", name="alice", tz="Europe/Helsinki", tz_label="Eastern European Time")
BOSS = FakeUser("U0BOSS", name="boss", tz="America/New_York", is_admin=True, is_owner=True)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users=[ALICE, BOSS], channels={"C0GENERAL": "general"}) as running:
        yield running


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.base_url, token=fake.token, timeout=10)
