""" "Add to Slack" on the fake: the authorize page, ``oauth.v2.access`` and many tokens.

A test queues the workspace the next visitor of ``/oauth/v2/authorize`` installs
(``install_next``); the authorize page checks our client id and redirects to the app's
redirect URL with a one-time code and the state it was given, as Slack does after the
person clicks Allow. ``oauth.v2.access`` (HTTP Basic client credentials) trades the code
for a bot token, or, with ``grant_type=refresh_token``, a refresh token for a new pair
(token rotation). Every token the fake has handed out is accepted by the Web API as that
workspace's, until it is revoked.
"""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.support.fake_slack_methods import JsonDict, SlackApiFault

OAUTH_SCOPES = "commands,chat:write,users:read,app_mentions:read,im:history"


@dataclass(frozen=True)
class FakeTeam:
    """Whose a token is: a workspace, or (org-wide install) a whole Grid organization."""

    team_id: str | None
    team_name: str = "Fake Workspace"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    is_enterprise_install: bool = False


@dataclass
class FakeInstall:
    """What the next "Allow" installs: the team, its bot token, and rotation if wanted."""

    team: FakeTeam
    bot_token: str
    installer: str = "U0INSTALLER"
    expires_in: int | None = None  # set: a rotating token with a refresh token
    refresh_token: str | None = None
    scope: str = OAUTH_SCOPES
    code: str = ""


@dataclass
class OAuthState:
    client_id: str = ""
    client_secret: str = ""
    pending: list[FakeInstall] = field(default_factory=list)
    codes: dict[str, FakeInstall] = field(default_factory=dict)
    refresh: dict[str, FakeInstall] = field(default_factory=dict)
    authorize_visits: list[JsonDict] = field(default_factory=list)


class FakeOAuth:
    """Mixin: FakeSlack supplies the lock, ``_tokens`` and ``_revoked``."""

    _lock: threading.RLock
    _tokens: dict[str, FakeTeam]
    _revoked: set[str]
    _oauth: OAuthState
    _codes = itertools.count(1)

    def configure_oauth(self, *, client_id: str, client_secret: str) -> None:
        with self._lock:
            self._oauth.client_id, self._oauth.client_secret = client_id, client_secret

    def install_next(self, install: FakeInstall) -> None:
        """The workspace the next visit to the authorize page installs."""
        with self._lock:
            self._oauth.pending.append(install)

    def add_token(self, token: str, team: FakeTeam) -> None:
        """Accept ``token`` as ``team``'s bot token (as if installed long ago)."""
        with self._lock:
            self._tokens[token] = team
            self._revoked.discard(token)

    def revoke(self, token: str) -> None:
        with self._lock:
            self._revoked.add(token)

    def team_of(self, token: str) -> FakeTeam | None:
        with self._lock:
            return None if token in self._revoked else self._tokens.get(token)

    @property
    def authorize_visits(self) -> list[JsonDict]:
        with self._lock:
            return [dict(visit) for visit in self._oauth.authorize_visits]

    # --------------------------------------------------------------- the browser side
    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], JsonDict]:
        """GET /oauth/v2/authorize: a redirect to the app with a code (or an error page)."""
        with self._lock:
            self._oauth.authorize_visits.append(dict(query))
            if not self._oauth.client_id or query.get("client_id") != self._oauth.client_id:
                return 400, {}, {"ok": False, "error": "invalid_client_id"}
            redirect = query.get("redirect_uri")
            if not redirect:
                return 400, {}, {"ok": False, "error": "no_redirect_uri"}
            if not self._oauth.pending:
                return 400, {}, {"ok": False, "error": "nothing_to_install"}
            install = self._oauth.pending.pop(0)
            install.code = f"code-{next(self._codes)}"
            self._oauth.codes[install.code] = install
        params = {"code": install.code, "state": query.get("state", "")}
        return 302, {"Location": f"{redirect}?{urlencode(params)}"}, {"ok": True}

    # ------------------------------------------------------------------ the API side
    def client_authorized(self, headers: dict[str, str], args: JsonDict) -> bool:
        auth = headers.get("authorization", "")
        if auth.startswith("Basic "):
            raw = base64.b64decode(auth[len("Basic ") :]).decode()
            client_id, _, secret = raw.partition(":")
        else:
            client_id, secret = str(args.get("client_id", "")), str(args.get("client_secret", ""))
        with self._lock:
            return bool(self._oauth.client_id) and (client_id, secret) == (
                self._oauth.client_id,
                self._oauth.client_secret,
            )

    def _oauth_v2_access(self, args: JsonDict) -> JsonDict:
        if args.get("grant_type") == "refresh_token":
            old = self._oauth.refresh.pop(str(args.get("refresh_token", "")), None)
            if old is None:
                raise SlackApiFault("invalid_refresh_token")
            rotated = FakeInstall(
                team=old.team,
                bot_token=f"{old.bot_token.split('~')[0]}~{next(self._codes)}",
                installer=old.installer,
                expires_in=old.expires_in,
                scope=old.scope,
            )
            return self._grant(rotated)
        install = self._oauth.codes.pop(str(args.get("code", "")), None)
        if install is None:
            raise SlackApiFault("invalid_code")
        return self._grant(install)

    def _grant(self, install: FakeInstall) -> JsonDict:
        team = install.team
        self._tokens[install.bot_token] = team
        body: JsonDict = {
            "access_token": install.bot_token,
            "token_type": "bot",
            "scope": install.scope,
            "bot_user_id": team.bot_user_id,
            "app_id": "A0FAKE",
            "team": {"id": team.team_id, "name": team.team_name} if team.team_id else None,
            "enterprise": (
                {"id": team.enterprise_id, "name": team.enterprise_name}
                if team.enterprise_id
                else None
            ),
            "is_enterprise_install": team.is_enterprise_install,
            "authed_user": {"id": install.installer},
        }
        if install.expires_in is not None:
            refresh = f"xoxe-1-refresh-{next(self._codes)}"
            self._oauth.refresh[refresh] = install
            body["refresh_token"] = refresh
            body["expires_in"] = install.expires_in
        return body

    def auth_test_for(self, team: FakeTeam, url: str) -> dict[str, Any]:
        return {
            "url": url,
            "team": team.team_name,
            "user": "backfill-bot",
            "team_id": team.team_id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "enterprise_id": team.enterprise_id,
            "is_enterprise_install": team.is_enterprise_install,
        }
