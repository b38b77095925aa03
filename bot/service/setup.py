"""Workspace setup: who may open it, and checking then storing the Supermetrics token."""

from __future__ import annotations

from bot.errors import (
    AccessDeniedError,
    CommandError,
    DtsError,
    DtsForbiddenError,
    DtsNotFoundError,
    DtsUnauthorizedError,
    TokenError,
)
from bot.messages.blocks import escape_mrkdwn
from bot.service.deps import Deps
from bot.service.types import OPEN_SETUP, Actor, Reply
from bot.store.queries import set_workspace_token

NOT_ADMIN = (
    "Only a workspace admin can set up the Supermetrics connection. Ask a Slack workspace "
    "admin or owner (or someone on the bot's admin list) to run `/backfill setup`."
)


class TeamIdError(CommandError):
    """The Supermetrics team id typed into setup is not a positive number."""


class Setup:
    def __init__(self, deps: Deps) -> None:
        self.d = deps

    def open(self, actor: Actor) -> Reply:
        if not self.d.rules(actor).is_admin(actor):
            raise AccessDeniedError(NOT_ADMIN)
        return Reply(text="Opening the setup form…", opens=OPEN_SETUP)

    def set_token(self, actor: Actor, supermetrics_team_id: int, token: str) -> Reply:
        """Check the token against the API, then store it encrypted. Never echoes it."""
        if not self.d.rules(actor).is_admin(actor):
            raise AccessDeniedError(NOT_ADMIN)
        if supermetrics_team_id <= 0:
            raise TeamIdError(
                "The Supermetrics team id is a positive number (Supermetrics Hub → Team "
                "settings), e.g. 12345."
            )
        token = token.strip()
        if not token:
            raise TokenError("Paste the Supermetrics API token (it can't be empty).")
        team = self.d.dts.team(team_id=supermetrics_team_id, token=token)
        try:
            transfers = team.list_transfers()
        except DtsUnauthorizedError as exc:
            raise DtsUnauthorizedError(
                "Supermetrics rejected this token (401): it is wrong, expired or revoked. "
                "Copy the whole token again from the Supermetrics Hub.",
                status_code=exc.status_code,
            ) from exc
        except DtsForbiddenError as exc:
            raise DtsForbiddenError(
                "Supermetrics accepted the token but refused to list this team's transfers "
                "(403). Give it the scopes `dwh_transfers_read` and `dwh_transfers_write`, "
                "and its user the permission `dwh.transfer.edit`.",
                status_code=exc.status_code,
            ) from exc
        except DtsNotFoundError as exc:
            raise DtsNotFoundError(
                f"Supermetrics has no team {supermetrics_team_id} that this token can "
                "access (404). Check the team id.",
                status_code=exc.status_code,
            ) from exc
        except DtsError:
            raise
        ciphertext = self.d.vault.encrypt(token)
        with self.d.session() as session:
            set_workspace_token(
                session,
                slack_team_id=actor.slack_team_id,
                supermetrics_team_id=supermetrics_team_id,
                token_ciphertext=ciphertext,
                set_by=actor.user_id,
                now=self.d.now(),
            )
        # a new token may see other transfers: the next command reads the list afresh
        self.d.transfers.invalidate(supermetrics_team_id)
        names = ", ".join(escape_mrkdwn(t.display_name) for t in transfers[:5])
        seen = f" (e.g. {names})" if names else ""
        return Reply(
            text=(
                f"Connected to Supermetrics team {supermetrics_team_id}: the token works and "
                f"sees {len(transfers)} transfers{seen}. It is stored encrypted and won't be "
                "shown again. Submitting backfills also needs the scope `dwh_transfers_write`."
            )
        )
