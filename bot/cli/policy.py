"""``python -m bot policy set|show|clear``: a workspace's policies from the shell.

``set`` replaces each list or number it is given and leaves the rest; ``clear --what NAME``
empties one (empty requesters: everyone; no approval rule: nothing needs approval).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.cli.store_admin import _current_database, _positive_int, _slack_id
from bot.config import load_settings
from bot.errors import BotError
from bot.messages.policy_modal import PolicyChanges, policy_lines
from bot.service.policy_admin import policy_form
from bot.store.db import session_scope
from bot.store.queries import get_workspace, set_policy
from bot.store.workspaces import POLICY_NAMES

_FLAGS: tuple[tuple[str, str, str], ...] = (
    # (flag, policy name, help)
    ("--requester", "requesters", "user who may request backfills (repeatable)"),
    ("--requester-group", "requester-groups", "user group whose members may request"),
    ("--approver", "approvers", "user who may approve (repeatable)"),
    ("--approver-group", "approver-groups", "user group whose members may approve"),
    ("--channel", "channels", "channel where backfills may be requested (repeatable)"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot policy", description="A workspace's backfill policies."
    )
    actions = parser.add_subparsers(dest="action", required=True)
    set_ = actions.add_parser("set", help="change policies (what is not given stays)")
    set_.add_argument("--slack-team", required=True, type=_slack_id("team"))
    for flag, _name, text in _FLAGS:
        kind = "channel" if flag == "--channel" else "group" if "group" in flag else "user"
        set_.add_argument(flag, action="append", type=_slack_id(kind), help=text)
    set_.add_argument(
        "--approval-over-days",
        type=_positive_int,
        help="backfills longer than this many days need an approver",
    )
    set_.add_argument(
        "--approval-transfer",
        action="append",
        type=_positive_int,
        help="transfer whose backfills need an approver (repeatable)",
    )
    set_.add_argument(
        "--max-days", type=_positive_int, help="the longest range one request may cover"
    )
    show = actions.add_parser("show", help="show a workspace's policies")
    show.add_argument("--slack-team", required=True, type=_slack_id("team"))
    clear = actions.add_parser("clear", help="empty one policy")
    clear.add_argument("--slack-team", required=True, type=_slack_id("team"))
    clear.add_argument("--what", required=True, choices=[*POLICY_NAMES, "all"])
    return parser


def _changes(args: argparse.Namespace) -> PolicyChanges:
    changes: PolicyChanges = {}
    for flag, name, _text in _FLAGS:
        value = getattr(args, flag.removeprefix("--").replace("-", "_"))
        if value is not None:
            changes[name] = list(value)
    if args.approval_transfer is not None:
        changes["approval-transfers"] = list(args.approval_transfer)
    if args.approval_over_days is not None:
        changes["approval-over-days"] = args.approval_over_days
    if args.max_days is not None:
        changes["max-days"] = args.max_days
    return changes


def _plain(line: str) -> str:
    """The Slack mrkdwn of ``policy_lines`` as terminal text."""
    for old, new in (("*", ""), ("<@", ""), ("<!subteam^", ""), ("<#", ""), (">", "")):
        line = line.replace(old, new)
    return line


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        with _current_database(settings) as factory, session_scope(factory) as session:
            if args.action == "show":
                workspace = get_workspace(session, slack_team_id=args.slack_team)
                if workspace is None:
                    print(f"No workspace {args.slack_team} yet.", file=sys.stderr)
                    return 1
            else:
                if args.action == "set":
                    changes = _changes(args)
                    if not changes:
                        print(
                            "error: give at least one policy to set (see --help).", file=sys.stderr
                        )
                        return 2
                else:
                    names = POLICY_NAMES if args.what == "all" else (args.what,)
                    changes = dict.fromkeys(names)
                workspace = set_policy(
                    session, slack_team_id=args.slack_team, now=datetime.now(UTC), changes=changes
                )
            form = policy_form(workspace, default_max_days=settings.max_backfill_days)
            print(f"Policies of {args.slack_team}:")
            print("\n".join(_plain(line) for line in policy_lines(form)))
        return 0
    except BotError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 1
