"""The Dockerfile, compose.yaml and .python-version say what the README promises.

(The Procfile is checked with manifest.yml in tests/support_checks/test_deploy_files.py.)

No container engine runs here: `make lint` runs hadolint on the Dockerfile, the wheel
build and install the Dockerfile performs are exercised by test_installed_wheel.py, and
these tests read the files' structure.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml

from tests.docs.markdown import ROOT
from tests.docs.test_readme import config_variables
from tests.packaging.test_installed_wheel import SOURCES

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SECRET_NAME = re.compile(r"TOKEN|SECRET|KEY|PASSWORD")
# what a real secret looks like: Slack tokens, a Fernet key, a password in a URL
SECRET_VALUE = re.compile(r"xox[abp]-|xapp-|[A-Za-z0-9_-]{43}=|://[^/\s:@]+:(?!\$\{)[^@\s]+@")
INTERPOLATION = re.compile(r"^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$")


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")
    ))  # fmt: skip
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions(DOCKERFILE):
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_dockerfile_builds_the_wheel_in_a_first_stage_from_the_lock() -> None:
    build, runtime = _stages()
    for stage in (build, runtime):
        assert re.match(r"python:\$\{PYTHON_VERSION\}-slim\b", stage[0][1]), stage[0]
    runs = " ".join(args for word, args in build if word == "RUN")
    assert "--require-hashes --no-deps -r requirements.txt" in runs
    assert "pip wheel" in runs and "backfill_bot-*.whl" in runs
    copied = {source for word, args in build if word == "COPY" for source in args.split()[:-1]}
    # the wheel is built from exactly what the installed-wheel test builds it from
    assert copied == {*SOURCES, "requirements.txt"}
    assert ("COPY", "--from=build /opt/venv /opt/venv") in runtime


def test_the_build_context_holds_only_what_the_dockerfile_copies() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert rules[0] == "*"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    copied = {
        source
        for word, args in _instructions(DOCKERFILE)
        if word == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    }
    assert allowed == copied


def test_dockerfile_runs_unprivileged_with_a_healthcheck_on_port() -> None:
    runtime = _stages()[-1]
    users = [args for word, args in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    (health,) = [args for word, args in runtime if word == "HEALTHCHECK"]
    assert "/healthz" in health and "os.environ.get('PORT'" in health
    assert any(word == "ENV" and "PORT=3000" in args for word, args in runtime)
    (cmd,) = [args for word, args in runtime if word == "CMD"]
    assert cmd == '["backfill-bot", "serve"]'


def test_dockerfile_bakes_in_no_secret() -> None:
    for word, args in _instructions(DOCKERFILE):
        if word in {"ENV", "ARG"}:
            names = re.findall(r"([A-Z_][A-Z0-9_]*)=", args) or [args.split("=")[0]]
            assert not any(SECRET_NAME.search(name) for name in names), (word, args)
    assert not SECRET_VALUE.search(DOCKERFILE)


def test_python_version_matches_the_image() -> None:
    pinned = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"3\.1[1-9]", pinned), pinned
    assert f"ARG PYTHON_VERSION={pinned}\n" in DOCKERFILE


# --- compose.yaml ----------------------------------------------------------------------

SERVICES: dict[str, Any] = COMPOSE["services"]


def _command(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return command if isinstance(command, list) else shlex.split(command)


def test_compose_has_postgres_a_one_shot_migrate_web_and_worker() -> None:
    assert set(SERVICES) == {"db", "migrate", "web", "worker"}
    assert SERVICES["db"]["image"].startswith("postgres:")
    assert _command("migrate") == ["backfill-bot", "migrate"]
    assert _command("web") == ["backfill-bot", "serve"]
    assert _command("worker") == ["backfill-bot", "worker"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("migrate", "web", "worker"):
        assert SERVICES[name]["build"] == "."
        assert SERVICES[name]["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert "@db:5432/" in SERVICES[name]["environment"]["DATABASE_URL"]


def test_compose_starts_in_order_migrate_after_a_healthy_db_and_the_bot_after_migrate() -> None:
    assert SERVICES["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }


def test_compose_healthchecks() -> None:
    assert "pg_isready" in " ".join(SERVICES["db"]["healthcheck"]["test"])
    web = SERVICES["web"]
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert web["environment"]["PORT"] in {p.split(":")[-1] for p in web["ports"]}
    assert web["environment"]["RUN_TRACKER_IN_SERVER"] == "false"
    # no HTTP server in these: the image's /healthz check would mark them unhealthy
    assert SERVICES["worker"]["healthcheck"] == {"disable": True}
    assert SERVICES["migrate"]["healthcheck"] == {"disable": True}


@pytest.mark.parametrize("service", ["db", "migrate", "web", "worker"])
def test_compose_has_no_secret_inline(service: str) -> None:
    known = config_variables() | {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"}
    for name, value in SERVICES[service]["environment"].items():
        assert name in known, f"{service}: {name} is not a setting the bot reads"
        if SECRET_NAME.search(name):
            assert INTERPOLATION.match(str(value)), f"{service}: {name} is written inline"
        assert not SECRET_VALUE.search(str(value)), f"{service}: {name} holds a secret"


def test_the_secret_checks_can_fail() -> None:
    assert SECRET_VALUE.search("postgresql://bot:hunter2@db:5432/backfill")
    assert not SECRET_VALUE.search("postgresql://bot:${POSTGRES_PASSWORD:?x}@db:5432/backfill")
    assert SECRET_VALUE.search("xoxb-1234-abcd")
    assert not INTERPOLATION.match("xoxb-1234")
    assert INTERPOLATION.match("${SLACK_BOT_TOKEN:?set SLACK_BOT_TOKEN in .env}")
