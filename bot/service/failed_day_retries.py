"""Retry failed days: one new confirmation card per contiguous span of the days a
finished backfill failed (at most ``MAX_RETRY_SPANS``; the reply says how many were left)."""

from __future__ import annotations

from datetime import date

from bot.clock import day_spans
from bot.errors import StateConflictError
from bot.messages.blocks import format_range, plural
from bot.parsing import check_range
from bot.service.deps import Deps
from bot.service.draft_cards import Draft, DraftCards
from bot.service.transfer_checks import TransferChecks
from bot.service.types import Actor, Reply
from bot.store.models import RequestState

MAX_RETRY_SPANS = 10


class FailedDayRetries:
    def __init__(self, deps: Deps, cards: DraftCards, checks: TransferChecks) -> None:
        self.d = deps
        self.cards = cards
        self.checks = checks

    def retry_failed_days(self, actor: Actor, request_id: int) -> Reply:
        """One new confirmation card per contiguous span of the days that failed."""
        req, rules = self.d.request_and_rules(actor, request_id)
        rules.check_may_act(actor, req, "retry the failed days of")
        dates = sorted(
            {
                date.fromisoformat(str(item["date"])[:10])
                for item in req.error_report
                if "date" in item
            }
        )
        if req.transfer_id is None or not dates:
            raise StateConflictError(
                f"Request #{req.id} has no failed days recorded, so there is nothing to retry."
            )
        spans = day_spans(dates)
        today = self.d.today(actor.tz)
        team = self.checks.team_or_none(actor)
        posted: list[str] = []
        for start, end in spans[:MAX_RETRY_SPANS]:
            start, end, _clamped, notes = check_range(
                start, end, today=today, max_days=self.d.max_days(rules)
            )
            draft = Draft(
                text=f"retry failed days of request #{req.id}",
                transfer_id=req.transfer_id,
                transfer_name=req.transfer_name,
                range_start=start,
                range_end=end,
                days=(end - start).days + 1,
                notes=(
                    f"Retries failed days of request #{req.id}"
                    + (f" (backfill #{req.backfill_id})." if req.backfill_id else "."),
                    *notes,
                ),
                retry_of=req,
            )
            # a FAILED parent still blocks these dates; confirming closes it (see
            # bot.service.failed_backfills)
            closes = req.backfill_id if req.state is RequestState.FAILED else None
            warnings = self.checks.warnings_for(
                team, req.transfer_id, start, end, actor=actor, closes_on_confirm=closes
            )
            self.cards.post_new(actor, draft, warnings=warnings)
            posted.append(format_range(start, end))
        text = (
            f"I posted {plural(len(posted), 'confirmation card')} for the failed days of "
            f"request #{req.id}: {', '.join(posted)}. Confirm each one to submit it."
        )
        if len(spans) > MAX_RETRY_SPANS:
            text += (
                f" {len(spans) - MAX_RETRY_SPANS} more spans of failed days were left out; "
                "retry them after these."
            )
        return Reply(text=text, request_id=req.id)
