"""``python -m bot migrate | workspace set|show | rotate-key``.

The token for ``workspace set`` is read from stdin (piped, or typed without echo), never
from the command line where it would land in shell history and ``ps`` output.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, load_settings
from bot.errors import BotError, ConfigError, TokenDecryptError
from bot.store.db import (
    current_revisions,
    ensure_schema_current,
    make_engine,
    make_session_factory,
    safe_url,
    session_scope,
    upgrade_to_head,
)
from bot.store.models import Workspace
from bot.store.queries import (
    configure_workspace,
    get_workspace,
    list_workspaces,
    set_workspace_token,
)
from bot.vault import GENERATE_KEY_HINT, key_file_path, load_vault

_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")


def _slack_id(kind: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if not _SLACK_ID.match(value):
            raise argparse.ArgumentTypeError(f"{raw!r} does not look like a Slack {kind} id")
        return value

    parse.__name__ = f"Slack {kind} id"
    return parse


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Database commands.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database schema to the newest version")
    commands.add_parser(
        "rotate-key",
        help="re-encrypt stored tokens with the newest key in BOT_ENCRYPTION_KEY",
        description="Set BOT_ENCRYPTION_KEY=<new key>,<old key> first; afterwards the old "
        "key can be removed.",
    )
    workspace = commands.add_parser("workspace", help="set or show a workspace")
    actions = workspace.add_subparsers(dest="action", required=True)

    set_ = actions.add_parser(
        "set",
        help="set the Supermetrics team and token (token read from stdin)",
        description="Reads the Supermetrics API token from stdin: pipe it in, or type it "
        "at the prompt (not echoed).",
    )
    set_.add_argument("--slack-team", required=True, type=_slack_id("team"))
    set_.add_argument("--supermetrics-team", required=True, type=_positive_int)
    set_.add_argument(
        "--admin", action="append", type=_slack_id("user"), help="admin user id (repeatable)"
    )
    set_.add_argument(
        "--allow-user",
        action="append",
        type=_slack_id("user"),
        help="user allowed to request backfills (repeatable; none given = everyone)",
    )
    set_.add_argument(
        "--allow-channel",
        action="append",
        type=_slack_id("channel"),
        help="channel where backfills may be requested (repeatable; none given = any)",
    )
    set_.add_argument("--date-order", choices=["MDY", "DMY"], type=str.upper)
    set_.add_argument("--max-days", type=_positive_int)
    set_.add_argument(
        "--keep-token",
        action="store_true",
        help="change the settings only; keep the stored token",
    )

    show = actions.add_parser("show", help="show a workspace (never the token)")
    show.add_argument("--slack-team", required=True, type=_slack_id("team"))
    return parser


def _now() -> datetime:
    return datetime.now(UTC)


def _read_token(stdin: TextIO) -> str:
    if stdin.isatty():
        token = getpass.getpass("Supermetrics API token (not shown): ")
    else:
        token = stdin.read()
    token = token.strip()
    if not token:
        raise ConfigError(
            "No token given. Pipe the Supermetrics API token into this command, e.g. "
            "`python -m bot workspace set ... < token.txt`, or type it at the prompt."
        )
    if any(char.isspace() for char in token):
        raise ConfigError(
            "The token contains whitespace. Give exactly one Supermetrics API token on stdin."
        )
    return token


@contextmanager
def _current_database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Open the configured database, refuse it unless migrated, and dispose of it after."""
    engine = make_engine(settings.resolved_database_url())
    try:
        ensure_schema_current(engine)
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _migrate(settings: Settings) -> int:
    url = settings.resolved_database_url()
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        revision = ", ".join(sorted(current_revisions(engine)))
    finally:
        engine.dispose()
    print(f"Database {safe_url(url)} is at revision {revision} (newest).")
    return 0


