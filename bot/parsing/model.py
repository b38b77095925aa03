"""The parser's result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class BackfillCommand:
    transfer_id: int | None  # None when the command names the transfer
    transfer_name: str | None  # e.g. "Facebook Ads"; None when an id was given
    range_start: date
    range_end: date
    days: int  # inclusive day count
    clamped: bool  # the end was clamped to today
    notes: tuple[str, ...]  # e.g. "Read 01/05/2024 as January 5, 2024 (MDY)."
    # the timezone that decided "today" (None when the caller did not say)
    timezone: str | None = None

    def to_json(self) -> dict[str, object]:
        """The CLI's JSON shape: ``transfer_id`` or ``transfer_name``, ISO dates."""
        out: dict[str, object] = {}
        if self.transfer_id is not None:
            out["transfer_id"] = self.transfer_id
        else:
            out["transfer_name"] = self.transfer_name
        out["range_start"] = self.range_start.isoformat()
        out["range_end"] = self.range_end.isoformat()
        out["days"] = self.days
        out["clamped"] = self.clamped
        out["timezone"] = self.timezone
        out["notes"] = list(self.notes)
        return out
