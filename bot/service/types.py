"""Plain values the service takes and returns: who is asking, and what to show them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages.notifier import Message

# Reply.opens: the adapter should open this form (Slack: a modal) instead of showing text.
OPEN_SETUP = "setup"
OPEN_POLICY = "policy"


@dataclass(frozen=True)
class Actor:
    """The person behind a command or a click, as the transport identified them."""

    slack_team_id: str
    user_id: str
    channel_id: str
    tz: str | None = None
    is_admin: bool = False  # the transport's own admin/owner flag (Slack users.info)
    # a guest from another workspace (Slack Connect): never an admin here, and not
    # covered by this workspace's allow-lists
    foreign: bool = False
    # asked inside a thread (an @mention in a reply): the card is posted in that thread
    thread_ts: str | None = None


@dataclass(frozen=True)
class Reply(Message):
    """A message for the adapter to show the user right away, and how.

    An empty ``text`` with no blocks means "nothing to add": the posted card already is
    the answer (the adapter shows nothing).
    """

    ephemeral: bool = True
    request_id: int | None = None
    opens: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.text and not self.blocks and self.opens is None
