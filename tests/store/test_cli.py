"""``python -m bot migrate | workspace set|show | rotate-key`` run as real subprocesses."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.store.db import head_revisions, make_engine, make_session_factory, session_scope
from bot.store.queries import get_workspace
from bot.vault import TokenVault

REPO = Path(__file__).resolve().parents[2]


class Bot:
    """Runs ``python -m bot`` with a private data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "BOT_DATA_DIR", "BOT_ENCRYPTION_KEY"}
        }
        self.env["BOT_DATA_DIR"] = str(data_dir)

    def __call__(
        self, *args: str, stdin: str = "", keys: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if keys is not None:
            env["BOT_ENCRYPTION_KEY"] = keys
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=REPO,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def stored_ciphertext(self, team: str) -> bytes:
        engine = make_engine(f"sqlite:///{self.data_dir / 'bot.db'}")
        try:
            with session_scope(make_session_factory(engine)) as session:
                workspace = get_workspace(session, slack_team_id=team)
                assert workspace is not None and workspace.token_ciphertext is not None
                return workspace.token_ciphertext
        finally:
            engine.dispose()


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    return Bot(tmp_path / "data")


def test_workspace_commands_need_a_migrated_database(bot: Bot) -> None:
    shown = bot("workspace", "show", "--slack-team", "T0001")
    assert shown.returncode == 1
    assert "python -m bot migrate" in shown.stderr


def test_migrate_set_show_and_the_token_stays_secret(bot: Bot) -> None:
    migrated = bot("migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"at revision {max(head_revisions())} (newest)" in migrated.stdout
    assert bot("migrate").returncode == 0  # idempotent

    token = f"smt_{uuid.uuid4().hex}"
    set_ = bot(
        "workspace", "set", "--slack-team", "T0001", "--supermetrics-team", "12345",
        "--admin", "U0ADMIN1", "--admin", "U0ADMIN2", "--allow-channel", "C0DATA",
        "--date-order", "dmy", "--max-days", "90",
        stdin=token + "\n",
    )  # fmt: skip
    assert set_.returncode == 0, set_.stderr
    assert "token:" in set_.stdout and "set (encrypted)" in set_.stdout
    # local mode created the key file, owner-only, and said so
    key_file = bot.data_dir / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "created a new encryption key file" in set_.stderr

    shown = bot("workspace", "show", "--slack-team", "T0001")
    assert shown.returncode == 0, shown.stderr
    for expected in ("T0001", "12345", "set (encrypted) by cli", "U0ADMIN1, U0ADMIN2",
                     "C0DATA", "(everyone in the workspace)", "DMY", "90"):  # fmt: skip
        assert expected in shown.stdout
    for output in (set_.stdout, set_.stderr, shown.stdout, shown.stderr):
        assert token not in output

    raw = b"".join(p.read_bytes() for p in bot.data_dir.iterdir() if p.name.startswith("bot.db"))
    assert token.encode() not in raw
    vault = TokenVault([key_file.read_text().strip()])
    assert vault.decrypt(bot.stored_ciphertext("T0001")) == token

    missing = bot("workspace", "show", "--slack-team", "T0404")
    assert missing.returncode == 1 and "No workspace T0404" in missing.stderr


def test_set_refuses_an_empty_token_and_token_arguments(bot: Bot) -> None:
    assert bot("migrate").returncode == 0
    empty = bot("workspace", "set", "--slack-team", "T0001", "--supermetrics-team", "1", stdin="\n")
    assert empty.returncode == 1
    assert "No token given" in empty.stderr
    as_argument = bot(
        "workspace", "set", "--slack-team", "T0001", "--supermetrics-team", "1",
        "--token", "smt_on_the_command_line",
    )  # fmt: skip
    assert as_argument.returncode == 2  # argparse: no such option
    bad_team = bot(
        "workspace", "set", "--slack-team", "T0001", "--supermetrics-team", "abc", stdin="x"
    )
    assert bad_team.returncode == 2 and "not a whole number" in bad_team.stderr


def test_keep_token_changes_settings_only(bot: Bot) -> None:
    assert bot("migrate").returncode == 0
    refused = bot(
        "workspace", "set", "--slack-team", "T0001", "--supermetrics-team", "1", "--keep-token"
    )
    assert refused.returncode == 1 and "no token to keep" in refused.stderr
    assert (
        bot(
            "workspace", "set", "--slack-team", "T0001", "--supermetrics-team", "1", stdin="tok1"
        ).returncode
        == 0
    )
    before = bot.stored_ciphertext("T0001")
    kept = bot(
        "workspace", "set", "--slack-team", "T0001", "--supermetrics-team", "2",
        "--allow-user", "U0NEW", "--keep-token",
    )  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    assert "U0NEW" in kept.stdout and "supermetrics team: 2" in kept.stdout
    assert bot.stored_ciphertext("T0001") == before


def test_rotate_key(bot: Bot) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert bot("migrate").returncode == 0
    for team in ("T0001", "T0002"):
        stored = bot(
            "workspace", "set", "--slack-team", team, "--supermetrics-team", "7",
            stdin=f"token-{team}", keys=old,
        )  # fmt: skip
        assert stored.returncode == 0, stored.stderr
    assert not (bot.data_dir / "encryption.key").exists()  # the env key was used

    lonely = bot("rotate-key", keys=new)
    assert lonely.returncode == 1
    assert "BOT_ENCRYPTION_KEY=<new key>,<old key>" in lonely.stderr

    wrong = bot("rotate-key", keys=f"{new},{Fernet.generate_key().decode()}")
    assert wrong.returncode == 1
    assert "No tokens were changed" in wrong.stderr and "T0001, T0002" in wrong.stderr
    assert TokenVault([old]).decrypt(bot.stored_ciphertext("T0001")) == "token-T0001"

    rotated = bot("rotate-key", keys=f"{new},{old}")
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 2 token(s)" in rotated.stdout
    for team in ("T0001", "T0002"):
        assert TokenVault([new]).decrypt(bot.stored_ciphertext(team)) == f"token-{team}"
    for output in (rotated.stdout, rotated.stderr, wrong.stderr):
        assert new not in output and old not in output
