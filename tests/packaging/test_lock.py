"""requirements.txt, the lock the container and Heroku install from, matches pyproject.toml."""

from __future__ import annotations

import re

import pytest

from tests.docs.markdown import README, ROOT
from tests.packaging.lock import lock_command, lock_problems, parse_lock

PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
LOCK = (ROOT / "requirements.txt").read_text(encoding="utf-8")


def test_the_lock_agrees_with_pyproject() -> None:
    assert lock_problems(PYPROJECT, LOCK) == [], (
        f"requirements.txt is stale: refresh it with `{lock_command(LOCK)}`"
    )


def test_every_pin_is_exact_and_hashed() -> None:
    pins = parse_lock(LOCK)
    assert {"slack-bolt", "sqlalchemy", "psycopg", "psycopg-binary", "alembic"} <= set(pins)
    assert all(pin.hashes for pin in pins.values())


def test_the_readme_gives_the_refresh_command_the_lock_was_made_with() -> None:
    command = lock_command(LOCK)
    assert "--generate-hashes" in command and "--universal" in command
    assert command in README.read_text(encoding="utf-8")


def _pyproject_with(old: str, new: str) -> str:
    assert old in PYPROJECT
    return PYPROJECT.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"httpx>=0.27,<1"', '"httpx>=0.27,<0.28"', "outside httpx"),
        ('"PyYAML>=6.0",', '"PyYAML>=6.0",\n    "rich>=13",', "rich>=13 is not in the lock"),
        ('"waitress>=3.0,<4",', "", "waitress as a dependency pyproject.toml no longer has"),
    ],
)
def test_a_disagreement_is_reported(old: str, new: str, expected: str) -> None:
    problems = lock_problems(_pyproject_with(old, new), LOCK)
    assert any(expected in problem for problem in problems), problems


def test_a_loose_or_unhashed_pin_is_reported() -> None:
    loose = re.sub(r"^waitress==", "waitress>=", LOCK, flags=re.M)
    assert lock_problems(PYPROJECT, loose) == ["not an exact pin: waitress>=3.0.2"]
    unhashed = re.sub(r"^(tenacity==\S+) \\\n(\s+--hash=\S+\s*\\?\n)+", r"\1\n", LOCK, flags=re.M)
    assert "tenacity has no hash in the lock" in lock_problems(PYPROJECT, unhashed)
