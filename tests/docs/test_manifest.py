"""manifest.yml agrees with the code: its command and events, and only the scopes needed.

What the app registers and which Slack methods it calls are read from the source of
``bot/`` (the listener registrations in ``bot/slack`` and every Web API method named in a
call), so a new listener or a new Slack call without its manifest entry fails here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.messages import ids

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifest.yml"
SLACK_DIR = ROOT / "bot" / "slack"

# Slack Web API method -> the bot scopes it needs (empty: none beyond the app's own).
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.delete": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),
    "users.info": frozenset({"users:read"}),
    "users.list": frozenset({"users:read"}),
    "views.open": frozenset(),
    "views.update": frozenset(),
    "views.push": frozenset(),
    "views.publish": frozenset(),
    "auth.test": frozenset(),
    "team.info": frozenset({"team:read"}),
    "conversations.info": frozenset({"channels:read"}),
    # public channels need channels:read, private ones groups:read, DMs im:read
    "conversations.members": frozenset({"channels:read", "groups:read", "im:read"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    # reading a thread back: public and private channels, DMs and group DMs
    "conversations.replies": frozenset({"channels:history", "groups:history", "im:history"}),
    "conversations.history": frozenset({"channels:history", "groups:history", "im:history"}),
    "conversations.open": frozenset({"im:write"}),
    "conversations.join": frozenset({"channels:join"}),
    "reactions.add": frozenset({"reactions:write"}),
}
# Bot event -> the scope that subscribing to it needs.
EVENT_SCOPES: dict[str, frozenset[str]] = {
    "app_mention": frozenset({"app_mentions:read"}),
    "message.im": frozenset({"im:history"}),
    "message.channels": frozenset({"channels:history"}),
    "message.groups": frozenset({"groups:history"}),
    "message.mpim": frozenset({"mpim:history"}),
    "app_home_opened": frozenset(),
    "app_uninstalled": frozenset(),
    "tokens_revoked": frozenset(),
}
_METHOD = re.compile(
    r"^(?:chat|users|usergroups|views|auth|team|conversations|reactions|im|bots)\.[a-zA-Z.]+$"
)
_EVENTS_URL = re.compile(r"^https://YOUR-HOST/slack/events$")


def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def python_files(directory: Path) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(directory.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _constant(node: ast.AST) -> Any:
    """A literal, or an attribute of ``bot.messages.ids`` (``ids.SLASH_COMMAND``)."""
    if isinstance(node, ast.Constant):
        return node.value
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "ids"
    ):
        return getattr(ids, node.attr)
    if isinstance(node, ast.Dict):
        return {
            _constant(k): _constant(v) for k, v in zip(node.keys, node.values, strict=True) if k
        }
    return None


def registrations() -> dict[str, set[str]]:
    """Return what the Bolt app registers: {"command": {...}, "event": {...}, ...}."""
    found: dict[str, set[str]] = {
        "command": set(),
        "event": set(),
        "message": set(),
        "shortcut": set(),
    }
    for _path, tree in python_files(SLACK_DIR):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            kind = node.func.attr
            if kind not in found or not isinstance(node.func.value, ast.Name):
                continue
            if node.func.value.id not in {"app", "bolt", "application"}:
                continue
            value = _constant(node.args[0]) if node.args else ""
            if isinstance(value, dict):
                value = value.get("type")
            found[kind].add(str(value))
    return found


_SDK_FAMILIES = (
    "chat",
    "users",
    "usergroups",
    "views",
    "auth",
    "team",
    "conversations",
    "reactions",
)


def _sdk_method(call: ast.Call) -> str | None:
    """``client.chat_postMessage(...)``, ``say(...)``: ``chat.postMessage``."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "say":
        return "chat.postMessage"
    if not isinstance(func, ast.Attribute):
        return None
    owner = func.value
    owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
    family, _, rest = func.attr.partition("_")
    if owner_name.endswith("client") and family in _SDK_FAMILIES and rest:
        if family == "usergroups":  # usergroups_users_list: usergroups.users.list
            return f"{family}.{rest.replace('_', '.')}"
        return f"{family}.{_camel(rest)}"
    return None


