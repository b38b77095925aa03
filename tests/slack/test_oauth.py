""" "Add to Slack" end to end over loopback HTTP: the install page, Slack's authorize page
(the fake's), the redirect, oauth.v2.access, the stored (encrypted) installation, and each
workspace's requests answered with that workspace's own token."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.messages import ids
from bot.slack.installations import EncryptedInstallationStore, InstalledWorkspaces
from bot.slack.oauth import BOT_SCOPES, build_workspaces
from bot.slack.slack_notifier import SlackNotifier, build_web_client
from bot.store.db import session_scope
from bot.store.models import RequestState
from bot.store.queries import transition, update_request
from bot.vault import TokenVault
from tests.slack.conftest import check_limits
from tests.slack.harness import CLIENT_ID, CLIENT_SECRET, REQUESTER, SlackHarness, harness
from tests.support import signing
from tests.support.fake_slack import FakeInstall, FakeTeam
from tests.support.waiting import wait_for

TEAM_A, TEAM_B = "T0AAAAAAA", "T0BBBBBBB"
CHANNEL_A, CHANNEL_B = "C0AAAA", "C0BBBB"
TOKEN_A = "xoxb-1111-aaaa-secret-token-of-workspace-a"
TOKEN_B = "xoxb-2222-bbbb-secret-token-of-workspace-b"
_HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def multi(tmp_path: Path) -> Iterator[SlackHarness]:
    with harness(tmp_path, multi_workspace=True) as h:
        yield h
        check_limits(h)


class Browser(httpx.Client):
    """A person's browser. Bolt's state cookie is ``Secure``, which httpx keeps off plain
    http even on loopback (browsers treat localhost as secure): it is sent by hand."""

    def __init__(self) -> None:
        super().__init__(timeout=10.0)
        self.state_cookie = ""

    def remember(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            if header.startswith("slack-app-oauth-state="):
                self.state_cookie = header.split(";")[0]

    def visit(self, url: str, **kwargs: object) -> httpx.Response:
        headers = {"Cookie": self.state_cookie} if self.state_cookie else {}
        return self.get(url, headers=headers, **kwargs)  # type: ignore[arg-type]


def install_page(h: SlackHarness, browser: Browser) -> str:
    """GET /slack/install; return the authorize link it shows."""
    page = browser.get(f"{h.server.url}/slack/install")
    assert page.status_code == 200
    browser.remember(page)
    assert "Add to Slack" in page.text
    links = [
        link.replace("&amp;", "&")
        for link in _HREF.findall(page.text)
        if link.startswith("http")  # not the page's empty favicon
    ]
    assert len(links) == 1, links
    return links[0]


def install(h: SlackHarness, team: FakeTeam, token: str, **extra: object) -> httpx.Response:
    """A person installs the app: install page → Slack's authorize page → our redirect."""
    h.fake.install_next(FakeInstall(team=team, bot_token=token, **extra))  # type: ignore[arg-type]
    with Browser() as browser:
        link = install_page(h, browser)
        allowed = browser.get(link)
        assert allowed.status_code == 302, allowed.text
        return browser.visit(allowed.headers["location"])


def database_bytes(h: SlackHarness) -> bytes:
    """Every byte of the SQLite database, its WAL included."""
    return b"".join(p.read_bytes() for p in sorted(h.settings.data_dir.glob("bot.db*")))


def card_in(h: SlackHarness, channel: str) -> dict[str, object]:
    return wait_for(lambda: (h.fake.messages(channel) or [None])[0], what=f"a card in {channel}")


def test_install_page_links_to_slacks_authorize_url_with_our_client_id_scopes_and_state(
    multi: SlackHarness,
) -> None:
    with Browser() as browser:
        link = install_page(multi, browser)
        cookie = browser.state_cookie.partition("=")[2]
    url = urlsplit(link)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{multi.fake.url}/oauth/v2/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    assert query["state"][0] and query["state"][0] == cookie
    # no SLACK_REDIRECT_URI: the redirect URL is built from the host the page was asked on
    assert query["redirect_uri"] == [f"{multi.server.url}/slack/oauth_redirect"]


