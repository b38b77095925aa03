"""``backfill-bot doctor``: check a deployment as an operator would, one ✓/✗ line per check.

Configuration (every variable, one line per problem naming it and the fix), the database
and its schema, the encryption key against every stored token, Slack (``auth.test`` and
the token's scopes against the ones the bot uses) and each workspace's Supermetrics token
(a read call: list its transfers). Exits 1 when any line is ✗, 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from bot.config.requirements import Role
from bot.errors import BotError
from bot.observability.logs import configure_logging
from bot.slack.oauth import BOT_SCOPES

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime

OK, BAD = "✓", "✗"
# what the code calls (README, Creating the Slack app; manifest.yml's bot scopes)
# the bot scopes manifest.yml asks for, one list for the install link and this check
REQUIRED_SCOPES = BOT_SCOPES


@dataclass
class Report:
    out: TextIO
    failed: int = 0
    lines: list[str] = field(default_factory=list)

    def ok(self, what: str, detail: str) -> None:
        self._line(OK, what, detail)

    def bad(self, what: str, detail: str) -> None:
        self.failed += 1
        self._line(BAD, what, detail)

    def _line(self, mark: str, what: str, detail: str) -> None:
        # one line each, whatever the detail holds
        line = f"{mark} {what}: {' '.join(detail.split())}"
        self.lines.append(line)
        print(line, file=self.out, flush=True)


def check_configuration(report: Report, env: Mapping[str, str], role: Role) -> Settings | None:
    """One line per problem; the settings when they load (some checks need no secrets)."""
    from bot.config import config_problems, load_settings

    problems = config_problems(env, role=role)
    for problem in problems:
        report.bad(f"configuration {problem.variable}", problem.message)
    try:
        settings = load_settings(env)
    except BotError:
        return None  # each invalid value is a line above
    if not problems:
        report.ok("configuration", f"every variable is valid for `{role}`")
    return settings


def check_database(report: Report, runtime: Runtime) -> bool:
    from bot.store.db import current_revisions, database_problem, safe_url

    where = safe_url(runtime.engine.url)
    problem = database_problem(runtime.engine)
    if problem is not None:
        report.bad("database", problem)
        return False
    revision = ", ".join(sorted(current_revisions(runtime.engine)))
    report.ok("database", f"{where} answers and is migrated (revision {revision})")
    return True


@dataclass(frozen=True)
class _Credentials:
    slack_team_id: str
    supermetrics_team_id: int
    token: str


def check_tokens(report: Report, runtime: Runtime) -> list[_Credentials]:
    """Decrypt every stored token with BOT_ENCRYPTION_KEY; return the ones that decrypt."""
    from bot.store.db import session_scope
    from bot.store.workspaces import list_workspaces

    with session_scope(runtime.session_factory) as session:
        stored = [
            (w.slack_team_id, w.supermetrics_team_id, w.token_ciphertext)
            for w in list_workspaces(session)
            if w.token_ciphertext is not None and w.supermetrics_team_id is not None
        ]
    if not stored:
        report.bad(
            "encryption key",
            "no workspace has a Supermetrics token yet: an admin runs `/backfill setup`, or "
            "`backfill-bot workspace set --slack-team T… --supermetrics-team N < token.txt`",
        )
        return []
    readable: list[_Credentials] = []
    for slack_team_id, team_id, ciphertext in stored:
        assert team_id is not None and ciphertext is not None
        try:
            readable.append(_Credentials(slack_team_id, team_id, runtime.vault.decrypt(ciphertext)))
        except BotError:
            report.bad(
                "encryption key",
                f"the token of workspace {slack_team_id} can't be decrypted with "
                "BOT_ENCRYPTION_KEY: set the key it was stored with (newest first, comma "
                "separated), or store the token again",
            )
    if len(readable) == len(stored):
        report.ok("encryption key", f"decrypts the stored tokens of {len(stored)} workspace(s)")
    return readable


def check_slack(report: Report, settings: Settings) -> None:
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.slack.slack_notifier import build_web_client, slack_error

    if settings.multi_workspace:
        # "Add to Slack": no one token to check; each workspace's comes with its install
        report.ok(
            "Slack",
            '"Add to Slack" (SLACK_CLIENT_ID): each workspace installs the app from '
            "/slack/install and its own bot token is used",
        )
        return
    if not settings.slack_bot_token:
        report.bad("Slack", "SLACK_BOT_TOKEN is not set, so Slack can't be checked")
        return
    client = build_web_client(settings)
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        code = exc.response.get("error") if exc.response is not None else None
        report.bad("Slack auth.test", slack_error(str(code) if code else None).user_message)
        return
    except (SlackClientError, OSError) as exc:
        report.bad(
            "Slack auth.test",
            f"Slack at {settings.slack_api_url} can't be reached ({type(exc).__name__}); "
            "check the network (and SLACK_API_URL)",
        )
        return
    data: Mapping[str, Any] = response.data if isinstance(response.data, dict) else {}
    report.ok(
        "Slack auth.test",
        f"the bot is {data.get('user', '?')} in {data.get('team', '?')} ({data.get('team_id')})",
    )
    headers = {key.lower(): value for key, value in (response.headers or {}).items()}
    raw = headers.get("x-oauth-scopes")
    if isinstance(raw, list):  # urllib may hand back each header as a list
        raw = ",".join(raw)
    if raw is None:
        report.bad("Slack scopes", "Slack did not say which scopes the token has")
        return
    granted = {scope.strip() for scope in str(raw).split(",") if scope.strip()}
    missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
    if missing:
        report.bad(
            "Slack scopes",
            f"the token lacks {', '.join(missing)}: add them under OAuth & Permissions (or "
            "paste manifest.yml again) and reinstall the app",
        )
    else:
        report.ok("Slack scopes", ", ".join(REQUIRED_SCOPES))


def check_supermetrics(report: Report, runtime: Runtime, tokens: list[_Credentials]) -> None:
    for creds in tokens:
        what = f"Supermetrics {creds.slack_team_id} (team {creds.supermetrics_team_id})"
        try:
            team = runtime.dts.team(team_id=creds.supermetrics_team_id, token=creds.token)
            transfers = team.list_transfers()
        except BotError as exc:
            report.bad(what, exc.user_message)
            continue
        report.ok(what, f"the token reads the team's transfers ({len(transfers)})")


def run(env: Mapping[str, str], *, role: Role, out: TextIO) -> int:
    from bot.runtime import build_runtime

    report = Report(out)
    settings = check_configuration(report, env, role)
    if settings is None:
        report.bad("checks", "the database, Slack and Supermetrics need a valid configuration")
        return 1
    check_slack(report, settings)
    try:
        runtime = build_runtime(settings, allow_generate_key=False, check_schema=False)
    except BotError as exc:
        # no key: the database can still be asked
        report.bad("encryption key", exc.user_message)
        _database_only(report, settings)
        return 1
    with runtime:
        if check_database(report, runtime):
            tokens = check_tokens(report, runtime)
            check_supermetrics(report, runtime, tokens)
    return 1 if report.failed else 0


def _database_only(report: Report, settings: Settings) -> None:
    from bot.store.db import database_problem, make_engine, safe_url

    url = settings.resolved_database_url()
    engine = make_engine(url)
    try:
        problem = database_problem(engine)
    finally:
        engine.dispose()
    if problem is None:
        report.ok("database", f"{safe_url(url)} answers and is migrated")
    else:
        report.bad("database", problem)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="backfill-bot doctor", description=__doc__)
    parser.add_argument(
        "--role",
        choices=("serve", "worker"),
        default="serve",
        help="the process whose required settings to check (default: serve)",
    )
    args = parser.parse_args(argv)
    role: Role = args.role
    # only what goes wrong, on stderr, through the same redaction as serve and worker
    configure_logging(level="WARNING", log_format="text")
    return run(os.environ, role=role, out=sys.stdout)
