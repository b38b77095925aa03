"""A loopback HTTP server that answers like the Slack Web API, for tests.

``slack_sdk.WebClient(base_url=fake.base_url, token=fake.token)`` works against it
unchanged.  It keeps the state users would see (channel messages with updates applied,
thread replies, ephemerals, views, response_url posts), records every call, checks
posted blocks against Slack's limits (``tests.support.block_kit_limits``) and injects faults
on demand.

    with FakeSlack(users=[FakeUser("U1", tz="Europe/Helsinki")]) as fake:
        client = WebClient(base_url=fake.base_url, token=fake.token)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.messages("C1")[0]["text"] == "hi"
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.slack.oauth import BOT_SCOPES
from tests.support.block_kit_limits import check_message
from tests.support.fake_slack_methods import (
    METHODS,
    FakeUser,
    JsonDict,
    SlackApiFault,
    SlackState,
    SlackWebMethods,
    copy_json,
)
from tests.support.fake_slack_oauth import FakeInstall, FakeOAuth, FakeTeam, OAuthState

__all__ = [
    "Call",
    "FakeInstall",
    "FakeSlack",
    "FakeTeam",
    "FakeUser",
    "ResponsePost",
    "SlackApiFault",
    "parse_body",
]

# Fields that slack_sdk sends JSON-encoded inside form bodies.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")
_MAX_BODY = 5 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # http.server's default backlog of 5 drops connections (1 s SYN retry) under bursts
    request_queue_size = 128


@dataclass(frozen=True)
class Call:
    """One request the fake received, and what it answered."""

    method: str
    args: JsonDict
    headers: dict[str, str]
    time: float
    status: int
    response: JsonDict

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def token(self) -> str:
        """The bearer token the call carried (its Authorization header), or ``token=``."""
        auth = self.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            return auth[len("Bearer ") :]
        return str(self.args.get("token", ""))


@dataclass(frozen=True)
class ResponsePost:
    """One JSON body posted to a response_url."""

    name: str
    url: str
    body: JsonDict
    time: float


@dataclass
class _Fault:
    error: str
    status: int
    remaining: int
    retry_after: int | None = None
    delay: float = 0.0
    answer_late: bool = False  # the call takes effect at once; only its answer is late


@dataclass
class _ResponseTarget:
    name: str
    channel: str | None
    message_ts: str | None
    uses: int = 0


# what a token installed from manifest.yml is granted (tests/cli/test_doctor checks they agree)


class FakeSlack(SlackWebMethods, FakeOAuth):
    """The Slack Web API on 127.0.0.1, recording every call.  Start it, stop it."""

    RESPONSE_URL_LIMIT = 5  # Slack accepts up to five posts per response_url

    def __init__(
        self,
        *,
        token: str = "xoxb-fake-bot-token",
        team_id: str = "T0000FAKE",
        team_name: str = "Fake Workspace",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        users: Iterable[FakeUser] = (),
        channels: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        # Socket Mode: apps.connections.open with this app token answers socket_url
        self.app_token: str | None = None
        self.socket_url = ""
        # sent back in X-OAuth-Scopes on every answer, as Slack does
        self.scopes: list[str] = list(BOT_SCOPES)
        self._clock = clock
        self._lock = threading.RLock()
        self._users: dict[str, FakeUser] = {user.user_id: user for user in users}
        self._channel_names: dict[str, str] = dict(channels or {})
        self._not_in: set[str] = set()
        # channel -> its members (channels not listed: every user); user group -> members
        self._members: dict[str, set[str]] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._calls: list[Call] = []
        self._responses: list[ResponsePost] = []
        self._targets: dict[str, _ResponseTarget] = {}
        self._violations: list[str] = []
        self._state = SlackState()
        # every bot token the fake accepts, and whose it is ("Add to Slack" adds more)
        self._tokens: dict[str, FakeTeam] = {
            token: FakeTeam(team_id, team_name=team_name, bot_user_id=bot_user_id, bot_id=bot_id)
        }
        self._revoked: set[str] = set()
        self._oauth = OAuthState()
        self._caller: FakeTeam | None = None
        self._ts_base = int(clock())
        self._ts_counter = itertools.count(100, 100)
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeSlack:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The Web API base URL, ending with ``/api/`` as slack_sdk expects."""
        return f"{self.url}/api/"

    # ------------------------------------------------------------- configuration
    def add_user(self, user: FakeUser) -> None:
        with self._lock:
            self._users[user.user_id] = user

    def add_channel(self, channel_id: str, name: str, *, bot_member: bool = True) -> None:
        with self._lock:
            self._channel_names[channel_id] = name
            if bot_member:
                self._not_in.discard(channel_id)
            else:
                self._not_in.add(channel_id)

    def set_channel_members(self, channel: str, users: Iterable[str]) -> None:
        """conversations.members of ``channel`` answers exactly these users (and the bot)."""
        with self._lock:
            self._members[channel] = set(users)

    def add_usergroup(self, group_id: str, users: Iterable[str]) -> None:
        """A user group (``S…``) whose members usergroups.users.list returns."""
        with self._lock:
            self._usergroups[group_id] = list(users)

    def post_as_user(self, channel: str, user_id: str, text: str) -> str:
        """A person's own message in ``channel`` (e.g. a thread to mention the bot in)."""
        with self._lock:
            ts = self._next_ts()
            msg = {"type": "message", "ts": ts, "user": user_id, "text": text, "blocks": []}
            self._state.messages.setdefault(channel, {})[ts] = msg
        return ts

    def bot_not_in(self, channel: str) -> None:
        """Make chat.postMessage (and friends) to this channel answer ``not_in_channel``."""
        with self._lock:
            self._not_in.add(channel)

    def bot_joins(self, channel: str) -> None:
        with self._lock:
            self._not_in.discard(channel)

    def fail_next(self, method: str, error: str, count: int = 1, status: int = 200) -> None:
        """Answer the next ``count`` calls to ``method`` with ``{"ok": false, "error"}``."""
        self._add_fault(method, _Fault(error=error, status=status, remaining=count))

    def rate_limit_next(self, method: str, retry_after: int = 1, count: int = 1) -> None:
        """Answer the next ``count`` calls with HTTP 429, ``Retry-After`` and ``ratelimited``."""
        fault = _Fault(error="ratelimited", status=429, remaining=count, retry_after=retry_after)
        self._add_fault(method, fault)

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Answer the next ``count`` calls normally, but only after ``seconds`` (max 30)."""
        fault = _Fault(error="", status=200, remaining=count, delay=min(seconds, 30.0))
        self._add_fault(method, fault)

    def answer_late_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Do the next ``count`` calls at once but answer only after ``seconds`` (max 30):
        a client that times out first cannot tell whether they happened."""
        fault = _Fault(
            error="", status=200, remaining=count, delay=min(seconds, 30.0), answer_late=True
        )
        self._add_fault(method, fault)

    def _add_fault(self, method: str, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def response_url(
        self, name: str = "response", *, channel: str | None = None, message_ts: str | None = None
    ) -> str:
        """Return a fresh response_url on this server; posts to it land in ``.responses``.

        With ``channel`` (and ``message_ts`` for a message's buttons) it behaves like the
        real thing: ``in_channel`` posts a message, ``replace_original`` /
        ``delete_original`` change the message the buttons were on.
        """
        with self._lock:
            key = f"{name}-{next(self._ids)}"
            self._targets[key] = _ResponseTarget(name=name, channel=channel, message_ts=message_ts)
        return f"{self.url}/response/{key}"

    def reset(self) -> None:
        """Forget calls, messages, responses, violations and pending faults."""
        with self._lock:
            self._calls.clear()
            self._responses.clear()
            self._violations.clear()
            self._faults.clear()
            self._targets.clear()
            self._state = SlackState()

    # ---------------------------------------------------------------- inspection
    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    @property
    def responses(self) -> list[ResponsePost]:
        with self._lock:
            return list(self._responses)

    def responses_to(self, name: str) -> list[ResponsePost]:
        with self._lock:
            return [post for post in self._responses if post.name == name]

    @property
    def violations(self) -> list[str]:
        """Block Kit limit violations seen in anything posted (tests assert it is empty)."""
        with self._lock:
            return list(self._violations)

    @property
    def ephemerals(self) -> list[JsonDict]:
        with self._lock:
            return [dict(item) for item in self._state.ephemerals]

    def messages(self, channel: str) -> list[JsonDict]:
        """Top-level messages in ``channel`` as they look now (updates applied), oldest first."""
        with self._lock:
            found = self._state.messages.get(channel, {})
            return [
                copy_json(msg)
                for msg in found.values()
                if msg.get("thread_ts") in (None, msg["ts"])
            ]

    def message(self, channel: str, ts: str) -> JsonDict | None:
        with self._lock:
            msg = self._state.messages.get(channel, {}).get(ts)
            return copy_json(msg) if msg is not None else None

    def thread(self, channel: str, ts: str) -> list[JsonDict]:
        """Replies in the thread under ``ts``, in the order they were posted."""
        with self._lock:
            found = self._state.messages.get(channel, {})
            return [
                copy_json(msg)
                for msg in found.values()
                if msg.get("thread_ts") == ts and msg["ts"] != ts
            ]

    def views(self) -> list[JsonDict]:
        with self._lock:
            return [copy_json(view) for view in self._state.views.values()]

    def home(self, user_id: str, *, team_id: str | None = None) -> JsonDict | None:
        """The App Home last published for ``user_id`` in ``team_id`` (default: the fake's)."""
        with self._lock:
            view = self._state.homes.get((team_id or self.team_id, user_id))
            return copy_json(view) if view is not None else None

    def view(self, view_id: str) -> JsonDict | None:
        with self._lock:
            view = self._state.views.get(view_id)
            return copy_json(view) if view is not None else None

    # ------------------------------------------------------------ request entry
    def handle_api(
        self, method: str, args: JsonDict, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], JsonDict]:
        """Answer one Web API call: (HTTP status, extra headers, JSON body)."""
        extra_headers: dict[str, str] = {"X-OAuth-Scopes": ",".join(self.scopes)}
        fault = self._take_fault(method)
        late_by = 0.0
        if fault is not None and fault.delay:
            if fault.answer_late:
                late_by = fault.delay
            else:
                time.sleep(fault.delay)
            fault = None
        if fault is not None:
            status = fault.status
            body: JsonDict = {"ok": False, "error": fault.error}
            if fault.retry_after is not None:
                extra_headers["Retry-After"] = str(fault.retry_after)
        elif method == "oauth.v2.access" and not self.client_authorized(headers, args):
            status, body = 200, {"ok": False, "error": "invalid_client_id"}
        elif method != "oauth.v2.access" and not self._authorized(headers, args, method):
            status, body = 200, {"ok": False, "error": "invalid_auth"}
        else:
            status = 200
            handler = METHODS.get(method)
            if handler is None:
                body = {"ok": False, "error": "unknown_method"}
            else:
                try:
                    with self._lock:
                        self._caller = self._caller_team(headers, args)
                        body = {"ok": True, **handler(self, args)}
                except SlackApiFault as fault_exc:
                    body = {"ok": False, "error": fault_exc.error, **fault_exc.extra}
        call = Call(
            method=method,
            args=args,
            headers=headers,
            time=self._clock(),
            status=status,
            response=body,
        )
        with self._lock:
            self._calls.append(call)
        if late_by:
            time.sleep(late_by)
        return status, extra_headers, body

    def handle_response_url(self, key: str, body: JsonDict) -> tuple[int, JsonDict]:
        with self._lock:
            target = self._targets.get(key)
            if target is None:
                return 404, {"ok": False, "error": "no_such_response_url"}
            target.uses += 1
            if target.uses > self.RESPONSE_URL_LIMIT:
                return 404, {"ok": False, "error": "used_url"}
            self._responses.append(
                ResponsePost(
                    name=target.name,
                    url=f"{self.url}/response/{key}",
                    body=body,
                    time=self._clock(),
                )
            )
            self._record_violations(
                f"response_url {target.name}",
                check_message(body.get("text"), body.get("blocks")),
            )
            self._apply_response(target, body)
        return 200, {"ok": True}

    def _apply_response(self, target: _ResponseTarget, body: JsonDict) -> None:
        if target.channel is None:
            return
        channel_msgs = self._state.messages.setdefault(target.channel, {})
        if body.get("delete_original") and target.message_ts is not None:
            channel_msgs.pop(target.message_ts, None)
        elif body.get("replace_original") and target.message_ts is not None:
            original = channel_msgs.get(target.message_ts)
            if original is not None:
                original["text"] = body.get("text", "")
                original["blocks"] = body.get("blocks", [])
                original["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        elif body.get("response_type") == "in_channel":
            ts = self._next_ts()
            channel_msgs[ts] = self._new_message(ts, body, thread_ts=body.get("thread_ts"))

    # ------------------------------------------------------------------ helpers
    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            return fault

    def _authorized(
        self, headers: Mapping[str, str], args: Mapping[str, Any], method: str = ""
    ) -> bool:
        if method == "apps.connections.open":  # Socket Mode: the app-level token
            auth = headers.get("authorization", "")
            given = auth[len("Bearer ") :] if auth.startswith("Bearer ") else args.get("token")
            return self.app_token is not None and given == self.app_token
        return self._caller_team(headers, args) is not None

    def _caller_team(self, headers: Mapping[str, str], args: Mapping[str, Any]) -> FakeTeam | None:
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else args.get("token")
        return self.team_of(token) if isinstance(token, str) else None


def parse_body(content_type: str, raw: bytes) -> JsonDict:
    """Parse a JSON or form body the way Slack does; JSON-in-form fields are decoded."""
    if not raw:
        return {}
    text = raw.decode("utf-8")
    if content_type.split(";")[0].strip().lower() == "application/json":
        parsed = json.loads(text)
        if not isinstance(parsed, dict):
            raise ValueError("JSON body must be an object")
        return parsed
    args: JsonDict = dict(parse_qsl(text, keep_blank_values=True))
    for key in _JSON_FIELDS:
        value = args.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            args[key] = json.loads(value)
    return args


def _make_handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def _send(self, status: int, body: JsonDict, headers: Mapping[str, str] = {}) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _read(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                raise ValueError("body too large")
            return self.rfile.read(length) if length else b""

        def _dispatch(self) -> None:
            parts = urlsplit(self.path)
            try:
                raw = self._read()
                args = dict(parse_qsl(parts.query, keep_blank_values=True))
                args.update(parse_body(self.headers.get("Content-Type", ""), raw))
            except ValueError:
                self._send(400, {"ok": False, "error": "invalid_form_data"})
                return
            if parts.path.startswith("/api/"):
                method = parts.path[len("/api/") :]
                headers = {key.lower(): value for key, value in self.headers.items()}
                status, extra, body = fake.handle_api(method, args, headers)
                self._send(status, body, extra)
            elif parts.path == "/oauth/v2/authorize" and self.command == "GET":
                status, extra, body = fake.authorize(
                    {key: str(value) for key, value in args.items()}
                )
                self._send(status, body, extra)
            elif parts.path.startswith("/response/") and self.command == "POST":
                status, body = fake.handle_response_url(parts.path[len("/response/") :], args)
                self._send(status, body)
            else:
                self._send(404, {"ok": False, "error": "not_found"})

        def do_POST(self) -> None:
            self._dispatch()

        def do_GET(self) -> None:
            self._dispatch()

    return Handler
