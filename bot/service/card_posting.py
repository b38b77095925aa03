"""Posting a confirmation card so that it is there exactly once, or plainly not at all.

A card post can fail three ways that leave doubt: Slack rate limits it (429, with a
Retry-After), Slack errs (5xx), or the answer is lost (a timeout after Slack took the
post). Each card carries its request as a marker (message metadata); after a doubtful
failure the channel (or thread) is read back for it before posting again, and a 429 is
waited out, all within ``CARD_POST_BUDGET_SECONDS``. If the card still is not there, the
caller closes the request and the person is told plainly that nothing happened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from bot.errors import SlackApiError
from bot.messages.notifier import Block, MarkedThreads, Notifier

log = logging.getLogger(__name__)

CARD_POST_BUDGET_SECONDS = 30.0
MAX_CARD_POSTS = 4
# failures after which the card may or may not be in the channel, or may be posted later
DOUBTFUL = {
    "ratelimited",
    "connection_error",
    "internal_error",
    "fatal_error",
    "service_unavailable",
}


def card_marker(request_id: int) -> str:
    return f"request-{request_id}-card"


def nothing_happened(error: str | None) -> SlackApiError:
    """The plain answer when the card could not be posted."""
    return SlackApiError(
        f"I couldn't post the confirmation card (Slack: {error or 'unknown error'}), so "
        "nothing was requested or submitted. Send the request again in a minute.",
        error=error,
    )


def post_card(
    notifier: Notifier,
    *,
    slack_team_id: str,
    channel: str,
    thread_ts: str | None,
    request_id: int,
    text: str,
    blocks: Sequence[Block],
    sleep: Callable[[float], None] = time.sleep,
    budget_seconds: float = CARD_POST_BUDGET_SECONDS,
) -> str:
    """Post the card (once) and return its ts; SlackApiError when it is not posted."""
    marker = card_marker(request_id)
    waited = 0.0
    for attempt in range(MAX_CARD_POSTS):
        try:
            if isinstance(notifier, MarkedThreads):
                return notifier.post_marked(
                    slack_team_id=slack_team_id,
                    channel=channel,
                    text=text,
                    blocks=blocks,
                    thread_ts=thread_ts,
                    marker=marker,
                )
            return notifier.post(
                slack_team_id=slack_team_id,
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
            )
        except SlackApiError as exc:
            if exc.error not in DOUBTFUL:
                raise
            found = _find(notifier, slack_team_id, channel, thread_ts, marker)
            if found is not None:
                log.info(
                    "card of request %s was posted although Slack's answer was lost", request_id
                )
                return found
            pause = exc.retry_after if exc.retry_after is not None else float(2**attempt)
            if attempt + 1 == MAX_CARD_POSTS or waited + pause > budget_seconds:
                log.warning(
                    "card of request %s not posted after %d tries: %s",
                    request_id,
                    attempt + 1,
                    exc.error,
                )
                raise nothing_happened(exc.error) from exc
            sleep(pause)
            waited += pause
    raise AssertionError("unreachable")  # pragma: no cover


def _find(
    notifier: Notifier, slack_team_id: str, channel: str, thread_ts: str | None, marker: str
) -> str | None:
    if not isinstance(notifier, MarkedThreads):
        return None
    try:
        return notifier.find_marked(
            slack_team_id=slack_team_id, channel=channel, thread_ts=thread_ts, marker=marker
        )
    except SlackApiError as exc:
        log.info("could not read the channel back for a card: %s", exc.error)
        return None
