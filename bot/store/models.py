"""The tables: workspaces, backfill requests and their append-only event trail, and the
column types that keep Python values honest across SQLite and PostgreSQL.

``migrations/versions`` must describe exactly these tables (a test runs ``alembic check``
against SQLite and PostgreSQL), so a change here needs a new revision there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.ext.mutable import MutableList
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no timezone support, so values are
    stored as naive UTC text (which also keeps ``<=`` comparisons in SQL correct) and
    come back tagged as UTC.  Naive datetimes are refused: they are always a bug here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class StrEnumType(TypeDecorator[E], Generic[E]):
    """A ``StrEnum`` stored as its plain string value (no native ENUM type to migrate)."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[E], length: int = 16) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        if value is None:
            return None
        return self.enum_class(value)


# Row ids are int64 like every other id the bot handles (``status 2147483648`` is a valid
# question); SQLite's INTEGER already is, and must stay INTEGER to remain the rowid.
RowId = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RequestState(StrEnum):
    PENDING = "PENDING"  # confirmation card shown
    # confirmed by its requester; a second person (an approver) must approve it
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    SUBMITTING = "SUBMITTING"  # one confirm click claimed it; the API call is in flight
    SUBMITTED = "SUBMITTED"  # the API accepted it; backfill id known
    CREATED = "CREATED"
    SCHEDULED = "SCHEDULED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"  # finished, some runs failed
    CANCELLED = "CANCELLED"
    DISMISSED = "DISMISSED"  # the user cancelled before submitting
    EXPIRED = "EXPIRED"  # never confirmed
    REJECTED = "REJECTED"  # the API refused it, or an approver did
    # a plan's step waiting for its turn (its chunk before it, or a backfill it is queued
    # after); a confirmed plan itself, while its steps run (bot/service/plans.py)
    QUEUED = "QUEUED"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


# the states that mirror a final backfill status (``BackfillStatus.is_final``): the tracker
# stops polling there and the requester hears the end
BACKFILL_FINAL_STATES: frozenset[RequestState] = frozenset(
    {RequestState.COMPLETED, RequestState.FAILED, RequestState.CANCELLED}
)

TRACKED_STATES: frozenset[RequestState] = frozenset(
    {RequestState.SUBMITTED, RequestState.CREATED, RequestState.SCHEDULED, RequestState.RUNNING}
)
FINAL_STATES: frozenset[RequestState] = frozenset(
    {
        *BACKFILL_FINAL_STATES,
        RequestState.DISMISSED,
        RequestState.EXPIRED,
        RequestState.REJECTED,
    }
)

STATE_LENGTH = 24
_STATE_VALUES = ", ".join(f"'{state.value}'" for state in RequestState)


def _state_type() -> StrEnumType[RequestState]:
    return StrEnumType(RequestState, STATE_LENGTH)


def _json_list() -> JSON:
    # MutableList so that ``ws.admins.append(...)`` is noticed by the session
    return cast(JSON, MutableList.as_mutable(JSON()))


class Workspace(Base):
    __tablename__ = "workspaces"

    slack_team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    supermetrics_team_id: Mapped[int | None] = mapped_column(BigInteger)
    token_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_set_by: Mapped[str | None] = mapped_column(String(64))
    token_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    admins: Mapped[list[str]] = mapped_column(_json_list(), default=list)
    allowed_users: Mapped[list[str]] = mapped_column(_json_list(), default=list)
    allowed_channels: Mapped[list[str]] = mapped_column(_json_list(), default=list)
    date_order: Mapped[str | None] = mapped_column(String(3))
    max_days: Mapped[int | None] = mapped_column(Integer)
    # policies (bot/service/policies.py): who may request, who must approve what
    requester_groups: Mapped[list[str]] = mapped_column(_json_list(), default=list)
    approvers: Mapped[list[str]] = mapped_column(_json_list(), default=list)
    approver_groups: Mapped[list[str]] = mapped_column(_json_list(), default=list)
    approval_over_days: Mapped[int | None] = mapped_column(Integer)
    approval_transfers: Mapped[list[int]] = mapped_column(_json_list(), default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def has_token(self) -> bool:
        return self.token_ciphertext is not None

    def __repr__(self) -> str:
        # never the token ciphertext: repr() ends up in logs and tracebacks
        return (
            f"Workspace(slack_team_id={self.slack_team_id!r}, "
            f"supermetrics_team_id={self.supermetrics_team_id!r}, "
            f"token={'set' if self.has_token else 'not set'})"
        )


class BackfillRequest(Base):
    __tablename__ = "backfill_requests"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATE_VALUES})", name="state_valid"),
        CheckConstraint("range_start <= range_end", name="range_ordered"),
        # the tracker: active requests due for polling
        Index("ix_backfill_requests_state_next_poll_at", "state", "next_poll_at"),
        # expiry of unconfirmed requests
        Index("ix_backfill_requests_state_expires_at", "state", "expires_at"),
        # "list" / "status": a workspace's recent requests
        Index("ix_backfill_requests_slack_team_id_created_at", "slack_team_id", "created_at"),
        Index("ix_backfill_requests_slack_team_id_backfill_id", "slack_team_id", "backfill_id"),
        # button clicks and thread replies find their request by message
        Index("ix_backfill_requests_message_channel_message_ts", "message_channel", "message_ts"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    slack_team_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.slack_team_id", ondelete="CASCADE")
    )
    channel_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    user_tz: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    transfer_id: Mapped[int | None] = mapped_column(BigInteger)
    # the API's display names have no documented limit: stored in full, cut for display
    transfer_name: Mapped[str | None] = mapped_column(Text)
    range_start: Mapped[date] = mapped_column(Date)
    range_end: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    notes: Mapped[list[str]] = mapped_column(_json_list(), default=list)
    state: Mapped[RequestState] = mapped_column(_state_type(), default=RequestState.PENDING)
    state_reason: Mapped[str | None] = mapped_column(Text)
    confirmed_by: Mapped[str | None] = mapped_column(String(32))
    approved_by: Mapped[str | None] = mapped_column(String(32))
    message_channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    backfill_id: Mapped[int | None] = mapped_column(BigInteger)
    dts_status: Mapped[str | None] = mapped_column(String(16))
    runs_total: Mapped[int] = mapped_column(Integer, default=0)
    runs_created: Mapped[int] = mapped_column(Integer, default=0)
    runs_completed: Mapped[int] = mapped_column(Integer, default=0)
    runs_failed: Mapped[int] = mapped_column(Integer, default=0)
    error_report: Mapped[list[dict[str, Any]]] = mapped_column(_json_list(), default=list)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    poll_failures: Mapped[int] = mapped_column(Integer, default=0)
    tracking_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_progress_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # who is announcing this request's events, until when (bot/tracking/announce_lease.py)
    announce_owner: Mapped[str | None] = mapped_column(String(128))
    announce_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request",
        order_by="RequestEvent.id",
        viewonly=True,
    )

    def __repr__(self) -> str:
        return (
            f"BackfillRequest(id={self.id!r}, slack_team_id={self.slack_team_id!r}, "
            f"transfer_id={self.transfer_id!r}, range={self.range_start}..{self.range_end}, "
            f"state={self.state!s}, backfill_id={self.backfill_id!r}, version={self.version!r})"
        )


