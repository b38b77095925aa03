"""Store functions: keyword-only, session first; none of them commits (``session_scope`` does).

Every store function the other parts call is importable from here; each lives in the
module that holds its kind: ``request_writes`` (create, :func:`transition` — the only way
a request's state changes —, update), ``request_reads`` (look-ups and lists),
``expiry``, ``leases`` (the tracker's claims), ``events`` and ``workspaces``.
"""

from __future__ import annotations

from bot.store.events import (
    add_event,
    mark_announced,
    pending_announcements,
    record_announce_failure,
)
from bot.store.expiry import expire_pending
from bot.store.leases import claim_due, release
from bot.store.request_reads import (
    find_request_by_backfill,
    find_request_by_message,
    get_request,
    list_events,
    list_requests,
    list_stuck_submissions,
    refresh_request,
    team_events,
)
from bot.store.request_writes import (
    RequestUpdates,
    create_request,
    transition,
    update_request,
)
from bot.store.workspaces import (
    configure_workspace,
    ensure_workspace,
    get_workspace,
    list_workspaces,
    set_policy,
    set_workspace_token,
)

__all__ = [
    "RequestUpdates",
    "add_event",
    "claim_due",
    "configure_workspace",
    "create_request",
    "ensure_workspace",
    "expire_pending",
    "find_request_by_backfill",
    "find_request_by_message",
    "get_request",
    "get_workspace",
    "list_events",
    "list_requests",
    "list_stuck_submissions",
    "list_workspaces",
    "mark_announced",
    "pending_announcements",
    "record_announce_failure",
    "refresh_request",
    "release",
    "set_policy",
    "set_workspace_token",
    "team_events",
    "transition",
    "update_request",
]
