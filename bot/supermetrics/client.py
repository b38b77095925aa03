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
  resolved by reading the backfill back;
- every retry counts against ``max_retries`` and the total budget; all waits go through the
  injected ``sleep`` (tests pass a recording no-op).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, Retrying

from bot import __version__
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.errors import (
    DtsProtocolError,
    DtsRateLimitedError,
    DtsServerError,
    DtsUnavailableError,
    TokenError,
)
from bot.observability import metrics
from bot.observability.logs import log_context
from bot.observability.metrics import endpoint_of
from bot.supermetrics.errors import (
    Operation,
    error_for_status,
    parse_retry_after,
    read_error_body,
    unavailable,
    unreadable,
)
from bot.supermetrics.models import RateLimit
from bot.supermetrics.team_client import CREATE_LOOKUP_PAUSE_SECONDS, DtsTeamClient

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["CREATE_LOOKUP_PAUSE_SECONDS", "USER_AGENT", "DtsClient", "DtsTeamClient"]

# --- when to try again, and how long to wait (tenacity) ------------------------------

_EPSILON = 1e-6


def _spent(state: RetryCallState) -> float:
    # idle_for counts injected sleeps (no-ops in tests); seconds_since_start the real time
    return max(state.idle_for, state.seconds_since_start or 0.0)


def _error(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome else None


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    budget_seconds: float
    retry_after_cap_seconds: float
    sleep: Callable[[float], None]
    initial_backoff: float = 0.5
    max_backoff: float = 8.0

    def _backoff(self, state: RetryCallState) -> float:
        # exponential with jitter (own arithmetic: tenacity renamed its parameters in 9.x)
        exponential = self.initial_backoff * float(2 ** (state.attempt_number - 1))
        return min(self.max_backoff, exponential) + random.uniform(0, self.initial_backoff)

    def run(self, attempt: Callable[[], T], *, idempotent: bool, label: str) -> T:
        """Call ``attempt`` until it succeeds or the policy gives up (then re-raise)."""

        def should_retry(state: RetryCallState) -> bool:
            exc = _error(state)
            if isinstance(exc, DtsRateLimitedError):
                return exc.retry_after is None or exc.retry_after <= self.retry_after_cap_seconds
            return idempotent and isinstance(exc, DtsServerError | DtsUnavailableError)

        def wait(state: RetryCallState) -> float:
            exc = _error(state)
            if isinstance(exc, DtsRateLimitedError) and exc.retry_after is not None:
                # waiting less than asked is pointless; the stop rule gives up instead
                return exc.retry_after
            return max(0.0, min(self._backoff(state), self.budget_seconds - _spent(state)))

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number > self.max_retries:
                return True
            if isinstance(_error(state), DtsRateLimitedError):
                # the API asked for this wait: it counts against the budget, the call's own
                # milliseconds do not (a Retry-After equal to a 30 s cap and budget is waited)
                remaining = self.budget_seconds - state.idle_for
            else:
                remaining = self.budget_seconds - _spent(state)
            return remaining <= _EPSILON or state.upcoming_sleep > remaining + _EPSILON

        def before_sleep(state: RetryCallState) -> None:
            exc = _error(state)
            log.warning(
                "DTS %s failed (%s, status %s); retry %d in %.2fs",
                label,
                type(exc).__name__,
                getattr(exc, "status_code", None),
                state.attempt_number,
                state.upcoming_sleep,
            )

        retrying = Retrying(
            retry=should_retry,
            wait=wait,
            stop=stop,
            sleep=self.sleep,
            reraise=True,
            before_sleep=before_sleep,
        )
        return retrying(attempt)


USER_AGENT = f"backfill-bot/{__version__} httpx/{httpx.__version__}"


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
        self.sleep = sleep
        self.clock: Clock = clock or SystemClock()
        self.retry = RetryPolicy(
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
    ) -> T:
        with log_context(supermetrics_team=team_id):
            return self._send(
                team_id=team_id,
                token=token,
                method=method,
                path=path,
                operation=operation,
                parse=parse,
                body=body,
            )

    def _send(
        self,
        *,
        team_id: int,
        token: str,
        method: str,
        path: str,
        operation: Operation,
        parse: Callable[[Any], T],
        body: Mapping[str, Any] | None,
    ) -> T:
        endpoint = endpoint_of(method, path)
        started = time.monotonic()
        try:
            response = self._http.request(
                method, path, json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TimeoutException as exc:
            metrics.current().dts_call(
                endpoint=endpoint, status="timeout", seconds=time.monotonic() - started
            )
            log.info("DTS %s %s timed out after %.1fs", method, path, time.monotonic() - started)
            raise unavailable(operation=operation, timed_out=True, timeout=self.timeout) from exc
        except httpx.TransportError as exc:
            metrics.current().dts_call(
                endpoint=endpoint, status="network", seconds=time.monotonic() - started
            )
            log.info("DTS %s %s failed: %s", method, path, type(exc).__name__)
            raise unavailable(operation=operation, timed_out=False, timeout=self.timeout) from exc
        metrics.current().dts_call(
            endpoint=endpoint,
            status=str(response.status_code),
            seconds=time.monotonic() - started,
        )
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
                extra={"dts_request_id": error_body.request_id},
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
            extra={"dts_request_id": request_id},
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
                limit=limit, remaining=remaining, seen_at=self.clock.now()
            )


def _header_int(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None
