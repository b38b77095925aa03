"""The latest view of backfills started outside Slack (keyword-only, session first).

The team-batched tracker reads each team's list of incomplete backfills; those no request
of the workspace submitted (the Supermetrics Hub, another tool) are kept here, replaced by
every list, so that ``list`` can show them and a new request can be warned of an overlap.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.models import BackfillRequest, ExternalBackfill

_COMPARED = ("status", "runs_total", "runs_completed", "runs_failed")


def replace_external_views(
    session: Session,
    *,
    listed: Mapping[str, Sequence[dict[str, object]]],
    known: Mapping[str, Collection[int]],
    now: datetime,
) -> dict[str, set[int]]:
    """Make each team's stored view what its list just showed, minus the workspace's own.

    ``listed``: per workspace, one dict per listed backfill with ``backfill_id``,
    ``transfer_id``, ``range_start``, ``range_end``, ``status``, ``runs_total``,
    ``runs_completed``, ``runs_failed``, ``created_time``.  ``known``: per workspace, the
    backfill ids the caller already knows are its own (those it tracks), which need no
    look-up.  A few statements for all the teams of a tick, whatever their number; teams
    with no outside backfill cost one read.  Returns the ids kept per workspace.
    """
    if not listed:
        return {}
    teams = list(listed)
    unknown = [
        int(str(item["backfill_id"]))
        for team, items in listed.items()
        for item in items
        if int(str(item["backfill_id"])) not in known.get(team, ())
    ]
    ours: set[tuple[str, int]] = set()
    if unknown:
        # a FAILED backfill the bot has closed is still in the API's list of incomplete ones
        ours = {
            (str(team), int(found))
            for team, found in session.execute(
                select(BackfillRequest.slack_team_id, BackfillRequest.backfill_id).where(
                    BackfillRequest.slack_team_id.in_(teams),
                    BackfillRequest.backfill_id.in_(unknown),
                )
            )
            if found is not None
        }
    stored = {
        (row.slack_team_id, row.backfill_id): row
        for row in session.scalars(
            select(ExternalBackfill).where(ExternalBackfill.slack_team_id.in_(teams))
        )
    }
    kept: dict[str, set[int]] = {team: set() for team in teams}
    fresh: list[ExternalBackfill] = []
    for team, items in listed.items():
        own = known.get(team, ())
        for item in items:
            backfill_id = int(str(item["backfill_id"]))
            if backfill_id in own or (team, backfill_id) in ours:
                continue
            kept[team].add(backfill_id)
            row = stored.get((team, backfill_id))
            if row is None:
                fresh.append(ExternalBackfill(slack_team_id=team, seen_at=now, **item))
            elif any(getattr(row, key) != item[key] for key in _COMPARED):
                for key, value in item.items():
                    setattr(row, key, value)
    session.add_all(fresh)
    gone = [key for key in stored if key[1] not in kept[key[0]]]
    for team, backfill_id in gone:
        session.delete(stored[(team, backfill_id)])
    if len(stored) > len(gone):
        # how fresh the view is (``list`` says when it was last seen): one statement
        session.execute(
            update(ExternalBackfill)
            .where(ExternalBackfill.slack_team_id.in_(teams))
            .values(seen_at=now)
            .execution_options(synchronize_session=False)
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