def test_install_stores_an_encrypted_installation_and_answers_with_that_workspaces_token(
    multi: SlackHarness,
) -> None:
    done = install(multi, FakeTeam(TEAM_A, team_name="Alpha"), TOKEN_A)
    assert done.status_code == 200, done.text
    (exchange,) = multi.fake.calls_to("oauth.v2.access")
    assert exchange.ok and exchange.headers["authorization"].startswith("Basic ")
    # stored, but never in plaintext: not a byte of the token in the database file
    assert TOKEN_A.encode() not in database_bytes(multi)
    clients = build_workspaces(multi.runtime, build_web_client(multi.settings)).clients
    assert isinstance(clients, InstalledWorkspaces)
    assert clients.for_team(TEAM_A).token == TOKEN_A

    multi.world.store_token(TEAM_A)
    multi.fake.reset()
    ack, _ = multi.command("transfer 456789 for last January", team=TEAM_A, channel=CHANNEL_A)
    assert ack.status_code == 200
    card = card_in(multi, CHANNEL_A)
    assert "Facebook Ads" in str(card["text"])
    calls = multi.fake.calls
    assert calls and {call.token for call in calls} == {TOKEN_A}
    assert {call.method for call in calls} >= {"auth.test", "users.info", "chat.postMessage"}


def test_two_workspaces_never_see_each_others_requests_or_tokens(multi: SlackHarness) -> None:
    install(multi, FakeTeam(TEAM_A, team_name="Alpha", bot_user_id="U0BOTA"), TOKEN_A)
    install(multi, FakeTeam(TEAM_B, team_name="Beta", bot_user_id="U0BOTB"), TOKEN_B)
    for team in (TEAM_A, TEAM_B):
        multi.world.store_token(team)
    multi.fake.reset()
    multi.command("transfer 456789 for last January", team=TEAM_A, channel=CHANNEL_A)
    card_in(multi, CHANNEL_A)
    multi.command("transfer 456790 for last week", team=TEAM_B, channel=CHANNEL_B)
    card_in(multi, CHANNEL_B)

    by_channel: dict[str, set[str]] = {}
    for call in multi.fake.calls:
        channel = call.args.get("channel")
        if channel:
            by_channel.setdefault(str(channel), set()).add(call.token)
    assert by_channel == {CHANNEL_A: {TOKEN_A}, CHANNEL_B: {TOKEN_B}}

    multi.command("list", team=TEAM_B, channel=CHANNEL_B, name="list-b")
    listed = multi.response_body("list-b")
    text = f"{listed.get('text', '')} {listed.get('blocks', '')}"
    requests = {row.slack_team_id: row.id for row in multi.requests()}
    assert f"#{requests[TEAM_B]}" in text and f"#{requests[TEAM_A]}" not in text
    assert TOKEN_A.encode() not in database_bytes(multi)
    assert TOKEN_B.encode() not in database_bytes(multi)


def test_a_bad_or_reused_state_is_refused(multi: SlackHarness) -> None:
    multi.fake.install_next(FakeInstall(team=FakeTeam(TEAM_A), bot_token=TOKEN_A))
    with Browser() as browser:
        link = install_page(multi, browser)
        redirect = browser.get(link).headers["location"]
        code = parse_qs(urlsplit(redirect).query)["code"][0]
        forged = browser.visit(
            f"{multi.server.url}/slack/oauth_redirect", params={"code": code, "state": "forged"}
        )
        assert forged.status_code in (400, 401)
        assert multi.fake.calls_to("oauth.v2.access") == []
        assert browser.visit(redirect).status_code == 200
        reused = browser.visit(redirect)
        assert reused.status_code in (400, 401)
    assert len(multi.fake.calls_to("oauth.v2.access")) == 1
    # the state belongs to the browser that asked for it: a stranger's redirect fails too
    multi.fake.install_next(FakeInstall(team=FakeTeam(TEAM_B), bot_token=TOKEN_B))
    with Browser() as browser, Browser() as stranger:
        redirect = browser.get(install_page(multi, browser)).headers["location"]
        assert stranger.visit(redirect).status_code in (400, 401)
    assert len(multi.fake.calls_to("oauth.v2.access")) == 1


