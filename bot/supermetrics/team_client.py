"""Operations of one team, bound to the shared ``DtsClient`` (see ``client.py``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.clock import Clock
from bot.errors import (
    DtsError,
    DtsNotFoundError,
    DtsProtocolError,
    DtsRejectedError,
    DtsServerError,
    DtsUnavailableError,
)
from bot.supermetrics.errors import Operation
from bot.supermetrics.models import (
    Backfill,
    BackfillStatus,
    Transfer,
    parse_backfill,
    parse_backfill_list,
    parse_transfer_list,
)

T = TypeVar("T")


class Retrier(Protocol):
    """The client's retry policy (``RetryPolicy`` in ``client.py``)."""

    def run(self, attempt: Callable[[], T], *, idempotent: bool, label: str) -> T: ...


class TeamTransport(Protocol):
    """What a team's operations need of the process's ``DtsClient`` (``client.py``)."""

    base_url: str
    timeout: float
    create_lookup_window: timedelta
    clock: Clock
    sleep: Callable[[float], None]

    @property
    def retry(self) -> Retrier: ...

    def send(
        self,
        *,
        team_id: int,
        token: str,
        method: str,
        path: str,
        operation: Operation,
        parse: Callable[[Any], T],
        body: Mapping[str, Any] | None = None,
    ) -> T: ...


log = logging.getLogger("bot.supermetrics.client")


# How long to let the API settle before looking for a backfill whose create went astray.
CREATE_LOOKUP_PAUSE_SECONDS = 2.0


class DtsTeamClient:
    """One team and its token, bound to the shared ``DtsClient``."""

    __slots__ = ("_client", "_token", "team_id")

    def __init__(self, client: TeamTransport, *, team_id: int, token: str) -> None:
        self._client = client
        self._token = token
        self.team_id = team_id

    def __repr__(self) -> str:
        return f"DtsTeamClient(team_id={self.team_id}, base_url={self._client.base_url!r})"

    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: Operation,
        parse: Callable[[Any], T],
        body: Mapping[str, Any] | None = None,
    ) -> T:
        return self._client.send(
            team_id=self.team_id,
            token=self._token,
            method=method,
            path=f"teams/{self.team_id}/{path}",
            operation=operation,
            parse=parse,
            body=body,
        )

    def _get(self, path: str, *, operation: Operation, parse: Callable[[Any], T]) -> T:
        return self._client.retry.run(
            lambda: self._call("GET", path, operation=operation, parse=parse),
            idempotent=True,
            label=f"GET teams/{self.team_id}/{path}",
        )

    # --- operations ---------------------------------------------------------------------

    def create_backfill(self, *, transfer_id: int, range_start: date, range_end: date) -> Backfill:
        """Create a backfill; never sends the create twice (see the module docstring)."""
        operation = Operation(
            action=(
                f"create the backfill of transfer {transfer_id} for "
                f"{range_start.isoformat()} – {range_end.isoformat()}"
            ),
            not_found=f"transfer {transfer_id} in Supermetrics team {self.team_id}",
            write=True,
        )
        body = {"range_start": range_start.isoformat(), "range_end": range_end.isoformat()}
        path = f"transfers/{transfer_id}/backfills"
        attempt_began = self._client.clock.now()
        try:
            return self._client.retry.run(
                lambda: self._call(
                    "POST", path, operation=operation, parse=parse_backfill, body=body
                ),
                idempotent=False,
                label=f"POST teams/{self.team_id}/{path}",
            )
        except (DtsUnavailableError, DtsServerError, DtsProtocolError) as exc:
            if isinstance(exc, DtsProtocolError) and not _succeeded(exc.status_code):
                raise
            found = self._find_created(
                transfer_id=transfer_id,
                range_start=range_start,
                range_end=range_end,
                since=attempt_began - self._client.create_lookup_window,
            )
            if found is None:
                log.warning(
                    "DTS create for transfer %s failed uncertainly (%s); no such backfill found",
                    transfer_id,
                    type(exc).__name__,
                )
                raise
            log.warning(
                "DTS create for transfer %s failed uncertainly (%s); found backfill %s",
                transfer_id,
                type(exc).__name__,
                found.backfill_id,
            )
            return found

    def _find_created(
        self, *, transfer_id: int, range_start: date, range_end: date, since: datetime
    ) -> Backfill | None:
        """The backfill an uncertain create may have made, or None."""
        self._client.sleep(min(CREATE_LOOKUP_PAUSE_SECONDS, self._client.timeout))

        def matches(backfill: Backfill) -> bool:
            return (
                backfill.covers(
                    transfer_id=transfer_id, range_start=range_start, range_end=range_end
                )
                and backfill.created_time >= since
            )

        try:
            latest = self.latest_backfill(transfer_id=transfer_id)
            if latest is not None and matches(latest):
                return latest
            for backfill in self.list_incomplete_backfills():
                if matches(backfill):
                    return backfill
        except DtsError as exc:
            log.warning("DTS look-up after an uncertain create failed: %s", type(exc).__name__)
        return None

    def get_backfill(self, *, backfill_id: int) -> Backfill:
        return self._get(
            f"backfills/{backfill_id}",
            operation=Operation(
                action=f"read backfill {backfill_id}",
                not_found=f"backfill {backfill_id} in Supermetrics team {self.team_id}",
            ),
            parse=parse_backfill,
        )

    def latest_backfill(self, *, transfer_id: int) -> Backfill | None:
        """The newest backfill of the transfer; None when it never had one (404)."""
        try:
            return self._get(
                f"transfers/{transfer_id}/backfills/latest",
                operation=Operation(
                    action=f"read the latest backfill of transfer {transfer_id}",
                    not_found=f"transfer {transfer_id} in Supermetrics team {self.team_id}",
                ),
                parse=parse_backfill,
            )
        except DtsNotFoundError:
            return None

    def list_incomplete_backfills(self) -> list[Backfill]:
        """CREATED/SCHEDULED/RUNNING/FAILED backfills of the team, newest first (max 100)."""
        return self._get(
            "backfills",
            operation=Operation(
                action="list this team's backfills",
                not_found=f"Supermetrics team {self.team_id}",
            ),
            parse=parse_backfill_list,
        )

    def list_transfers(self) -> list[Transfer]:
        return self._get(
            "transfers",
            operation=Operation(
                action="list this team's transfers",
                not_found=f"Supermetrics team {self.team_id}",
            ),
            parse=parse_transfer_list,
        )

    def cancel_backfill(self, *, backfill_id: int) -> Backfill:
        """Cancel; resent after uncertain failures, a later "already final" is read back."""
        operation = Operation(
            action=f"cancel backfill {backfill_id}",
            not_found=f"backfill {backfill_id} in Supermetrics team {self.team_id}",
            write=True,
        )
        path = f"backfills/{backfill_id}"
        uncertain = False

        def attempt() -> Backfill:
            nonlocal uncertain
            try:
                return self._call(
                    "PATCH",
                    path,
                    operation=operation,
                    parse=parse_backfill,
                    body={"status": BackfillStatus.CANCELLED.value},
                )
            except (DtsUnavailableError, DtsServerError):
                uncertain = True
                raise
            except DtsRejectedError:
                if uncertain:
                    # our earlier attempt may have landed: then it is cancelled, as asked
                    current = self.get_backfill(backfill_id=backfill_id)
                    if current.status is BackfillStatus.CANCELLED:
                        return current
                raise

        return self._client.retry.run(
            attempt, idempotent=True, label=f"PATCH teams/{self.team_id}/{path}"
        )


def _succeeded(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300
