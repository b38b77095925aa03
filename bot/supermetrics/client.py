"""The Supermetrics Data Transfer (DTS) API client: httpx, typed results, safe retries.

``DtsClient`` is shared by the whole process and owns the connection pool;
``DtsClient.team(team_id=, token=)`` binds one workspace's team and token cheaply.

Retry rules (tenacity):
- reads retry on 5xx, timeouts and connection errors with exponential backoff and jitter,
  bounded by ``max_retries`` and ``retry_budget_seconds``;
- a 429 waits ``Retry-After`` when it is within ``retry_after_cap_seconds`` (the request was
  not processed, so this is safe for writes too), otherwise it surfaces;
- create is never resent: after an uncertain failure (timeout, network, 5xx, unreadable
  2xx) the client looks for a backfill of that transfer with that exact range, created
  since the attempt began, and returns it; otherwise the original error surfaces;
- cancel is idempotent enough to resend; a 422 after an uncertain first attempt is
  resolved by reading the backfill back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import httpx

from bot import __version__
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.errors import (
    DtsError,
    DtsNotFoundError,
    DtsProtocolError,
    DtsRejectedError,
    DtsServerError,
    DtsUnavailableError,
    TokenError,
)
from bot.supermetrics.errors import (
    Operation,
    error_for_status,
    parse_retry_after,
    read_error_body,
    unavailable,
    unreadable,
)
from bot.supermetrics.models import (
    Backfill,
    BackfillStatus,
    RateLimit,
    Transfer,
    parse_backfill,
    parse_backfill_list,
    parse_transfer_list,
)
from bot.supermetrics.retry import RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = f"backfill-bot/{__version__} httpx/{httpx.__version__}"

# How long to let the API settle before looking for a backfill whose create went astray.
CREATE_LOOKUP_PAUSE_SECONDS = 2.0


def _check_token(token: str) -> None:
    # An unsendable token would make httpx raise an error that quotes the header value.
    if (
        not token
        or not token.isascii()
        or not token.isprintable()
        or any(c.isspace() for c in token)
    ):
        raise TokenError(
            "This workspace's Supermetrics token is empty or contains characters that "
            "can't be sent (spaces, line breaks). An admin can set it again with "
            "`/backfill setup`."
        )


class DtsClient:
    """One per process: the httpx pool, retry policy and last rate-limit figures per team."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 3,
        retry_budget_seconds: float = 30.0,
        retry_after_cap_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
        create_lookup_window_seconds: float = 300.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.retry_budget_seconds = retry_budget_seconds
        self.retry_after_cap_seconds = retry_after_cap_seconds
        self.create_lookup_window = timedelta(seconds=create_lookup_window_seconds)
        self._sleep = sleep
        self._clock: Clock = clock or SystemClock()
        self._retry = RetryPolicy(
            max_retries=self.max_retries,
            budget_seconds=retry_budget_seconds,
            retry_after_cap_seconds=retry_after_cap_seconds,
            sleep=sleep,
        )
        self._rate_limits: dict[int, RateLimit] = {}
        self._lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
    ) -> DtsClient:
        return cls(
            base_url=settings.supermetrics_api_url,
            timeout=settings.supermetrics_timeout_seconds,
            transport=transport,
            max_retries=settings.supermetrics_max_retries,
            retry_budget_seconds=settings.supermetrics_retry_budget_seconds,
            retry_after_cap_seconds=settings.supermetrics_retry_after_cap_seconds,
            sleep=sleep,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"DtsClient(base_url={self.base_url!r}, timeout={self.timeout:g})"

    def team(self, *, team_id: int, token: str) -> DtsTeamClient:
        """Bind a team and its token; cheap, shares this client's pool."""
        _check_token(token)
        return DtsTeamClient(self, team_id=team_id, token=token)

    def rate_limit(self, team_id: int) -> RateLimit | None:
        """The last X-RateLimit-* figures seen for the team, if the API sent any."""
        with self._lock:
            return self._rate_limits.get(team_id)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DtsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- one exchange -------------------------------------------------------------------

    def _send(
        self,
        *,
        team_id: int,
        token: str,
        method: str,
        path: str,
        operation: Operation,
        parse: Callable[[Any], T],
        body: Mapping[str, Any] | None = None,
    ) -> T:
        started = time.monotonic()
        try:
            response = self._http.request(
                method, path, json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TimeoutException as exc:
            log.info("DTS %s %s timed out after %.1fs", method, path, time.monotonic() - started)
            raise unavailable(operation=operation, timed_out=True, timeout=self.timeout) from exc
        except httpx.TransportError as exc:
            log.info("DTS %s %s failed: %s", method, path, type(exc).__name__)
            raise unavailable(operation=operation, timed_out=False, timeout=self.timeout) from exc
        self._record_rate_limit(team_id, response.headers)
        elapsed_ms = (time.monotonic() - started) * 1000
        if not 200 <= response.status_code < 300:
            error_body = read_error_body(response.content, response.headers)
            log.info(
                "DTS %s %s -> %d %s (%.0f ms, request %s)",
                method,
                path,
                response.status_code,
                error_body.code,
                elapsed_ms,
                error_body.request_id,
            )
            raise error_for_status(
                response.status_code,
                error_body,
                operation=operation,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        try:
            payload = response.json()
        except ValueError:
            raise unreadable(
                operation=operation,
                what="not JSON",
                status_code=response.status_code,
                request_id=response.headers.get("x-request-id"),
            ) from None
        meta = payload.get("meta") if isinstance(payload, dict) else None
        request_id = meta.get("request_id") if isinstance(meta, dict) else None
        log.debug(
            "DTS %s %s -> %d (%.0f ms, request %s)",
            method,
            path,
            response.status_code,
            elapsed_ms,
            request_id,
        )
        if not isinstance(payload, dict) or "data" not in payload:
            raise unreadable(
                operation=operation,
                what="no data in the answer",
                status_code=response.status_code,
                request_id=str(request_id) if request_id else None,
            )
        try:
            return parse(payload["data"])
        except DtsProtocolError as exc:
            raise unreadable(
                operation=operation,
                what=exc.description or "unexpected shape",
                status_code=response.status_code,
                request_id=str(request_id) if request_id else None,
            ) from exc

    def _record_rate_limit(self, team_id: int, headers: httpx.Headers) -> None:
        limit = _header_int(headers.get("x-ratelimit-limit"))
        remaining = _header_int(headers.get("x-ratelimit-remaining"))
        if limit is None and remaining is None:
            return
        with self._lock:
            self._rate_limits[team_id] = RateLimit(
                limit=limit, remaining=remaining, seen_at=self._clock.now()
            )


def _header_int(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None


class DtsTeamClient:
    """One team and its token, bound to the shared ``DtsClient``."""

    __slots__ = ("_client", "_token", "team_id")

    def __init__(self, client: DtsClient, *, team_id: int, token: str) -> None:
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
        return self._client._send(
            team_id=self.team_id,
            token=self._token,
            method=method,
            path=f"teams/{self.team_id}/{path}",
            operation=operation,
            parse=parse,
            body=body,
        )

    def _get(self, path: str, *, operation: Operation, parse: Callable[[Any], T]) -> T:
        return self._client._retry.run(
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
        )
        body = {"range_start": range_start.isoformat(), "range_end": range_end.isoformat()}
        path = f"transfers/{transfer_id}/backfills"
        attempt_began = self._client._clock.now()
        try:
            return self._client._retry.run(
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
        self._client._sleep(min(CREATE_LOOKUP_PAUSE_SECONDS, self._client.timeout))

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

        return self._client._retry.run(
            attempt, idempotent=True, label=f"PATCH teams/{self.team_id}/{path}"
        )


def _succeeded(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300
