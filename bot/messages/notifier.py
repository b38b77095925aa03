"""The port through which the service and the tracker speak to people.

Slack (``bot.slack.slack_notifier.SlackNotifier``) and the terminal (``bot.console``) both
implement it, so the same use-cases drive both.  Messages are Block Kit blocks plus a
plain-text fallback; ``ts`` identifies a posted message (Slack's message timestamp).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Block = dict[str, Any]


@dataclass(frozen=True)
class Message:
    """What to post: the notification/fallback text and the blocks (the one text+blocks type)."""

    text: str
    blocks: list[Block] = field(default_factory=list)


class Notifier(Protocol):
    def post(
        self,
        *,
        slack_team_id: str,
        channel: str,
        text: str,
        blocks: Sequence[Block] = (),
        thread_ts: str | None = None,
    ) -> str:
        """Post a message (a thread reply when ``thread_ts`` is given); return its ts."""
        ...

    def update(
        self,
        *,
        slack_team_id: str,
        channel: str,
        ts: str,
        text: str,
        blocks: Sequence[Block] = (),
    ) -> None:
        """Replace the text and blocks of a posted message."""
        ...

    def ephemeral(
        self,
        *,
        slack_team_id: str,
        channel: str,
        user: str,
        text: str,
        blocks: Sequence[Block] = (),
    ) -> None:
        """Show a message to one user only."""
        ...


@runtime_checkable
class MarkedThreads(Protocol):
    """A notifier that can tag a thread reply and find it again (Slack: message metadata).

    A post whose answer was lost (a timeout after Slack took it) may or may not be in the
    thread; before posting it again, the announcer looks for its marker.
    """

    def post_marked(
        self,
        *,
        slack_team_id: str,
        channel: str,
        text: str,
        blocks: Sequence[Block],
        thread_ts: str | None,
        marker: str,
    ) -> str:
        """Post a message (a thread reply with ``thread_ts``) carrying ``marker``; its ts."""
        ...

    def find_marked(
        self, *, slack_team_id: str, channel: str, thread_ts: str | None, marker: str
    ) -> str | None:
        """The ts of the message carrying ``marker`` in the thread (or, without
        ``thread_ts``, among the channel's recent messages), or None."""
        ...
