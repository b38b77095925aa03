"""Who belongs to what: the port the service asks about user groups and channel members.

Policies name Slack user groups (approvers, requesters) and privacy depends on who is in
which channel; only the transport knows. The Slack adapter answers from
``usergroups.users.list`` and ``conversations.members`` (cached); a transport that knows
nothing (the console) uses ``NoDirectory``.
"""

from __future__ import annotations

from typing import Protocol


class Directory(Protocol):
    def group_members(self, *, slack_team_id: str, group_id: str) -> frozenset[str]:
        """The user ids in a user group (empty when unknown or the lookup failed)."""
        ...

    def channel_members(self, *, slack_team_id: str, channel_id: str) -> frozenset[str] | None:
        """The user ids in a channel or DM; None when it cannot be told."""
        ...


class NoDirectory:
    """No groups, no channel lists: groups are empty and nobody's channels are known."""

    def group_members(self, *, slack_team_id: str, group_id: str) -> frozenset[str]:
        return frozenset()

    def channel_members(self, *, slack_team_id: str, channel_id: str) -> frozenset[str] | None:
        return None
