"""What a new request's card checks at Supermetrics: the team (None when its token is
missing or unreadable), whether the transfer is in the team's list, and the unfinished
backfills of the transfer that overlap the range."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from bot.errors import DtsError, TokenDecryptError
from bot.messages.blocks import error_text
from bot.service.deps import Deps, log
from bot.service.request_cards import outside_backfill, overlap_warnings
from bot.service.types import Actor
from bot.store.external_backfills import external_backfills
from bot.supermetrics.client import DtsTeamClient
from bot.supermetrics.models import LIST_CAP, Transfer


class TransferChecks:
    def __init__(self, deps: Deps) -> None:
        self.d = deps

    def team_or_none(self, actor: Actor) -> DtsTeamClient | None:
        try:
            return self.d.maybe_team_client(actor.slack_team_id)
        except TokenDecryptError:
            log.warning("token of %s cannot be decrypted; skipping lookups", actor.slack_team_id)
            return None

    def transfers(
        self, team: DtsTeamClient | None, *, has: Callable[[Sequence[Transfer]], bool]
    ) -> Sequence[Transfer] | None:
        """The team's transfers, or None when they can't be read (the card still shows)."""
        if team is None:
            return None
        try:
            return self.d.transfers.transfers(team, has=has)
        except DtsError as exc:
            log.info("transfer list unavailable for the card: %s", exc.user_message)
            return None

    def warnings_for(
        self,
        team: DtsTeamClient | None,
        transfer_id: int,
        start: date,
        end: date,
        *,
        actor: Actor,
        closes_on_confirm: int | None = None,
    ) -> list[str]:
        """Warn about unfinished backfills of the transfer that overlap the range.

        The team's list is read now; backfills started outside Slack that the tracker
        last saw in it are added when the list is full (older ones may not fit in it) or
        cannot be read.
        """
        if team is None:
            return []
        with self.d.session() as session:
            # what the tracker last saw in the team's list, started outside Slack
            seen = [
                outside_backfill(row)
                for row in external_backfills(
                    session,
                    slack_team_id=actor.slack_team_id,
                    transfer_id=transfer_id,
                    overlapping=(start, end),
                )
            ]
        try:
            incomplete = team.list_incomplete_backfills()
        except DtsError as exc:
            problem = (
                f"I couldn't check for overlapping backfills of this transfer ({error_text(exc)})"
            )
            known = overlap_warnings(seen, transfer_id=transfer_id, req_start=start, req_end=end)
            return [*known, problem]
        if len(incomplete) >= LIST_CAP:
            # a full list may leave out older backfills: add those the tracker saw before
            listed = {backfill.backfill_id for backfill in incomplete}
            incomplete = [*incomplete, *(b for b in seen if b.backfill_id not in listed)]
        return overlap_warnings(
            incomplete,
            transfer_id=transfer_id,
            req_start=start,
            req_end=end,
            closes_on_confirm=closes_on_confirm,
        )


def with_id(transfer_id: int) -> Callable[[Sequence[Transfer]], bool]:
    """Whether a transfer list holds the transfer (else a cached list is fetched again)."""
    return lambda transfers: any(t.transfer_id == transfer_id for t in transfers)
