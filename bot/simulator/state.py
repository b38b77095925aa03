"""In-memory Supermetrics DTS API: teams, tokens, rules, rate limits and fault injection.

``DtsSimulator.handle(method, path, headers, body)`` answers one request as the real API
would; ``simulator.py`` serves it over loopback HTTP.  Backfill state is derived from the
clock when asked (``lifecycle``), and the wire format lives in ``wire``.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from bot.clock import Clock
from bot.simulator import wire
from bot.simulator.lifecycle import SimBackfill
from bot.simulator.wire import ApiError, SimResponse
from bot.supermetrics.models import INCOMPLETE_STATUSES, LIST_CAP, Backfill, Transfer

FaultKind = Literal["429", "500", "delay", "bad_json"]

DEFAULT_TRANSFERS: tuple[Transfer, ...] = (
    Transfer(456789, "Facebook Ads - daily", "active"),
    Transfer(456790, "Google Ads", "active"),
    Transfer(456791, "LinkedIn Ads", "active"),
    Transfer(456792, "FB ads - daily", "active"),
    Transfer(456793, "TikTok Ads", "paused"),
)
DEFAULT_USER_ID = 789
HUB_USER_ID = 790
DEFAULT_RUN_ERROR = "Connection timeout to data source"
FIRST_BACKFILL_ID = 10001
MAX_LISTED = LIST_CAP


@dataclass
class _Token:
    team_id: int
    user_id: int
    write: bool


@dataclass
class _Fault:
    kind: FaultKind
    retry_after: int
    delay: float


@dataclass
class _Team:
    transfers: dict[int, Transfer] = field(default_factory=dict)
    # ids that may still be incomplete, oldest first; final ones are pruned lazily
    open_ids: dict[int, None] = field(default_factory=dict)


class DtsSimulator:
    """The DTS API's state and rules, driven by an injected clock (thread-safe)."""

    def __init__(
        self,
        *,
        clock: Clock,
        token: str = "demo-token",  # noqa: S107 - the simulator's public demo token
        team_id: int = 1,
        transfers: Sequence[Transfer] | None = None,
        speed: float = 1.0,
        schedule_delay: float = 5.0,
        start_delay: float = 5.0,
        seconds_per_run: float = 10.0,
        rate_limit: int = 10000,
        first_backfill_id: int = FIRST_BACKFILL_ID,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        if first_backfill_id < 1:
            raise ValueError("first_backfill_id must be a positive integer")
        self.clock = clock
        self.speed = speed
        self.schedule_delay = schedule_delay
        self.start_delay = start_delay
        self.seconds_per_run = seconds_per_run
        self.rate_limit = rate_limit
        self.calls: list[tuple[str, str]] = []
        self.max_calls: int | None = None  # a long-running server keeps only the recent ones
        self._lock = threading.RLock()
        self._tokens: dict[str, _Token] = {}
        self._teams: dict[int, _Team] = {}
        self._records: dict[int, SimBackfill] = {}
        self._latest: dict[tuple[int, int], int] = {}
        # per (team, transfer): ranges not known to be final, sorted and disjoint
        self._spans: dict[tuple[int, int], list[tuple[date, date, int]]] = {}
        self._fail_dates: dict[int, dict[date, str]] = {}
        self._faults: list[_Fault] = []
        # the team list's own switch (``list_slow`` / ``list_failing``), per team (None:
        # every team), until turned off
        self._list_faults: dict[int | None, _Fault] = {}
        self._usage: dict[tuple[int, int], int] = {}
        # a restarted simulator can continue above ids a database still remembers
        self._next_id = first_backfill_id
        self._random = random.Random()
        self.add_team(
            team_id, token=token, transfers=DEFAULT_TRANSFERS if transfers is None else transfers
        )

    # --- configuration ----------------------------------------------------------------

    def add_team(
        self,
        team_id: int,
        *,
        token: str,
        transfers: Sequence[Transfer] = (),
        user_id: int = DEFAULT_USER_ID,
    ) -> None:
        """Add (or extend) a team reachable with ``token``."""
        with self._lock:
            team = self._teams.setdefault(team_id, _Team())
            for transfer in transfers:
                team.transfers[transfer.transfer_id] = transfer
            self._tokens[token] = _Token(team_id=team_id, user_id=user_id, write=True)

    def add_token(
        self, token: str, *, team_id: int, write: bool = True, user_id: int = 791
    ) -> None:
        """Another token for a team; ``write=False`` lacks ``dwh_transfers_write`` (403)."""
        with self._lock:
            self._teams.setdefault(team_id, _Team())
            self._tokens[token] = _Token(team_id=team_id, user_id=user_id, write=write)

    def revoke_token(self, token: str) -> None:
        """The token stops working, as when it is deleted in the Supermetrics Hub (401)."""
        with self._lock:
            self._tokens.pop(token, None)

    def fail_dates(
        self, transfer_id: int, dates: Iterable[date], error: str = DEFAULT_RUN_ERROR
    ) -> None:
        """Make runs of these days fail, for backfills of the transfer created from now on."""
        with self._lock:
            table = self._fail_dates.setdefault(transfer_id, {})
            for day in dates:
                table[day] = error

    def inject(
        self,
        kind: FaultKind,
        count: int = 1,
        *,
        retry_after: int = 1,
        delay: float = 15.0,
    ) -> None:
        """Spoil the next ``count`` responses: 429, 500, a late answer, or broken JSON.

        429 and 500 replace the answer (nothing happens); "delay" and "bad_json" happen
        after the request took effect, like a reply lost on the way back.
        """
        if kind not in ("429", "500", "delay", "bad_json"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.extend(_Fault(kind, retry_after, delay) for _ in range(count))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._list_faults.clear()

    def list_slow(self, seconds: float, *, team_id: int | None = None) -> None:
        """Answer ``GET /teams/{id}/backfills`` ``seconds`` late (0: on time again), for
        one team or (``team_id=None``) every team."""
        self._set_list_fault(team_id, _Fault("delay", 0, seconds) if seconds > 0 else None)

    def list_failing(
        self,
        kind: Literal["429", "500"] | None,
        *,
        retry_after: int = 1,
        team_id: int | None = None,
    ) -> None:
        """Make a team's list calls (every team's: ``team_id=None``) fail with a 429 or a
        500 until turned off (``kind=None``).

        Other endpoints are unaffected, so a test can tell the list from the single GETs.
        """
        if kind not in (None, "429", "500"):
            raise ValueError(f"unknown list fault {kind!r}")
        self._set_list_fault(team_id, None if kind is None else _Fault(kind, retry_after, 0.0))

    def _set_list_fault(self, team_id: int | None, fault: _Fault | None) -> None:
        with self._lock:
            if fault is None:
                self._list_faults.pop(team_id, None)
            else:
                self._list_faults[team_id] = fault

    def cancel(self, backfill_id: int) -> Backfill:
        """Cancel as if someone did it in the Supermetrics Hub."""
        with self._lock:
            record = self._records.get(backfill_id)
            if record is None:
                raise ValueError(f"no backfill {backfill_id}")
            now = self.clock.now()
            try:
                self._cancel(record, now, HUB_USER_ID)
            except ApiError as exc:
                raise ValueError(str(exc)) from None
            return record.snapshot(now)

    def create(
        self, transfer_id: int, range_start: date, range_end: date, *, team_id: int | None = None
    ) -> Backfill:
        """Create a backfill directly (seeding tests and benchmarks), with the API's rules."""
        with self._lock:
            team = next(iter(self._teams)) if team_id is None else team_id
            if transfer_id not in self._teams[team].transfers:
                raise ValueError(f"team {team} has no transfer {transfer_id}")
            now = self.clock.now()
            try:
                record = self._create(
                    team, transfer_id, range_start, range_end, DEFAULT_USER_ID, now
                )
            except ApiError as exc:
                raise ValueError(str(exc)) from None
            return record.snapshot(now)

    # --- assertions ---------------------------------------------------------------------

    def backfills(self) -> list[Backfill]:
        """Every backfill ever created, oldest first, as the API would show it now."""
        with self._lock:
            now = self.clock.now()
            return [record.snapshot(now) for record in self._records.values()]

    def backfill(self, backfill_id: int) -> Backfill:
        with self._lock:
            return self._records[backfill_id].snapshot(self.clock.now())

    # --- one request --------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> SimResponse:
        """Answer one HTTP request; ``headers`` keys are lower-case."""
        method = method.upper()
        path = path.split("?", 1)[0]
        with self._lock:
            self.calls.append((method, path))
            if self.max_calls is not None and len(self.calls) > self.max_calls:
                del self.calls[: len(self.calls) - self.max_calls // 2]
            now = self.clock.now()
            request_id = wire.request_id(now, self._random)
            fault = self._faults.pop(0) if self._faults else None
            if fault is None and self._list_faults:
                fault = self._list_fault(method, path)
            if fault is not None and fault.kind == "429":
                error = wire.too_many_requests(None, fault.retry_after)
                return wire.error_response(error, request_id)
            if fault is not None and fault.kind == "500":
                return wire.error_response(wire.internal_error(), request_id)
            extra: dict[str, str] = {}
            try:
                data = self._dispatch(method, path, headers, body, now, extra)
                response = wire.json_response(
                    200, {"meta": {"request_id": request_id}, "data": data}, extra
                )
            except ApiError as exc:
                exc.headers.update(extra)
                response = wire.error_response(exc, request_id)
        if fault is not None and fault.kind == "bad_json":
            # cut mid-document: valid UTF-8, invalid JSON
            cut = response.body[: len(response.body) // 2]
            response = SimResponse(response.status, response.headers, cut)
        if fault is not None and fault.kind == "delay":
            response = SimResponse(response.status, response.headers, response.body, fault.delay)
        return response

    def _dispatch(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime,
        extra: dict[str, str],
    ) -> Any:
        if not path.startswith(wire.BASE_PATH + "/"):
            raise wire.not_found("resource")
        route, params = wire.route(path[len(wire.BASE_PATH) :])
        if method not in wire.METHODS[route]:
            allowed = ", ".join(sorted(wire.METHODS[route]))
            raise wire.method_not_allowed(method, allowed)
        token = self._authenticate(headers)
        self._count_request(token.team_id, now, extra)
        team_id = wire.path_id(params[0], "team_id")
        if team_id != token.team_id or team_id not in self._teams:
            raise wire.not_found("team")
        if (route, method) in wire.WRITES and not token.write:
            raise wire.forbidden()
        team = self._teams[team_id]
        if route == "transfers":
            today = now.date()
            return [wire.transfer_json(t, today=today) for t in team.transfers.values()]
        if route == "backfills":
            return [self._json(record, now) for record in self._open_records(team, now)]
        if route == "backfill":
            record = self._records.get(wire.path_id(params[1], "backfill_id"))
            if record is None or record.team_id != team_id:
                raise wire.not_found("backfill")
            if method == "PATCH":
                wire.check_cancel_body(body)
                self._cancel(record, now, token.user_id)
            return self._json(record, now)
        transfer_id = wire.path_id(params[1], "transfer_id")
        if transfer_id not in team.transfers:
            raise wire.not_found("transfer")
        if route == "latest":
            latest = self._latest.get((team_id, transfer_id))
            if latest is None:
                raise wire.not_found("backfill")
            return self._json(self._records[latest], now)
        start, end = wire.read_range(body)
        return self._json(self._create(team_id, transfer_id, start, end, token.user_id, now), now)

    def _list_fault(self, method: str, path: str) -> _Fault | None:
        """The switched-on fault of a team list call, if this is one."""
        if method != "GET" or not path.startswith(wire.BASE_PATH + "/"):
            return None
        try:
            name, params = wire.route(path[len(wire.BASE_PATH) :])
        except ApiError:
            return None
        if name != "backfills":
            return None
        team = int(params[0]) if params[0].isdigit() else None
        return self._list_faults.get(team) or self._list_faults.get(None)

    def _authenticate(self, headers: Mapping[str, str]) -> _Token:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        token = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise wire.unauthorized()
        return token

    def _count_request(self, team_id: int, now: datetime, extra: dict[str, str]) -> None:
        window = int(now.timestamp() // 3600)
        if len(self._usage) > 1000:  # keep only this hour's counters
            self._usage = {key: n for key, n in self._usage.items() if key[1] == window}
        used = self._usage.get((team_id, window), 0) + 1
        self._usage[(team_id, window)] = used
        extra["X-RateLimit-Limit"] = str(self.rate_limit)
        extra["X-RateLimit-Remaining"] = str(max(0, self.rate_limit - used))
        if used > self.rate_limit:
            raise wire.too_many_requests(
                f"Request limit of {self.rate_limit} per hour reached. Wait before making "
                "another request.",
                math.ceil((window + 1) * 3600 - now.timestamp()),
            )

    def _json(self, record: SimBackfill, now: datetime) -> dict[str, Any]:
        return wire.backfill_json(record.snapshot(now), removed_user_id=record.removed_user_id)

    # --- rules --------------------------------------------------------------------------

    def _create(
        self, team_id: int, transfer_id: int, start: date, end: date, user_id: int, now: datetime
    ) -> SimBackfill:
        if start > end:
            raise wire.unprocessable(
                f"range_start ({start.isoformat()}) must be on or before range_end "
                f"({end.isoformat()}).",
            )
        # Incomplete ranges of one transfer never overlap (that is the rule), and final
        # ones are dropped when a new range covers them, so the list stays disjoint and
        # only the run of spans just left of `end` can touch [start, end]: O(log n).
        spans = self._spans.setdefault((team_id, transfer_id), [])
        right = bisect.bisect_right(spans, (end, date.max, 0))
        left = right
        while left > 0 and spans[left - 1][1] >= start:
            other = self._records[spans[left - 1][2]]
            status = other.status(now)
            if status in INCOMPLETE_STATUSES:
                advice = (
                    "Cancel it first to run these days again."
                    if status.is_final
                    else "Wait for it to finish or cancel it first."
                )
                raise wire.unprocessable(
                    f"The date range overlaps backfill {other.backfill_id} "
                    f"({other.range_start.isoformat()} to {other.range_end.isoformat()}, "
                    f"status {status.value}) of this transfer. {advice}",
                )
            left -= 1
        failing = {
            (end - day).days: error
            for day, error in self._fail_dates.get(transfer_id, {}).items()
            if start <= day <= end
        }
        record = SimBackfill(
            backfill_id=self._next_id,
            team_id=team_id,
            transfer_id=transfer_id,
            range_start=start,
            range_end=end,
            created_at=now.replace(microsecond=0),
            created_user_id=user_id,
            speed=self.speed,
            schedule_at=self.schedule_delay,
            start_at=self.schedule_delay + self.start_delay,
            seconds_per_run=self.seconds_per_run,
            failures=sorted(failing),
            errors=failing,
        )
        self._next_id += 1
        self._records[record.backfill_id] = record
        self._latest[(team_id, transfer_id)] = record.backfill_id
        spans[left:right] = [(start, end, record.backfill_id)]
        self._teams[team_id].open_ids[record.backfill_id] = None
        return record

    def _cancel(self, record: SimBackfill, now: datetime, user_id: int) -> None:
        status = record.status(now)
        if status not in INCOMPLETE_STATUSES:
            raise wire.unprocessable(
                f"Backfill {record.backfill_id} is already {status.value}; only CREATED, "
                "SCHEDULED, RUNNING or FAILED backfills can be cancelled.",
            )
        record.cancel(now, user_id=user_id)

    def _open_records(self, team: _Team, now: datetime) -> list[SimBackfill]:
        """Incomplete backfills, newest first, at most ``MAX_LISTED``."""
        found: list[SimBackfill] = []
        final: list[int] = []
        for backfill_id in reversed(team.open_ids):
            record = self._records[backfill_id]
            if record.status(now) not in INCOMPLETE_STATUSES:
                final.append(backfill_id)
                continue
            found.append(record)
            if len(found) == MAX_LISTED:
                break
        for backfill_id in final:
            del team.open_ids[backfill_id]
        return found