def slack_methods() -> set[str]:
    """Return every Slack Web API method the code calls (by name or by SDK method)."""
    methods: set[str] = set()
    for _path, tree in python_files(ROOT / "bot"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _METHOD.match(node.value):
                    methods.add(node.value)
            elif isinstance(node, ast.Call):
                method = _sdk_method(node)
                if method:
                    methods.add(method)
    return methods


def _camel(snake: str) -> str:
    head, *tail = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in tail)


def needed_scopes() -> set[str]:
    data = manifest()
    scopes: set[str] = set()
    if registrations()["command"]:
        scopes.add("commands")
    for method in slack_methods():
        assert method in METHOD_SCOPES, f"map the Slack method {method} to its scopes here"
        scopes |= METHOD_SCOPES[method]
    for event in data["settings"]["event_subscriptions"]["bot_events"]:
        assert event in EVENT_SCOPES, f"map the event {event} to its scope here"
        scopes |= EVENT_SCOPES[event]
    return scopes


def test_manifest_is_valid_yaml_with_the_app_parts() -> None:
    data = manifest()
    assert data["display_information"]["name"]
    features = data["features"]
    assert features["bot_user"]["display_name"]
    assert "app_home" in features
    settings = data["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert _EVENTS_URL.match(settings["interactivity"]["request_url"])
    assert _EVENTS_URL.match(settings["event_subscriptions"]["request_url"])


def test_slash_command_matches_what_the_app_registers() -> None:
    commands = manifest()["features"]["slash_commands"]
    assert {c["command"] for c in commands} == registrations()["command"] == {ids.SLASH_COMMAND}
    for command in commands:
        assert _EVENTS_URL.match(command["url"]), command["url"]
        assert command["description"] and command.get("usage_hint")


def test_event_subscriptions_match_the_registered_listeners() -> None:
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    registered = registrations()
    events = {event for event in registered["event"] if event != "message"}
    # every registered event is subscribed to, and every subscription has a listener
    plain = {event for event in subscribed if not event.startswith("message.")}
    assert plain == events
    message_events = {event for event in subscribed if event.startswith("message.")}
    listens_to_messages = bool(registered["message"]) or "message" in registered["event"]
    assert bool(message_events) == listens_to_messages


def test_bot_scopes_are_exactly_those_the_code_needs() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    needed = needed_scopes()
    assert needed <= scopes, f"missing scopes: {sorted(needed - scopes)}"
    assert scopes <= needed, f"scopes nothing uses: {sorted(scopes - needed)}"


def test_the_scan_finds_the_methods_the_notifier_calls() -> None:
    # guards the scanner itself: these are called by bot/slack/slack_notifier.py
    assert {"chat.postMessage", "chat.update", "chat.postEphemeral"} <= slack_methods()
    assert "chat:write" in needed_scopes()


def test_shortcuts_match_what_the_app_registers() -> None:
    shortcuts = manifest()["features"]["shortcuts"]
    assert {s["callback_id"] for s in shortcuts} == registrations()["shortcut"]
    assert {s["callback_id"] for s in shortcuts} == {ids.SHORTCUT_NEW_BACKFILL}
    for shortcut in shortcuts:
        assert shortcut["type"] == "global" and shortcut["name"] and shortcut["description"]


def test_add_to_slack_asks_for_the_manifests_scopes_and_returns_to_our_redirect() -> None:
    from bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH

    data = manifest()
    assert list(BOT_SCOPES) == data["oauth_config"]["scopes"]["bot"]
    assert data["oauth_config"]["redirect_urls"] == [f"https://YOUR-HOST{REDIRECT_PATH}"]
    assert data["settings"]["token_rotation_enabled"] is True


def test_the_home_tab_is_on_and_served() -> None:
    assert manifest()["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in registrations()["event"]
