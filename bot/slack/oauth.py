"""Multi-workspace mode: "Add to Slack" (OAuth v2), and what changes when an app leaves.

Active when ``SLACK_CLIENT_ID`` is set and ``SLACK_BOT_TOKEN`` is not
(``Settings.multi_workspace``). ``GET /slack/install`` renders the "Add to Slack" page
(a link to Slack's authorize URL with our client id, scopes and a one-time state);
``GET /slack/oauth_redirect`` checks the state (one use, stored in our database, and bound
to the browser by a cookie), trades the code at ``oauth.v2.access`` and stores the
installation through ``EncryptedInstallationStore``. Every Slack call, the OAuth ones
included, goes to ``SLACK_API_URL``; Slack's authorize page is found beside it
(``…/api/`` → ``…/oauth/v2/authorize``).

``app_uninstalled`` and ``tokens_revoked`` (bot tokens) delete the workspace's installation
and pause the tracking of its running backfills, keeping its requests; installing again
resumes them.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.runtime import Runtime
from bot.slack.installations import (
    EncryptedInstallationStore,
    InstalledWorkspaces,
    SingleWorkspace,
    TeamClients,
    build_state_store,
)
from bot.slack.slack_notifier import build_web_client
from bot.store.db import session_scope
from bot.store.slack_installations import (
    pause_team_tracking,
    resume_team_tracking,
    teams_of_enterprise,
)

log = logging.getLogger("bot.slack.oauth")

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# the bot scopes "Add to Slack" asks for: the manifest's (tests/docs keep them equal)
BOT_SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "app_mentions:read",
    "im:history",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "im:read",
    "im:write",
    "channels:history",  # conversations.replies / .history: reading back a post whose answer
    "groups:history",  # was lost, before posting it again
)
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


@dataclass
class Workspaces:
    """How the app reaches its workspaces: a client per team, and the OAuth flow if any."""

    clients: TeamClients
    oauth_flow: OAuthFlow | None = None
    installed: InstalledWorkspaces | None = None


def authorize_url(slack_api_url: str) -> str:
    """Slack's authorize page beside the Web API (``https://slack.com/oauth/v2/authorize``)."""
    return urljoin(slack_api_url, "../oauth/v2/authorize")


def redirect_uri_of(request: BoltRequest) -> str:
    """``https://<host>/slack/oauth_redirect`` for the host the install page was asked on."""

    def header(name: str) -> str:
        values = request.headers.get(name) or [""]
        return str(values[0]).split(",")[0].strip()

    host = header("x-forwarded-host") or header("host")
    scheme = header("x-forwarded-proto")
    if not scheme:
        scheme = "http" if host.split(":")[0] in _LOCAL_HOSTS or host.startswith("[") else "https"
    return f"{scheme}://{host}{REDIRECT_PATH}"


class InstallFlow(OAuthFlow):
    """Bolt's OAuth flow, with the redirect URL taken from the request host when not set,
    and a hook after an installation is stored."""

    def __init__(
        self,
        *,
        client: WebClient,
        settings: OAuthSettings,
        on_installed: Callable[[Installation], None],
    ) -> None:
        super().__init__(client=client, logger=log, settings=settings)
        self.on_installed = on_installed

    def build_authorize_url(self, state: str, request: BoltRequest) -> str:
        if self.settings.redirect_uri:
            return super().build_authorize_url(state, request)
        team_ids = request.query.get("team")
        generator = AuthorizeUrlGenerator(
            client_id=self.settings.client_id,
            redirect_uri=redirect_uri_of(request),
            scopes=self.settings.scopes,
            user_scopes=self.settings.user_scopes,
            authorization_url=self.settings.authorization_url,
        )
        return str(generator.generate(state=state, team=team_ids[0] if team_ids else None))

    def handle_callback(self, request: BoltRequest) -> BoltResponse:
        if self.settings.redirect_uri:
            return super().handle_callback(request)
        # oauth.v2.access must name the redirect URL the authorize link named: this
        # request's own, on a per-request copy (the flow is shared by the server's threads)
        flow = copy.copy(self)
        flow.settings = copy.copy(self.settings)
        flow.settings.redirect_uri = redirect_uri_of(request)
        return OAuthFlow.handle_callback(flow, request)

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        super().store_installation(request, installation)
        log.info(
            "installed in workspace %s (organization %s)",
            installation.team_id,
            installation.enterprise_id,
        )
        self.on_installed(installation)


