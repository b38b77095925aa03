"""Privacy: who may see which requests in ``list``, ``status`` and ``history``.

A person sees their own requests, requests from channels (and DMs) they are in, and
nothing else; workspace admins see all. Channel members come from the ``Directory``
port, asked once per channel per answer; a channel whose members cannot be told is
treated as one the person is not in.
"""

from __future__ import annotations

from bot.service.directory import Directory
from bot.service.policies import WorkspaceRules
from bot.service.types import Actor


class Visibility:
    def __init__(self, *, actor: Actor, rules: WorkspaceRules, directory: Directory) -> None:
        self.actor = actor
        self.sees_all = rules.is_admin(actor)
        self._directory = directory
        self._members: dict[str, bool] = {}

    def can_see(self, *, channel_id: str, requester: str) -> bool:
        if self.sees_all or requester == self.actor.user_id:
            return True
        if channel_id == self.actor.channel_id and channel_id.startswith("D"):
            return True  # asked in the same DM
        if channel_id not in self._members:
            members = self._directory.channel_members(
                slack_team_id=self.actor.slack_team_id, channel_id=channel_id
            )
            self._members[channel_id] = members is not None and self.actor.user_id in members
        return self._members[channel_id]


NOT_VISIBLE = (
    "Request #{id} was made in a channel you're not in, so only its members, its requester "
    "and workspace admins ({admins}) can see it."
)
