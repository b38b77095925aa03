from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slack.harness import SlackHarness, harness


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[SlackHarness]:
    with harness(tmp_path) as h:
        yield h
        assert h.fake.violations == [], "Block Kit limits broken in a Slack call"


@pytest.fixture
def bot_without_token(tmp_path: Path) -> Iterator[SlackHarness]:
    with harness(tmp_path, with_token=False) as h:
        yield h
        assert h.fake.violations == []
