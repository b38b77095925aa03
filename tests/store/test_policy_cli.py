"""``python -m bot policy set|show|clear`` run as real subprocesses on a migrated database."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store.db import make_engine, make_session_factory, session_scope, upgrade_to_head
from bot.store.queries import get_workspace
from tests.store.test_cli import Bot


@pytest.fixture
def run(tmp_path: Path) -> Bot:
    return Bot(tmp_path)


def _workspace(data_dir: Path) -> tuple[object, ...]:
    engine = make_engine(f"sqlite:///{data_dir / 'bot.db'}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            ws = get_workspace(session, slack_team_id="T0123ABCD")
            assert ws is not None
            return (
                ws.allowed_users,
                ws.requester_groups,
                ws.approvers,
                ws.approver_groups,
                ws.approval_over_days,
                ws.approval_transfers,
                ws.max_days,
                ws.allowed_channels,
            )
    finally:
        engine.dispose()


def test_set_show_and_clear(run: Bot, tmp_path: Path) -> None:
    unmigrated = run("policy", "show", "--slack-team", "T0123ABCD")
    assert unmigrated.returncode == 1 and "python -m bot migrate" in unmigrated.stderr
    upgrade_to_head(f"sqlite:///{tmp_path / 'bot.db'}")
    assert run("policy", "show", "--slack-team", "T0123ABCD").returncode == 1

    result = run(
        "policy", "set", "--slack-team", "T0123ABCD",
        "--requester", "U0ALICE", "--requester", "U0BOB", "--requester-group", "S0DATA",
        "--approver", "U0APPROVER", "--approver-group", "S0LEADS",
        "--approval-over-days", "31", "--approval-transfer", "456789",
        "--max-days", "120", "--channel", "C0DATA",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Policies of T0123ABCD:",
        "• Who may request: U0ALICE, U0BOB; groups S0DATA",
        "• In channels: C0DATA",
        "• Longest range: 120 days",
        "• Needs a second person's approval: backfills over 31 days or of transfer #456789",
        "• Approvers: U0APPROVER; groups S0LEADS",
    ]
    assert _workspace(tmp_path) == (
        ["U0ALICE", "U0BOB"], ["S0DATA"], ["U0APPROVER"], ["S0LEADS"], 31, [456789], 120,
        ["C0DATA"],
    )  # fmt: skip
    # set changes only what it is given
    assert (
        run("policy", "set", "--slack-team", "T0123ABCD", "--approver", "U0CAROL").returncode == 0
    )
    assert _workspace(tmp_path)[2:5] == (["U0CAROL"], ["S0LEADS"], 31)

    cleared = run("policy", "clear", "--slack-team", "T0123ABCD", "--what", "approval-over-days")
    assert cleared.returncode == 0 and "backfills of transfer #456789" in cleared.stdout
    assert _workspace(tmp_path)[4] is None
    everything = run("policy", "clear", "--slack-team", "T0123ABCD", "--what", "all")
    assert "Who may request: everyone" in everything.stdout
    assert "Needs a second person's approval: nothing" in everything.stdout
    assert "Approvers: workspace admins" in everything.stdout
    assert _workspace(tmp_path) == ([], [], [], [], None, [], None, [])
    shown = run("policy", "show", "--slack-team", "T0123ABCD")
    assert shown.returncode == 0 and "Longest range: 366 days (default)" in shown.stdout


def test_mistakes_are_refused(run: Bot, tmp_path: Path) -> None:
    upgrade_to_head(f"sqlite:///{tmp_path / 'bot.db'}")
    nothing = run("policy", "set", "--slack-team", "T0123ABCD")
    assert nothing.returncode == 2 and "give at least one policy" in nothing.stderr
    bad_user = run("policy", "set", "--slack-team", "T0123ABCD", "--approver", "alice")
    assert bad_user.returncode == 2 and "does not look like a Slack user id" in bad_user.stderr
    bad_what = run("policy", "clear", "--slack-team", "T0123ABCD", "--what", "everyone")
    assert bad_what.returncode == 2 and "invalid choice" in bad_what.stderr
    zero = run("policy", "set", "--slack-team", "T0123ABCD", "--approval-over-days", "0")
    assert zero.returncode == 2 and "must be at least 1" in zero.stderr
