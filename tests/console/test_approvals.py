"""Approvals at the console: ``approve N``, ``reject N reason…`` and ``--user`` to type a
line as another member, against the real service, tracker and simulator."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from bot.store.db import make_engine, make_session_factory, session_scope
from bot.store.queries import set_policy
from tests.console.conftest import TODAY, run_console
from tests.console.test_console import stored_requests


def _policy(data_dir: Path) -> None:
    assert run_console(data_dir, "help\n", "--no-wait").code == 0  # creates the database
    engine = make_engine(f"sqlite:///{data_dir / 'bot.db'}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            set_policy(
                session,
                slack_team_id="TCONSOLE",
                now=datetime(2026, 3, 15, tzinfo=UTC),
                changes={"approval-over-days": 31, "approvers": ["U0LEAD"]},
            )
    finally:
        engine.dispose()


def test_approve_and_reject_at_the_console(tmp_path: Path) -> None:
    _policy(tmp_path)
    script = (
        "backfill transfer 456789 from 2025-12-01 to 2026-02-28\n"
        "confirm\n"
        "approve 1\n"
        "approve 1 --user U0NOBODY\n"
        "status 1 --user U0NOBODY\n"
        "approve 1 --user U0LEAD\n"
        "backfill transfer 456790 from 2025-12-01 to 2026-02-28\n"
        "confirm\n"
        "reject 2 --user U0LEAD\n"
        "reject 2 overlaps the migration --user U0LEAD\n"
        "backfill transfer 456791 from 2026-03-01 to 2026-03-07\n"
        "confirm\n"
        "history\n"
    )
    result = run_console(tmp_path, script, today=TODAY)
    text = result.text
    assert result.code == 0, text
    assert "Awaiting approval. Backfills over 31 days need a second person's approval" in text
    assert "[Approve] [Reject]" in text
    assert "bot › U0LEAD" in text  # the approver's DM
    assert (
        "You asked for request #1, so someone else must approve it: only @U0LEAD can approve "
        "backfills over 31 days." in text
    )
    assert "! Only @U0LEAD can approve backfills over 31 days. Nothing was changed." in text
    assert "Request #1 was made in a channel you're not in" in text
    assert "Say why the request is rejected" in text
    assert "Not approved. Rejected by @U0LEAD: overlaps the migration" in text
    assert re.search(r"Approved by @U0LEAD · backfill #\d+", text)
    history = text.split("you › history", 1)[1]
    assert "#1 Facebook Ads - daily (#456789) 2025-12-01 → 2026-02-28: @U0LEAD approved it" in (
        history
    )
    assert "@U0LEAD rejected it: overlaps the migration" in history
    states = [(request_id, state) for request_id, state, *_ in stored_requests(tmp_path)]
    assert states == [(1, "COMPLETED"), (2, "REJECTED"), (3, "COMPLETED")]
