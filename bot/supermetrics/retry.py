"""When the DTS client tries again, and how long it waits (tenacity).

- 5xx, timeouts and connection errors are retried only for idempotent calls, with
  exponential backoff and jitter;
- a 429 is retried for any call (the API did not process it) after exactly its
  ``Retry-After`` when that is within the cap, and surfaces otherwise;
- every retry counts against ``max_retries`` and the total ``budget_seconds``;
- all waits go through the injected ``sleep`` (tests pass a recording no-op).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying

from bot.errors import DtsRateLimitedError, DtsServerError, DtsUnavailableError

log = logging.getLogger(__name__)

T = TypeVar("T")

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
