"""Supermetrics team tokens: encrypted at rest, never logged, never in messages or repr().

Keys are Fernet keys.  ``BOT_ENCRYPTION_KEY`` holds one or more, comma separated, newest
first: the first encrypts, all decrypt, so a key is rotated by putting the new key in
front and running ``python -m bot rotate-key``.  A local (embedded) setup without the
variable gets a generated key file in the data directory; production refuses to start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.errors import ConfigError, MissingTokenError, TokenDecryptError, TokenError
from bot.store.queries import get_workspace

log = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.key"
GENERATE_KEY_HINT = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class TokenVault:
    """Encrypts and decrypts tokens with MultiFernet: the first key encrypts, all decrypt."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ConfigError(
                f"No encryption key given. Set BOT_ENCRYPTION_KEY; generate a key with: "
                f"{GENERATE_KEY_HINT}"
            )
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode("ascii")))
            except (ValueError, TypeError, UnicodeEncodeError) as exc:
                # never echo the key itself
                raise ConfigError(
                    f"Encryption key #{position} of {len(keys)} is not a valid Fernet key "
                    f"(32 url-safe base64-encoded bytes). Generate one with: {GENERATE_KEY_HINT}"
                ) from exc
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)

    def __repr__(self) -> str:
        return f"TokenVault(keys={self.key_count})"

    def encrypt(self, token: str) -> bytes:
        """Encrypt a token with the newest key."""
        if not token or not token.strip():
            raise TokenError("The Supermetrics API token is empty. Paste the whole token.")
        return self._fernet.encrypt(token.encode("utf-8"))

    def decrypt(self, ciphertext: bytes) -> str:
        """Decrypt a stored token with any configured key."""
        try:
            return self._fernet.decrypt(ciphertext).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError) as exc:
            raise TokenDecryptError() from exc

    def rotate(self, ciphertext: bytes) -> bytes:
        """Re-encrypt a stored token with the newest key."""
        try:
            return self._fernet.rotate(ciphertext)
        except InvalidToken as exc:
            raise TokenDecryptError() from exc


def key_file_path(settings: Settings) -> Path:
    """Return where the local setup keeps its generated key."""
    return settings.data_dir / KEY_FILE_NAME


def _read_key_file(path: Path) -> list[str]:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning(
            "encryption key file %s is readable by others (mode %o); run: chmod 600 %s",
            path,
            mode,
            path,
        )
    text = path.read_text(encoding="ascii")
    keys = [part.strip() for line in text.splitlines() for part in line.split(",")]
    return [key for key in keys if key]


def _create_key_file(path: Path) -> bool:
    """Write a fresh key to ``path`` with owner-only permissions; False if it already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, 0o600)  # regardless of the umask
        os.write(descriptor, Fernet.generate_key() + b"\n")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return True


def load_vault(settings: Settings, *, allow_generate: bool) -> TokenVault:
    """Return the vault for BOT_ENCRYPTION_KEY, else (local use) a generated key file's key."""
    if settings.encryption_keys:
        return TokenVault(settings.encryption_keys)
    path = key_file_path(settings)
    if not allow_generate:
        found = f" (a local key file exists at {path}: use its contents)" if path.exists() else ""
        raise ConfigError(
            "BOT_ENCRYPTION_KEY is not set. Production mode (serve, worker) needs it to "
            f"encrypt Supermetrics tokens{found}. Generate a key with: {GENERATE_KEY_HINT} "
            "and set BOT_ENCRYPTION_KEY to it."
        )
    if _create_key_file(path):
        log.warning(
            "BOT_ENCRYPTION_KEY is not set: created a new encryption key file at %s "
            "(owner-only). Keep it safe: stored tokens cannot be read without it.",
            path,
        )
    keys = _read_key_file(path)
    if not keys:
        raise ConfigError(
            f"The encryption key file {path} is empty. Delete it to have a new key "
            "generated (tokens stored with the old key must then be set again), or set "
            "BOT_ENCRYPTION_KEY."
        )
    return TokenVault(keys)


def workspace_token(session: Session, vault: TokenVault, *, slack_team_id: str) -> tuple[int, str]:
    """Return the workspace's (Supermetrics team id, decrypted token)."""
    workspace = get_workspace(session, slack_team_id=slack_team_id)
    if (
        workspace is None
        or workspace.token_ciphertext is None
        or workspace.supermetrics_team_id is None
    ):
        raise MissingTokenError()
    return workspace.supermetrics_team_id, vault.decrypt(workspace.token_ciphertext)
