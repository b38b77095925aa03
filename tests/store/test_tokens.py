"""Tokens: encrypted at rest, rotatable, and absent from the database file, logs and repr()."""

from __future__ import annotations

import logging
import stat
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.errors import ConfigError, MissingTokenError, TokenDecryptError, TokenError
from bot.store.db import make_engine, make_session_factory, session_scope
from bot.store.queries import ensure_workspace, get_workspace, set_workspace_token
from bot.vault import TokenVault, key_file_path, load_vault, workspace_token
from tests.store.conftest import NOW, Database


def _token() -> str:
    return f"smt_live_{uuid.uuid4().hex}{uuid.uuid4().hex}"


def test_vault_round_trip_and_rotation() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = _token()
    stored = TokenVault([old]).encrypt(token)
    assert token.encode() not in stored

    both = TokenVault([new, old])
    assert both.decrypt(stored) == token
    rotated = both.rotate(stored)
    assert TokenVault([new]).decrypt(rotated) == token
    with pytest.raises(TokenDecryptError):
        TokenVault([old]).decrypt(rotated)
    # the first key encrypts
    assert TokenVault([new]).decrypt(both.encrypt(token)) == token


def test_wrong_key_is_a_token_decrypt_error_without_secrets() -> None:
    token = _token()
    stored = TokenVault([Fernet.generate_key().decode()]).encrypt(token)
    other_key = Fernet.generate_key().decode()
    with pytest.raises(TokenDecryptError) as caught:
        TokenVault([other_key]).decrypt(stored)
    assert "BOT_ENCRYPTION_KEY" in caught.value.user_message
    text = str(caught.value) + repr(caught.value)
    assert token not in text and other_key not in text
    with pytest.raises(TokenDecryptError):
        TokenVault([other_key]).decrypt(b"not a fernet token")


def test_invalid_keys_and_empty_tokens_are_explained() -> None:
    bad_key = "definitely-not-a-fernet-key"
    with pytest.raises(ConfigError, match="not a valid Fernet key") as caught:
        TokenVault([Fernet.generate_key().decode(), bad_key])
    assert bad_key not in str(caught.value)
    assert "#2 of 2" in caught.value.user_message
    with pytest.raises(ConfigError, match="BOT_ENCRYPTION_KEY"):
        TokenVault([])
    with pytest.raises(TokenError, match="empty"):
        TokenVault([Fernet.generate_key().decode()]).encrypt("  ")
    vault = TokenVault([Fernet.generate_key().decode()])
    assert repr(vault) == "TokenVault(keys=1)"


def test_load_vault_uses_bot_encryption_key(tmp_path: Path) -> None:
    keys = (Fernet.generate_key().decode(), Fernet.generate_key().decode())
    vault = load_vault(Settings(data_dir=tmp_path, encryption_keys=keys), allow_generate=False)
    assert vault.key_count == 2
    assert not key_file_path(Settings(data_dir=tmp_path)).exists()


def test_production_mode_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(ConfigError) as caught:
        load_vault(settings, allow_generate=False)
    message = caught.value.user_message
    assert "BOT_ENCRYPTION_KEY" in message and "Production mode" in message
    assert "Fernet.generate_key()" in message
    assert not key_file_path(settings).exists()


def test_local_mode_generates_an_owner_only_key_file_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    caplog.set_level(logging.DEBUG, logger="bot.vault")
    first = load_vault(settings, allow_generate=True)
    path = key_file_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    created = [r for r in caplog.records if "created a new encryption key file" in r.getMessage()]
    assert len(created) == 1 and str(path) in created[0].getMessage()

    stored = first.encrypt("abc")
    second = load_vault(settings, allow_generate=True)
    assert second.decrypt(stored) == "abc"  # the same key, reused
    assert len([r for r in caplog.records if "created a new" in r.getMessage()]) == 1
    key = path.read_text().strip()
    assert key not in caplog.text

    # production mode still refuses, but points at the local key file
    with pytest.raises(ConfigError, match="local key file exists"):
        load_vault(settings, allow_generate=False)


def test_workspace_token_needs_a_stored_token(sqlite_db: Database) -> None:
    vault = TokenVault([Fernet.generate_key().decode()])
    with session_scope(sqlite_db.factory) as session:
        with pytest.raises(MissingTokenError, match="/backfill setup"):
            workspace_token(session, vault, slack_team_id="T0001")
        ensure_workspace(session, slack_team_id="T0001", now=NOW)
        with pytest.raises(MissingTokenError):
            workspace_token(session, vault, slack_team_id="T0001")


def test_plaintext_token_is_not_in_the_database_file_or_the_logs(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    token = _token()
    vault = TokenVault([Fernet.generate_key().decode()])
    engine = make_engine(sqlite_db.url, echo="debug")  # SQL, parameters and result rows
    factory = make_session_factory(engine)
    try:
        with session_scope(factory) as session:
            set_workspace_token(
                session,
                slack_team_id="T0001",
                supermetrics_team_id=12345,
                token_ciphertext=vault.encrypt(token),
                set_by="U0001",
                now=NOW,
            )
        with session_scope(factory) as session:
            assert workspace_token(session, vault, slack_team_id="T0001") == (12345, token)
            workspace = get_workspace(session, slack_team_id="T0001")
            assert workspace is not None and workspace.token_ciphertext is not None
            ciphertext = workspace.token_ciphertext
            logging.getLogger("test").debug("workspace: %r", workspace)

        database = Path(sqlite_db.url.removeprefix("sqlite:///"))
        files = [p for p in database.parent.iterdir() if p.name.startswith(database.name)]
        assert any(p.name.endswith("-wal") for p in files)  # WAL not yet checkpointed
        raw = b"".join(p.read_bytes() for p in files)
        assert ciphertext in raw  # we are looking where the token went
        assert token.encode() not in raw
    finally:
        engine.dispose()
    raw_after = b"".join(p.read_bytes() for p in database.parent.iterdir())
    assert ciphertext in raw_after and token.encode() not in raw_after

    captured = capsys.readouterr()
    logs = caplog.text
    assert "INSERT INTO workspaces" in logs and "SELECT workspaces" in logs
    assert "Workspace(slack_team_id='T0001'" in logs
    for output in (logs, captured.out, captured.err):
        assert token not in output
    assert "token=set" in repr(workspace) and "cipher" not in repr(workspace)