def build_workspaces(runtime: Runtime, client: WebClient) -> Workspaces:
    """Single-workspace (``SLACK_BOT_TOKEN``) or installed workspaces ("Add to Slack")."""
    settings = runtime.settings
    if not settings.multi_workspace:
        return Workspaces(clients=SingleWorkspace(client))
    store = EncryptedInstallationStore(
        engine=runtime.engine, client_id=settings.slack_client_id, vault=runtime.vault
    )
    anonymous = build_web_client(settings.with_overrides(slack_bot_token=""))
    installed = InstalledWorkspaces(
        store=store,
        session_factory=runtime.session_factory,
        make_client=lambda token: build_web_client(settings, token=token),
        rotator=TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            client=anonymous,
        ),
        refresh_minutes=settings.slack_token_refresh_minutes,
    )
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri or None,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorize_url(settings.slack_api_url),
        installation_store=store,
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=settings.slack_token_refresh_minutes,
        state_store=build_state_store(runtime.engine),
        logger=log,
    )
    # Bolt's own authorize would refresh rotating tokens through slack.com: ours goes
    # through SLACK_API_URL like every other call
    oauth_settings.authorize = InstallationStoreAuthorize(
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_rotation_expiration_minutes=settings.slack_token_refresh_minutes,
        bot_only=True,
        cache_enabled=True,  # keyed by token: skips auth.test for a token already seen
        client=anonymous,
        logger=log,
    )

    def on_installed(installation: Installation) -> None:
        team_id = installation.team_id
        if installation.enterprise_id and team_id:
            installed.note_enterprise(team_id=team_id, enterprise_id=installation.enterprise_id)
        installed.forget()
        with session_scope(runtime.session_factory) as session:
            org = installation.enterprise_id
            teams = (
                teams_of_enterprise(session, enterprise_id=org)
                if installation.is_enterprise_install and org
                else [team_id]
                if team_id
                else []
            )
            resumed = sum(
                resume_team_tracking(session, slack_team_id=team, now=runtime.clock.now())
                for team in teams
            )
        if resumed:
            log.info("installed again: resumed tracking %d backfill(s)", resumed)

    flow = InstallFlow(client=anonymous, settings=oauth_settings, on_installed=on_installed)
    return Workspaces(clients=installed, oauth_flow=flow, installed=installed)


def register(app: App, workspaces: Workspaces, runtime: Runtime) -> None:
    """Uninstall and revocation events; in multi-workspace mode, note Grid organizations."""
    installed = workspaces.installed

    def leave(body: dict[str, Any], context: BoltContext, why: str) -> None:
        enterprise_id = context.enterprise_id
        org_wide = bool(context.is_enterprise_install) and enterprise_id is not None
        team_id = _team_of(body, context)
        if installed is not None:
            # an org-wide installation is stored without a team
            installed.store.delete_all(
                enterprise_id=enterprise_id, team_id=None if org_wide else team_id
            )
            installed.forget()
        with session_scope(runtime.session_factory) as session:
            teams = (
                teams_of_enterprise(session, enterprise_id=enterprise_id)
                if org_wide and enterprise_id
                else [team_id]
            )
            paused = sum(
                pause_team_tracking(session, slack_team_id=team, now=runtime.clock.now())
                for team in teams
            )
        log.warning(
            "%s in %s: installation deleted, tracking of %d running backfill(s) paused "
            "(requests kept; installing again resumes them)",
            why,
            f"organization {enterprise_id}" if org_wide else f"workspace {team_id}",
            paused,
        )

    def on_uninstalled(ack: Any, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        leave(body, context, "app uninstalled")

    def on_revoked(ack: Any, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        tokens = (body.get("event") or {}).get("tokens") or {}
        if tokens.get("bot"):
            leave(body, context, "bot token revoked")
        elif installed is not None and tokens.get("oauth"):
            for user_id in tokens["oauth"]:
                installed.store.delete_installation(
                    enterprise_id=context.enterprise_id,
                    team_id=_team_of(body, context),
                    user_id=user_id,
                )

    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_revoked)

    if installed is not None:

        @app.middleware
        def note_enterprise(context: BoltContext, next: Callable[[], Any]) -> Any:
            if context.enterprise_id and context.team_id:
                installed.note_enterprise(
                    team_id=context.team_id, enterprise_id=context.enterprise_id
                )
            return next()


def _team_of(body: dict[str, Any], context: BoltContext) -> str:
    return str(context.team_id or body.get("team_id") or "")
