"""The latest view of backfills started outside Slack (keyword-only, session first).

The team-batched tracker reads each team's list of incomplete backfills; those no request
of the workspace submitted (the Supermetrics Hub, another tool) are kept here, replaced by
every list, so that ``list`` can show them and a new request can be warned of an overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store.models import BackfillRequest, ExternalBackfill

_COMPARED = ("status", "runs_total", "runs_completed", "runs_failed")


def replace_external_view(
    session: Session,
    *,
    slack_team_id: str,
    listed: Sequence[dict[str, object]],
    now: datetime,
) -> set[int]:
    """Make the team's stored view what its list just showed, minus the workspace's own.

    ``listed``: one dict per listed backfill with ``backfill_id``, ``transfer_id``,
    ``range_start``, ``range_end``, ``status``, ``runs_total``, ``runs_completed``,
    ``runs_failed``, ``created_time``.  A team with no outside backfills costs two
    reads.  Returns the ids kept as started outside Slack.
    """
    ids = [int(str(item["backfill_id"])) for item in listed]
    ours: set[int] = set()
    if ids:
        ours = {
            int(found)
            for found in session.scalars(
                select(BackfillRequest.backfill_id).where(
                    BackfillRequest.slack_team_id == slack_team_id,
                    BackfillRequest.backfill_id.in_(ids),
                )
            )
            if found is not None
        }
    stored = {
        row.backfill_id: row
        for row in session.scalars(
            select(ExternalBackfill).where(ExternalBackfill.slack_team_id == slack_team_id)
        )
    }
    kept: set[int] = set()
    for item in listed:
        backfill_id = int(str(item["backfill_id"]))
        if backfill_id in ours:
            continue
        kept.add(backfill_id)
        row = stored.get(backfill_id)
        if row is None:
            session.add(ExternalBackfill(slack_team_id=slack_team_id, seen_at=now, **item))
            continue
        if any(getattr(row, key) != item[key] for key in _COMPARED):
            for key, value in item.items():
                setattr(row, key, value)
        row.seen_at = now  # how fresh the view is: ``list`` says when it was last seen
    gone = [backfill_id for backfill_id in stored if backfill_id not in kept]
    if gone:
        session.execute(
            delete(ExternalBackfill).where(
                ExternalBackfill.slack_team_id == slack_team_id,
                ExternalBackfill.backfill_id.in_(gone),
            )
        )
    return kept


def external_backfills(
    session: Session,
    *,
    slack_team_id: str,
    transfer_id: int | None = None,
    overlapping: tuple[date, date] | None = None,
) -> list[ExternalBackfill]:
    """The stored outside backfills of a workspace, newest first; optionally only one
    transfer's, and only those whose range overlaps ``overlapping`` (inclusive).

    A backfill a request of the workspace has since claimed (the list saw it while its
    submission was being recorded) is left out.
    """
    query = select(ExternalBackfill).where(
        ExternalBackfill.slack_team_id == slack_team_id,
        ~select(BackfillRequest.id)
        .where(
            BackfillRequest.slack_team_id == slack_team_id,
            BackfillRequest.backfill_id == ExternalBackfill.backfill_id,
        )
        .exists(),
    )
    if transfer_id is not None:
        query = query.where(ExternalBackfill.transfer_id == transfer_id)
    if overlapping is not None:
        start, end = overlapping
        query = query.where(
            ExternalBackfill.range_start <= end, ExternalBackfill.range_end >= start
        )
    return list(session.scalars(query.order_by(ExternalBackfill.backfill_id.desc())))