def test_app_uninstalled_removes_the_installation_and_pauses_tracking(
    multi: SlackHarness,
) -> None:
    install(multi, FakeTeam(TEAM_A), TOKEN_A)
    multi.world.store_token(TEAM_A)
    multi.command("transfer 456789 for last January", team=TEAM_A, channel=CHANNEL_A)
    card_in(multi, CHANNEL_A)
    (row,) = multi.requests()
    with session_scope(multi.runtime.session_factory) as session:
        for to in (RequestState.SUBMITTING, RequestState.SUBMITTED):
            transition(
                session,
                request_id=row.id,
                expected=(RequestState.PENDING, RequestState.SUBMITTING),
                to=to,
                actor="test",
                now=multi.clock.now(),
            )
        update_request(session, request_id=row.id, now=multi.clock.now(), values={"backfill_id": 1})

    ack = signing.event(
        multi.url,
        "test-signing-secret",
        event={"type": "app_uninstalled"},
        team_id=TEAM_A,
        event_id="Ev0UNINSTALL",
        client=multi.http,
    )
    assert ack.status_code == 200
    paused = wait_for(
        lambda: (r := multi.request(row.id)).tracking_paused and r, what="tracking paused"
    )
    assert paused.state is RequestState.SUBMITTED  # the request is kept
    clients = build_workspaces(multi.runtime, build_web_client(multi.settings)).clients
    assert isinstance(clients, InstalledWorkspaces)
    assert clients.store.find_bot(enterprise_id=None, team_id=TEAM_A) is None

    # installing again resumes it
    install(multi, FakeTeam(TEAM_A), TOKEN_A + "-again")
    assert not multi.request(row.id).tracking_paused


def test_a_rotating_token_is_refreshed_before_it_expires(multi: SlackHarness) -> None:
    # expires in 60 s: inside the refresh window, so the first call refreshes it
    install(multi, FakeTeam(TEAM_A), TOKEN_A, expires_in=60)
    multi.world.store_token(TEAM_A)
    multi.fake.reset()
    multi.command("transfer 456789 for last January", team=TEAM_A, channel=CHANNEL_A)
    card_in(multi, CHANNEL_A)
    refreshes = [c for c in multi.fake.calls_to("oauth.v2.access") if c.args.get("grant_type")]
    assert refreshes and all(call.ok for call in refreshes)
    posted = [call.token for call in multi.fake.calls_to("chat.postMessage")]
    assert posted and all(token.startswith(TOKEN_A + "~") for token in posted)
    stored = database_bytes(multi)
    assert TOKEN_A.encode() not in stored and posted[0].encode() not in stored
    assert b"xoxe-1-refresh" not in stored


def test_an_org_wide_grid_install_answers_each_workspace_of_the_org(multi: SlackHarness) -> None:
    org = FakeTeam(None, enterprise_id="E0ORG", enterprise_name="Org", is_enterprise_install=True)
    token = "xoxb-9999-org-wide-secret-token"
    install(multi, org, token)
    multi.world.store_token("T0GRID")
    multi.fake.reset()
    multi.command(
        "transfer 456789 for last January",
        team="T0GRID",
        channel="C0GRID",
        enterprise_id="E0ORG",
    )
    card_in(multi, "C0GRID")
    assert {call.token for call in multi.fake.calls} == {token}
    # a worker, which knows only the request's workspace, finds the org's installation
    worker = SlackNotifier(
        build_workspaces(multi.runtime, build_web_client(multi.settings)).clients
    )
    worker.post(slack_team_id="T0GRID", channel="C0GRID", text="from the worker")
    assert multi.fake.calls_to("chat.postMessage")[-1].token == token

    # the organization removes the app: its org-wide installation goes
    body = json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": "T0GRID",
            "enterprise_id": "E0ORG",
            "api_app_id": "A0FAKE",
            "event": {"type": "app_uninstalled"},
            "type": "event_callback",
            "event_id": "Ev0ORGBYE",
            "event_time": int(time.time()),
            "is_enterprise_install": True,
            "authorizations": [
                {
                    "enterprise_id": "E0ORG",
                    "team_id": None,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": True,
                }
            ],
        }
    )
    headers = signing.signed_headers("test-signing-secret", body, content_type="application/json")
    assert signing.send(multi.url, body, headers, client=multi.http).status_code == 200
    clients = build_workspaces(multi.runtime, build_web_client(multi.settings)).clients
    with pytest.raises(Exception, match="not installed"):
        clients.for_team("T0GRID")


