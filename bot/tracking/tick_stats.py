"""What one tracker tick did (the benchmark and tests read it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TickStats:
    claimed: int = 0
    polled: int = 0
    deferred: int = 0
    failed: int = 0
    changes: int = 0
    announced: int = 0
    expired: int = 0
    recovered: int = 0
    plan_steps_submitted: int = 0
    db_seconds: float = 0.0