class RequestEvent(Base):
    __tablename__ = "request_events"
    __table_args__ = (
        Index("ix_request_events_request_id_id", "request_id", "id"),
        # the announcer: events still to be posted, oldest first
        Index(
            "ix_request_events_needs_announcement_announced_at",
            "needs_announcement",
            "announced_at",
        ),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        RowId, ForeignKey("backfill_requests.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[RequestState | None] = mapped_column(_state_type())
    to_state: Mapped[RequestState | None] = mapped_column(_state_type())
    actor: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    needs_announcement: Mapped[bool] = mapped_column(Boolean, default=False)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    announce_attempts: Mapped[int] = mapped_column(Integer, default=0)

    request: Mapped[BackfillRequest] = relationship(back_populates="events", viewonly=True)

    def __repr__(self) -> str:
        return (
            f"RequestEvent(id={self.id!r}, request_id={self.request_id!r}, kind={self.kind!r}, "
            f"{self.from_state}->{self.to_state}, actor={self.actor!r})"
        )


class TeamPoll(Base):
    """The team-batched tracker's state per workspace: who lists its backfills now, when
    the list is read next, and what the last list showed (``bot/tracking/team_poll.py``)."""

    __tablename__ = "team_polls"

    slack_team_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.slack_team_id", ondelete="CASCADE"), primary_key=True
    )
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_list_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # when a tracked backfill of the team last changed: the list cadence grows from it
    last_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the oldest backfill id of the last list when it was full (100): older tracked
    # backfills missing from it may simply not fit, so they are read one by one
    list_floor_id: Mapped[int | None] = mapped_column(BigInteger)


class ExternalBackfill(Base):
    """The latest view of a backfill seen in a team's list that no request of the
    workspace submitted (started in the Supermetrics Hub or by another tool)."""

    __tablename__ = "external_backfills"

    slack_team_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.slack_team_id", ondelete="CASCADE"), primary_key=True
    )
    backfill_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    transfer_id: Mapped[int] = mapped_column(BigInteger)
    range_start: Mapped[date] = mapped_column(Date)
    range_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    runs_total: Mapped[int] = mapped_column(Integer, default=0)
    runs_completed: Mapped[int] = mapped_column(Integer, default=0)
    runs_failed: Mapped[int] = mapped_column(Integer, default=0)
    created_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return (
            f"ExternalBackfill(slack_team_id={self.slack_team_id!r}, "
            f"backfill_id={self.backfill_id!r}, status={self.status!r})"
        )


class PlanStep(Base):
    """One step of a plan: the plan is the request whose card the person confirmed, the
    step is a request of its own (``request_id``) that moves QUEUED → SUBMITTING → … with
    the same guarded transitions as any request (``bot.store.plans``)."""

    __tablename__ = "plan_steps"
    __table_args__ = (
        Index("ix_plan_steps_plan_request_id_position", "plan_request_id", "position"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    plan_request_id: Mapped[int] = mapped_column(
        RowId, ForeignKey("backfill_requests.id", ondelete="CASCADE")
    )
    request_id: Mapped[int] = mapped_column(
        RowId, ForeignKey("backfill_requests.id", ondelete="CASCADE"), unique=True
    )
    position: Mapped[int] = mapped_column(Integer)
    # the step of the same transfer (an earlier chunk) that must be final first
    after_request_id: Mapped[int | None] = mapped_column(RowId)
    # an incomplete backfill of the same transfer over these dates ("Queue after #N")
    blocked_by_backfill_id: Mapped[int | None] = mapped_column(BigInteger)
    # what the blocker was last seen as (e.g. FAILED: the thread asked what to do)
    blocker_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return (
            f"PlanStep(plan={self.plan_request_id!r}, request={self.request_id!r}, "
            f"position={self.position!r}, blocked_by={self.blocked_by_backfill_id!r})"
        )
