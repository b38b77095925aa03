"""Fixtures for the parser tests: the project's command corpus and a parse helper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    raise RuntimeError("no pyproject.toml above the tests")


def corpus_path() -> Path:
    """``tests/fixtures/commands.jsonl``: the project owns the corpus and extends it."""
    return repo_root() / "tests" / "fixtures" / "commands.jsonl"


def load_corpus() -> list[dict[str, Any]]:
    path = corpus_path()
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def reading_notes(notes: tuple[str, ...]) -> tuple[str, ...]:
    """The notes about how words were read, without the notes about today (its
    timezone, and that it is not over yet), which any relative range carries."""
    return tuple(note for note in notes if not note.startswith("Today"))


@pytest.fixture(scope="session")
def root() -> Path:
    return repo_root()
