"""A workspace's rules: who may request, who must approve what, and how refusals name them.

Read in one transaction (``WorkspaceRules.of``); user groups are resolved lazily through
the ``Directory`` port, so a workspace without group policies never asks Slack.
Empty lists mean "everyone" for requesters and channels; no ``approval_over_days`` and no
``approval_transfers`` mean no request needs approval. With approval rules but no approvers
listed, the workspace admins approve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.errors import AccessDeniedError
from bot.messages.blocks import plural
from bot.service.types import Actor
from bot.store.models import Workspace


class RequestFacts(Protocol):
    """What the rules read of a request (``RequestSnapshot`` has it)."""

    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> str: ...
    @property
    def days(self) -> int: ...
    @property
    def transfer_id(self) -> int | None: ...


GroupLookup = Callable[[str], frozenset[str]]


def _no_groups(_group: str) -> frozenset[str]:
    return frozenset()


def people(users: Sequence[str], groups: Sequence[str], *, limit: int = 8) -> str:
    """``<@U1>, <@U2> and members of <!subteam^S1>``: who a rule names, as mrkdwn."""
    names = [f"<@{user}>" for user in users[:limit]]
    if len(users) > limit:
        names.append(f"{len(users) - limit} more")
    names += [f"members of <!subteam^{group}>" for group in groups[:limit]]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class WorkspaceRules:
    """The workspace's access lists, approval rules and parsing preferences."""

    admins: frozenset[str]
    allowed_users: frozenset[str]
    allowed_channels: tuple[str, ...]
    date_order: str | None
    max_days: int | None
    has_token: bool
    requester_groups: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    approver_groups: tuple[str, ...] = ()
    approval_over_days: int | None = None
    approval_transfers: frozenset[int] = frozenset()
    groups: GroupLookup = field(default=_no_groups, compare=False, repr=False)

    @classmethod
    def of(cls, ws: Workspace, groups: GroupLookup = _no_groups) -> WorkspaceRules:
        return cls(
            admins=frozenset(ws.admins or ()),
            allowed_users=frozenset(ws.allowed_users or ()),
            allowed_channels=tuple(ws.allowed_channels or ()),
            date_order=ws.date_order,
            max_days=ws.max_days,
            has_token=ws.has_token,
            requester_groups=tuple(ws.requester_groups or ()),
            approvers=tuple(ws.approvers or ()),
            approver_groups=tuple(ws.approver_groups or ()),
            approval_over_days=ws.approval_over_days,
            approval_transfers=frozenset(int(t) for t in ws.approval_transfers or ()),
            groups=groups,
        )

    def is_admin(self, actor: Actor) -> bool:
        # rights belong to users of the request's own workspace (or org), never to a guest
        # from another one in a shared channel (Slack Connect)
        if actor.foreign:
            return False
        return actor.is_admin or actor.user_id in self.admins

    def _in_groups(self, user_id: str, groups: Sequence[str]) -> bool:
        return any(user_id in self.groups(group) for group in groups)

    def admins_text(self) -> str:
        return people(sorted(self.admins), ()) or "a workspace admin"

    # --- requesting -----------------------------------------------------------------

    def may_request(self, actor: Actor) -> bool:
        if not self.allowed_users and not self.requester_groups:
            return True
        if actor.foreign:
            return False
        return actor.user_id in self.allowed_users or self._in_groups(
            actor.user_id, self.requester_groups
        )

    def check_allowed(self, actor: Actor) -> None:
        """Refuse people and channels outside the workspace's allow-lists (admins pass)."""
        if self.is_admin(actor):
            return
        if not self.may_request(actor):
            who = people(sorted(self.allowed_users), self.requester_groups)
            raise AccessDeniedError(
                f"Only {who} can request backfills in this workspace. Ask "
                f"{self.admins_text()} to add you (`/backfill policy`)."
            )
        if self.allowed_channels and actor.channel_id not in self.allowed_channels:
            where = ", ".join(f"<#{channel}>" for channel in self.allowed_channels[:10])
            raise AccessDeniedError(
                f"Backfill requests aren't taken in this channel. Use {where} instead."
            )

    def check_may_act(self, actor: Actor, req: RequestFacts, verb: str) -> None:
        """Only the requester or a workspace admin may confirm, edit or cancel a request."""
        if actor.user_id == req.user_id or self.is_admin(actor):
            self.check_allowed(actor)
            return
        raise AccessDeniedError(
            f"Only <@{req.user_id}> (who asked for request #{req.id}) or a workspace admin "
            f"can {verb} it. Nothing was changed."
        )

    # --- approving ------------------------------------------------------------------

    def approval_reason(self, *, days: int, transfer_id: int | None) -> str | None:
        """Why a request needs a second person's approval, or None when it doesn't."""
        if self.approval_over_days is not None and days > self.approval_over_days:
            return f"backfills over {plural(self.approval_over_days, 'day')}"
        if transfer_id is not None and transfer_id in self.approval_transfers:
            return f"backfills of transfer #{transfer_id}"
        return None

    @property
    def approvers_listed(self) -> bool:
        return bool(self.approvers or self.approver_groups)

    def approvers_text(self) -> str:
        if not self.approvers_listed:
            return f"workspace admins ({self.admins_text()})" if self.admins else "workspace admins"
        return people(list(self.approvers), self.approver_groups)

    def is_approver(self, actor: Actor) -> bool:
        if actor.foreign:
            return False
        if not self.approvers_listed:
            return self.is_admin(actor)
        return actor.user_id in self.approvers or self._in_groups(
            actor.user_id, self.approver_groups
        )

    def approver_ids(self, *, limit: int = 25) -> list[str]:
        """The people to notify: listed approvers, then group members (admins if none)."""
        found = list(self.approvers) if self.approvers_listed else sorted(self.admins)
        for group in self.approver_groups:
            found += sorted(self.groups(group))
        return list(dict.fromkeys(found))[:limit]

    def check_may_approve(self, actor: Actor, req: RequestFacts, verb: str) -> None:
        """Approvers only, and never the requester of their own request."""
        reason = self.approval_reason(days=req.days, transfer_id=req.transfer_id)
        what = reason or "this backfill"
        if actor.user_id == req.user_id:
            raise AccessDeniedError(
                f"You asked for request #{req.id}, so someone else must {verb} it: only "
                f"{self.approvers_text()} can {verb} {what}. Nothing was changed."
            )
        if not self.is_approver(actor):
            raise AccessDeniedError(
                f"Only {self.approvers_text()} can {verb} {what}. Nothing was changed."
            )