def test_a_workspace_that_never_installed_gets_no_token(multi: SlackHarness) -> None:
    clients = build_workspaces(multi.runtime, build_web_client(multi.settings)).clients
    with pytest.raises(Exception, match="not installed"):
        clients.for_team("T0NOBODY")
    started = time.monotonic()
    ack, _ = multi.command("help", team="T0NOBODY", channel="C0X", user=REQUESTER)
    assert ack.status_code == 200 and time.monotonic() - started < 3


def test_a_worker_process_announces_with_the_workspaces_own_token(multi: SlackHarness) -> None:
    install(multi, FakeTeam(TEAM_A), TOKEN_A)
    multi.world.store_token(TEAM_A)
    multi.command("transfer 456789 for last January", team=TEAM_A, channel=CHANNEL_A)
    card = card_in(multi, CHANNEL_A)
    (row,) = multi.requests()
    multi.click(
        ids.ACTION_CONFIRM, str(row.id), channel=CHANNEL_A, message_ts=str(card["ts"]), team=TEAM_A
    )
    multi.wait_request(row.id, "SUBMITTED")
    wait_for(lambda: multi.fake.thread(CHANNEL_A, str(card["ts"])), what="the first reply")
    multi.clock.advance(timedelta(minutes=5))  # the simulator's backfill moves on
    multi.fake.reset()

    env = {key: value for key, value in os.environ.items() if not key.startswith("SLACK_")}
    env.update(
        {
            "DATABASE_URL": multi.settings.resolved_database_url(),
            "BOT_ENCRYPTION_KEY": multi.settings.encryption_keys[0],
            "SUPERMETRICS_API_URL": multi.settings.supermetrics_api_url,
            "SLACK_API_URL": multi.settings.slack_api_url,
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "worker", "--once"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert multi.request(row.id).dts_status != "SCHEDULED"
    replies = [c for c in multi.fake.calls_to("chat.postMessage") if c.ok]
    assert replies and {c.token for c in replies} == {TOKEN_A}
    # the requester's App Home was refreshed too, as that workspace's bot
    # (one per status change the tick announced, the last one flushed as the worker stopped)
    homes = [c for c in multi.fake.calls_to("views.publish") if c.ok]
    assert homes and {(c.token, c.args["user_id"]) for c in homes} == {(TOKEN_A, REQUESTER.user_id)}
    assert str(multi.request(row.id).dts_status) in str(homes[-1].args["view"])
    assert TOKEN_A not in done.stdout + done.stderr


def test_rotate_key_re_encrypts_the_installations_tokens(multi: SlackHarness) -> None:
    install(multi, FakeTeam(TEAM_A), TOKEN_A, expires_in=3600)  # a bot and a refresh token
    old = multi.settings.encryption_keys[0]
    new = Fernet.generate_key().decode()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLACK_")}
    env.update(
        {
            "DATABASE_URL": multi.settings.resolved_database_url(),
            "BOT_ENCRYPTION_KEY": f"{new},{old}",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "rotate-key"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # the harness's Supermetrics token, and the installation's two rows (installation and
    # bot) of two tokens each (bot and refresh)
    assert "Re-encrypted 5 token(s)" in done.stdout
    store = EncryptedInstallationStore(
        engine=multi.runtime.engine, client_id=CLIENT_ID, vault=TokenVault([new])
    )
    bot = store.find_bot(enterprise_id=None, team_id=TEAM_A)
    assert bot is not None and bot.bot_token == TOKEN_A
    assert TOKEN_A.encode() not in database_bytes(multi)
