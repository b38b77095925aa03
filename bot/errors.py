"""The project's one exception root and its tree.

Adapters (Slack handlers, the console, the CLI) catch ``BotError`` only; foreign
exceptions (httpx, SQLAlchemy, slack_sdk) are translated at the boundary where they
occur with ``raise ... from exc``.  Every error carries ``user_message``: what
happened and what to do, plain text safe to show a person (never a token, never a stack
trace); ``quotes_outside_text`` tells a Slack renderer to escape it.

    BotError
    ├── CommandError                  the user's text could not become a backfill
    │   ├── MissingTransferError      no transfer id and no name
    │   ├── AmbiguousTransferError    two different ids
    │   ├── MissingRangeError         no date range found
    │   ├── InvalidDateError          impossible date (Feb 30, 2024-13-01, unknown month)
    │   ├── FutureRangeError          range wholly after today
    │   ├── ReversedRangeError        end before start
    │   └── RangeTooLongError         more days than the maximum
    ├── ConfigError                   settings invalid or missing (e.g. no encryption key)
    │   └── SchemaOutOfDateError      database not migrated to head
    ├── StoreError                    persistence failures worth telling a user about
    │   └── NotFoundError             no such request / workspace
    ├── TokenError
    │   ├── MissingTokenError         the workspace has no Supermetrics token yet
    │   └── TokenDecryptError         stored token cannot be decrypted with the keys given
    ├── AccessDeniedError             not the requester / not an admin / not allow-listed
    ├── StateConflictError            the request is no longer in a state that allows this
    ├── TransferLookupError           a transfer name matched none or several transfers
    ├── DtsError                      the Supermetrics DTS API (code, description, request_id)
    │   ├── DtsUnauthorizedError      401
    │   ├── DtsForbiddenError         403 (scope dwh_transfers_write / permission dwh.transfer.edit)
    │   ├── DtsNotFoundError          404
    │   ├── DtsRejectedError          400 / 422 (overlap, validation)
    │   ├── DtsRateLimitedError       429 (retry_after seconds)
    │   ├── DtsServerError            5xx
    │   ├── DtsUnavailableError       timeout / connection failure
    │   └── DtsProtocolError          a response we could not read (bad JSON, wrong shape)
    └── SlackApiError                 a Slack Web API call failed (error code kept)
"""

from __future__ import annotations

from typing import ClassVar


class BotError(Exception):
    """Root of every error the bot raises on purpose."""

    default_message = "Something went wrong."
    # True when the message quotes text from outside (the user's command, the API's words):
    # whoever renders it as Slack mrkdwn keeps that text literal (bot.messages.blocks.error_text)
    quotes_outside_text: ClassVar[bool] = False

    def __init__(self, message: str | None = None) -> None:
        self.user_message = message or self.default_message
        super().__init__(self.user_message)


# --- the user's command -----------------------------------------------------------


class CommandError(BotError):
    """``suggestion``: when the command was refused over a near-miss of a known word
    ("lst month"), the corrected command text, which parses ("… for last month");
    adapters may offer to run it. Never applied silently."""

    quotes_outside_text = True
    default_message = 'I couldn\'t understand that. Try "backfill transfer 456789 for last month".'

    def __init__(self, message: str | None = None, *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


class MissingTransferError(CommandError):
    pass


class AmbiguousTransferError(CommandError):
    pass


class MissingRangeError(CommandError):
    pass


class InvalidDateError(CommandError):
    pass


class FutureRangeError(CommandError):
    pass


class ReversedRangeError(CommandError):
    pass


class RangeTooLongError(CommandError):
    pass


# --- configuration and storage ----------------------------------------------------


class ConfigError(BotError):
    default_message = "The bot is not configured correctly."


class SchemaOutOfDateError(ConfigError):
    default_message = (
        "The database schema is out of date. Run `python -m bot migrate` and start again."
    )


class StoreError(BotError):
    default_message = "The bot could not read or write its database. Try again in a moment."


class NotFoundError(StoreError):
    default_message = "I couldn't find that."


class TokenError(BotError):
    default_message = "There is a problem with this workspace's Supermetrics token."


class MissingTokenError(TokenError):
    default_message = (
        "This workspace has no Supermetrics API token yet. "
        "An admin can add one with `/backfill setup`."
    )


class TokenDecryptError(TokenError):
    default_message = (
        "The stored Supermetrics token can't be decrypted with the configured keys. "
        "Check BOT_ENCRYPTION_KEY, or set the token again with `/backfill setup`."
    )


class AccessDeniedError(BotError):
    default_message = "You are not allowed to do that."


class StateConflictError(BotError):
    default_message = "That request has already moved on; nothing was changed."


class TransferLookupError(BotError):
    default_message = "I couldn't match that transfer name."


# --- Supermetrics DTS API ------------------------------------------------------------


class DtsError(BotError):
    quotes_outside_text = True
    """An error answered by (or on the way to) the Supermetrics DTS API."""

    default_message = "Supermetrics returned an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        code: str | None = None,
        description: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.description = description
        self.request_id = request_id


class DtsUnauthorizedError(DtsError):
    default_message = (
        "Supermetrics rejected this workspace's API token (401). "
        "An admin can set a new one with `/backfill setup`."
    )


class DtsForbiddenError(DtsError):
    default_message = (
        "Supermetrics refused the request (403): the API token needs the scope "
        "`dwh_transfers_write` and its user the permission `dwh.transfer.edit`."
    )


class DtsNotFoundError(DtsError):
    default_message = (
        "Supermetrics couldn't find that transfer or backfill, or this token has no access "
        "to it (404). Check the transfer id."
    )


class DtsRejectedError(DtsError):
    default_message = (
        "Supermetrics refused the request. Check the transfer id and the dates, then try again."
    )


class DtsRateLimitedError(DtsError):
    default_message = "Supermetrics is rate limiting this workspace. Try again shortly."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        status_code: int | None = 429,
        code: str | None = None,
        description: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            code=code,
            description=description,
            request_id=request_id,
        )
        self.retry_after = retry_after


class DtsServerError(DtsError):
    default_message = "Supermetrics had an internal error. Try again in a few minutes."


class DtsUnavailableError(DtsError):
    default_message = "Supermetrics could not be reached (timeout or network error). Try again."


class DtsProtocolError(DtsError):
    default_message = "Supermetrics sent a response the bot could not read. Try again."


# --- Slack ---------------------------------------------------------------------------


class SlackApiError(BotError):
    default_message = "Slack refused a call from the bot."

    def __init__(
        self,
        message: str | None = None,
        *,
        error: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.retry_after = retry_after  # seconds, on a 429
