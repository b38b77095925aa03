"""Which Slack client speaks for a workspace: one bot token, or each workspace's installation.

``TeamClients.for_team(team_id)`` is how the notifier, the user directory and the
responder get the ``WebClient`` of the workspace a call is for. ``SingleWorkspace`` is
today's ``SLACK_BOT_TOKEN``. ``InstalledWorkspaces`` reads the installation "Add to
Slack" stored (``EncryptedInstallationStore``: slack_sdk's SQLAlchemy store over our
migrated tables, every token encrypted with the vault), refreshes a rotating token before
it expires, and finds an Enterprise Grid org-wide installation for any of its workspaces.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import SlackApiError
from bot.store.db import session_scope
from bot.store.slack_installations import (
    enterprise_of_team,
    remember_team_enterprise,
    slack_bots,
    slack_installations,
    slack_oauth_states,
)
from bot.vault import TokenVault

log = logging.getLogger(__name__)

# an OAuth state (the "Add to Slack" link) is good for this long
STATE_EXPIRATION_SECONDS = 600
# how long a process reuses a workspace's installation before reading it again
CLIENT_CACHE_SECONDS = 60.0

NOT_INSTALLED = "not_installed"
NOT_INSTALLED_MESSAGE = (
    "The app is not installed in this Slack workspace (or was removed). Install it again "
    "from the bot's /slack/install page."
)

_BOT_SECRETS = ("bot_token", "bot_refresh_token")
_INSTALLATION_SECRETS = (*_BOT_SECRETS, "user_token", "user_refresh_token")


class TeamClients(Protocol):
    def for_team(self, team_id: str) -> WebClient:
        """The client whose token speaks for ``team_id`` (raises SlackApiError if none)."""
        ...


class SingleWorkspace:
    """One app, one workspace: ``SLACK_BOT_TOKEN``'s client for every call."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def for_team(self, team_id: str) -> WebClient:
        return self.client


def as_team_clients(source: WebClient | TeamClients) -> TeamClients:
    return SingleWorkspace(source) if isinstance(source, WebClient) else source


class EncryptedInstallationStore(InstallationStore):
    """slack_sdk's SQLAlchemy store on our tables, with every token sealed by the vault."""

    def __init__(self, *, engine: Engine, client_id: str, vault: TokenVault) -> None:
        inner = SQLAlchemyInstallationStore(client_id=client_id, engine=engine)
        # our tables (bot.store.slack_installations, created by Alembic), not its own
        inner.metadata = slack_installations.metadata
        inner.installations = slack_installations
        inner.bots = slack_bots
        self.inner = inner
        self.vault = vault

    @property
    def logger(self) -> logging.Logger:
        return log

    def _seal(self, value: Any, names: tuple[str, ...]) -> Any:
        sealed = copy.copy(value)
        for name in names:
            token = getattr(sealed, name, None)
            if token:
                setattr(sealed, name, self.vault.encrypt(token).decode("ascii"))
        return sealed

    def _open(self, value: Any, names: tuple[str, ...]) -> Any:
        if value is None:
            return None
        opened = copy.copy(value)
        for name in names:
            sealed = getattr(opened, name, None)
            if sealed:
                setattr(opened, name, self.vault.decrypt(sealed.encode("ascii")))
        return opened

    def save(self, installation: Installation) -> None:
        self.inner.save(self._seal(installation, _INSTALLATION_SECRETS))

    def save_bot(self, bot: Bot) -> None:
        self.inner.save_bot(self._seal(bot, _BOT_SECRETS))

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self.inner.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._open(found, _BOT_SECRETS)  # type: ignore[no-any-return]

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = self.inner.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._open(found, _INSTALLATION_SECRETS)  # type: ignore[no-any-return]

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.inner.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        self.inner.delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )


def build_state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """slack_sdk's OAuth state store on our ``slack_oauth_states`` table (one use each)."""
    store = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine)
    store.metadata = slack_oauth_states.metadata
    store.oauth_states = slack_oauth_states
    return store


class InstalledWorkspaces:
    """Each workspace's own bot token, from its stored installation."""

    def __init__(
        self,
        *,
        store: InstallationStore,
        session_factory: sessionmaker[Session],
        make_client: Callable[[str | None], WebClient],
        rotator: TokenRotator | None,
        refresh_minutes: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.session_factory = session_factory
        self.make_client = make_client
        self.rotator = rotator
        self.refresh_minutes = refresh_minutes
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Bot, WebClient]] = {}
        self._enterprises: dict[str, str] = {}

    def for_team(self, team_id: str) -> WebClient:
        now = self._monotonic()
        with self._lock:
            hit = self._cache.get(team_id)
        if hit is not None and hit[0] > now and not self._expiring(hit[1]):
            return hit[2]
        bot = self._find(team_id)
        if bot is None:
            raise SlackApiError(NOT_INSTALLED_MESSAGE, error=NOT_INSTALLED)
        bot = self._rotated(bot)
        client = self.make_client(bot.bot_token)
        with self._lock:
            self._cache[team_id] = (now + CLIENT_CACHE_SECONDS, bot, client)
        return client

    def forget(self, team_id: str | None = None) -> None:
        """Drop cached installations (one workspace's, or all): read them again next time."""
        with self._lock:
            if team_id is None:
                self._cache.clear()
            else:
                self._cache.pop(team_id, None)

    def note_enterprise(self, *, team_id: str, enterprise_id: str) -> None:
        """Remember a Grid workspace's organization (once per process and pair)."""
        with self._lock:
            if self._enterprises.get(team_id) == enterprise_id:
                return
            self._enterprises[team_id] = enterprise_id
        with session_scope(self.session_factory) as session:
            remember_team_enterprise(session, team_id=team_id, enterprise_id=enterprise_id)

    def _find(self, team_id: str) -> Bot | None:
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is not None:
            return bot
        with session_scope(self.session_factory) as session:
            enterprise_id = enterprise_of_team(session, team_id=team_id)
        if enterprise_id is None:
            return None
        # a workspace-level install inside a Grid org, else the org-wide one
        return self.store.find_bot(enterprise_id=enterprise_id, team_id=team_id) or (
            self.store.find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        )

    def _expiring(self, bot: Bot) -> bool:
        expires_at = bot.bot_token_expires_at
        if not bot.bot_refresh_token or expires_at is None:
            return False
        return bool(expires_at - time.time() < self.refresh_minutes * 60)  # epoch seconds

    def _rotated(self, bot: Bot) -> Bot:
        if self.rotator is None or not bot.bot_refresh_token:
            return bot
        try:
            fresh = self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self.refresh_minutes
            )
        except SlackClientError as exc:
            # the current token may still work until it expires; the next call tries again
            log.warning("refreshing the bot token of %s failed: %s", bot.team_id, exc)
            return bot
        if fresh is None:
            return bot
        self.store.save_bot(fresh)
        log.info("refreshed the rotating bot token of %s", bot.team_id or bot.enterprise_id)
        return fresh