def _workspace_set(settings: Settings, args: argparse.Namespace, stdin: TextIO) -> int:
    token = None if args.keep_token else _read_token(stdin)
    vault = load_vault(settings, allow_generate=True)
    now = _now()
    with _current_database(settings) as factory, session_scope(factory) as session:
        if token is not None:
            set_workspace_token(
                session,
                slack_team_id=args.slack_team,
                supermetrics_team_id=args.supermetrics_team,
                token_ciphertext=vault.encrypt(token),
                set_by="cli",
                now=now,
            )
        else:
            existing = get_workspace(session, slack_team_id=args.slack_team)
            if existing is None or existing.token_ciphertext is None:
                raise ConfigError(
                    f"Workspace {args.slack_team} has no token to keep. Run the command "
                    "without --keep-token and give the token on stdin."
                )
            existing.supermetrics_team_id = args.supermetrics_team
        workspace = configure_workspace(
            session,
            slack_team_id=args.slack_team,
            now=now,
            admins=args.admin,
            allowed_users=args.allow_user,
            allowed_channels=args.allow_channel,
            date_order=args.date_order,
            max_days=args.max_days,
        )
    print(_describe(workspace, settings))
    return 0


def _ids(values: Sequence[str], empty: str) -> str:
    return ", ".join(values) if values else empty


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _describe(workspace: Workspace, settings: Settings) -> str:
    if workspace.token_ciphertext is not None:
        token = f"set (encrypted) by {workspace.token_set_by} at {_when(workspace.token_set_at)}"
    else:
        token = "not set"
    rows = [
        ("slack team", workspace.slack_team_id),
        ("supermetrics team", str(workspace.supermetrics_team_id or "not set")),
        ("token", token),
        ("admins", _ids(workspace.admins, "(none listed)")),
        ("allowed users", _ids(workspace.allowed_users, "(everyone in the workspace)")),
        ("allowed channels", _ids(workspace.allowed_channels, "(any channel)")),
        ("date order", workspace.date_order or f"{settings.date_order} (default)"),
        ("max days", str(workspace.max_days or f"{settings.max_backfill_days} (default)")),
        ("created", _when(workspace.created_at)),
        ("updated", _when(workspace.updated_at)),
    ]
    width = max(len(label) for label, _ in rows) + 1
    return "\n".join(f"{(label + ':').ljust(width)} {value}" for label, value in rows)


def _workspace_show(settings: Settings, args: argparse.Namespace) -> int:
    with _current_database(settings) as factory, session_scope(factory) as session:
        workspace = get_workspace(session, slack_team_id=args.slack_team)
        if workspace is None:
            print(
                f"No workspace {args.slack_team} yet. Add it with: python -m bot workspace "
                f"set --slack-team {args.slack_team} --supermetrics-team <team id> "
                "< token.txt",
                file=sys.stderr,
            )
            return 1
        print(_describe(workspace, settings))
    return 0


def _rotate_key(settings: Settings) -> int:
    if len(settings.encryption_keys) < 2:
        raise ConfigError(
            "rotate-key needs BOT_ENCRYPTION_KEY to hold the new key first and the old "
            "key(s) after it, comma separated: BOT_ENCRYPTION_KEY=<new key>,<old key>. "
            f"Generate a new key with: {GENERATE_KEY_HINT}. (A local setup's old key is "
            f"in {key_file_path(settings)}.)"
        )
    vault = load_vault(settings, allow_generate=False)
    now = _now()
    rotated: list[str] = []
    unreadable: list[str] = []
    with _current_database(settings) as factory, session_scope(factory) as session:
        for workspace in list_workspaces(session):
            if workspace.token_ciphertext is None:
                continue
            try:
                workspace.token_ciphertext = vault.rotate(workspace.token_ciphertext)
            except TokenDecryptError:
                unreadable.append(workspace.slack_team_id)
                continue
            workspace.updated_at = now
            rotated.append(workspace.slack_team_id)
        if unreadable:
            # all or nothing: a half-rotated database is hard to reason about
            raise TokenDecryptError(
                "No tokens were changed: the tokens of "
                f"{', '.join(unreadable)} cannot be decrypted with any key in "
                "BOT_ENCRYPTION_KEY. Add the key they were stored with (after the new "
                "one), or set those tokens again with `python -m bot workspace set`."
            )
    print(
        f"Re-encrypted {len(rotated)} token(s) with the newest key. The old key(s) can now "
        "be removed from BOT_ENCRYPTION_KEY."
    )
    return 0


def main(argv: list[str], *, stdin: TextIO | None = None) -> int:
    """Run a database command; ``argv[0]`` is the command name."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "rotate-key":
            return _rotate_key(settings)
        if args.action == "set":
            return _workspace_set(settings, args, stdin or sys.stdin)
        return _workspace_show(settings, args)
    except BotError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 1
