"""The house's floors hold: import-linter's contracts pass, and they would catch a breach."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store.models import BACKFILL_FINAL_STATES, RequestState
from bot.supermetrics.models import BackfillStatus

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """Run lint-imports (only the given contract ids, when any) on the package in ``cwd``."""
    only = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *only],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _scratch_copy(tmp_path: Path) -> Path:
    """The package and its contracts, copied where a test may add a bad import."""
    shutil.copytree(ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_on_the_code_as_it_is() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # the DTS client reaching up into Slack rendering
        ("bot/supermetrics/scratch.py", "from bot.messages import blocks", "layers"),
        # the tracker importing the use-cases above it
        ("bot/tracking/scratch.py", "import bot.service.core", "layers"),
        # anything but an entry point importing the Slack adapter
        ("bot/console/scratch.py", "import bot.slack.app", "slack-only-from-entry-points"),
    ],
)
def test_a_forbidden_import_breaks_the_build(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    copy = _scratch_copy(tmp_path)
    assert _lint(copy, contract).returncode == 0  # the copy itself is clean
    (copy / module).write_text(f'"""Scratch."""\n\n{line}\n')
    result = _lint(copy, contract)
    assert result.returncode != 0, result.stdout
    assert "1 broken" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


def test_a_circle_between_two_files_of_a_package_breaks_the_build(tmp_path: Path) -> None:
    copy = _scratch_copy(tmp_path)
    (copy / "bot/messages/scratch_a.py").write_text('"""A."""\n\nimport bot.messages.scratch_b\n')
    (copy / "bot/messages/scratch_b.py").write_text('"""B."""\n\nimport bot.messages.scratch_a\n')
    result = _lint(copy, "no-file-circles")
    assert result.returncode != 0, result.stdout
    assert "1 broken" in result.stdout and "scratch_" in result.stdout


def test_request_final_states_mirror_the_apis() -> None:
    """One meaning of "final": the request states that mirror a final backfill status."""
    api_final = {status.value for status in BackfillStatus if status.is_final}
    assert {state.value for state in BACKFILL_FINAL_STATES} == api_final
    assert all(RequestState(value).is_final for value in api_final)
