"""manifest.yml and Procfile: valid, within Slack's manifest limits, and in step with the code.

The scope check scans bot/ for the Slack Web API methods it calls and requires each to be
covered by a bot scope in the manifest, and every scope in the manifest to be needed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.__main__ import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
EVENTS_URL = "https://YOUR-HOST/slack/events"

# Slack Web API method -> bot scopes, any one of which allows it (from Slack's method docs).
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.delete": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.getPermalink": set(),
    "views.open": set(),
    "views.update": set(),
    "views.push": set(),
    "views.publish": set(),
    "users.info": {"users:read"},
    "conversations.info": {"channels:read", "groups:read", "im:read", "mpim:read"},
    "conversations.members": {"channels:read", "groups:read", "im:read", "mpim:read"},
    "conversations.open": {"im:write"},
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "conversations.replies": {"channels:history", "groups:history", "im:history"},
    "reactions.add": {"reactions:write"},
}
# Bot event -> the scope it needs.
EVENT_SCOPES = {"app_mention": "app_mentions:read", "message.im": "im:history"}

_METHOD_STRING = re.compile(
    r"[\"'](auth|chat|views|users|conversations|reactions)\.([a-zA-Z]+)[\"']"
)
_METHOD_CALL = re.compile(r"\.(auth|chat|views|users|conversations|reactions)_([a-zA-Z]+)\(")


def called_methods() -> set[str]:
    """Slack methods named in bot/ as strings ("chat.update") or called as client.chat_update."""
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if path.name == "limits.py":
            continue
        source = path.read_text(encoding="utf-8")
        found |= {f"{family}.{name}" for family, name in _METHOD_STRING.findall(source)}
        found |= {f"{family}.{name}" for family, name in _METHOD_CALL.findall(source)}
    return found


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_manifest_display_information_within_limits(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert 1 <= len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])
    assert manifest["_metadata"]["major_version"] == 2


def test_manifest_slash_command(manifest: dict[str, Any]) -> None:
    from bot.messages import ids

    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == ids.SLASH_COMMAND
    assert command["url"] == EVENTS_URL
    assert 1 <= len(command["description"]) <= 2000
    assert 1 <= len(command["usage_hint"]) <= 1000


def test_manifest_events_interactivity_and_home(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    events = settings["event_subscriptions"]
    assert events["request_url"] == EVENTS_URL
    assert sorted(events["bot_events"]) == ["app_home_opened", "app_mention", "message.im"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": EVENTS_URL}
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False
    assert manifest["features"]["bot_user"]["display_name"]


def test_scope_table_knows_every_method_the_code_calls() -> None:
    unknown = called_methods() - METHOD_SCOPES.keys()
    assert not unknown, f"add the scopes for {sorted(unknown)} to METHOD_SCOPES and the manifest"


def test_scopes_cover_every_call_and_event(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert "commands" in scopes
    for method in called_methods():
        needed = METHOD_SCOPES[method]
        assert not needed or needed & scopes, f"{method} needs one of {sorted(needed)}"
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        if event in EVENT_SCOPES:
            assert EVENT_SCOPES[event] in scopes


def test_no_scope_is_unneeded(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    justified = {"commands"}
    for method in called_methods():
        justified |= METHOD_SCOPES[method] & scopes
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    justified |= {EVENT_SCOPES[event] for event in events if event in EVENT_SCOPES}
    assert scopes <= justified, f"unneeded scopes: {sorted(scopes - justified)}"


def test_called_methods_scan_finds_the_notifier_calls() -> None:
    # guards the scan itself: the notifier is known to post, update and post ephemerals
    assert {"chat.postMessage", "chat.update", "chat.postEphemeral"} <= called_methods()


def test_procfile_runs_existing_commands() -> None:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    processes = dict(line.split(": ", 1) for line in lines if line.strip())
    assert processes == {
        "release": "python -m bot migrate",
        "web": "python -m bot serve",
        "worker": "python -m bot worker",
    }
    for command in processes.values():
        assert command.split()[3] in COMMANDS
