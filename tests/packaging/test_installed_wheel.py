"""The wheel as an operator installs it: built from the source, installed into a fresh
virtualenv outside the checkout, and run from a directory with no alembic.ini.

This is what the Dockerfile's build stage and Heroku do.  To stay fast and offline the new
virtualenv sees the test environment's already-installed dependencies through a ``.pth``
line (appended after its own site-packages), while the package under test comes from the
wheel: the test asserts that ``bot`` and ``bot_migrations`` are imported from the new
virtualenv, never from the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.markdown import ROOT
from tests.docs.test_readme import config_variables
from tests.store.conftest import postgres_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

# what the wheel is built from: the files pyproject.toml and setup.py package
SOURCES = ("bot", "migrations", "pyproject.toml", "setup.py", "README.md")
SCRIPT = "backfill transfer 456789 for last January\nconfirm\n"


@dataclass(frozen=True)
class Installed:
    venv: Path
    workdir: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def command(self) -> Path:
        return self.venv / "bin" / "backfill-bot"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment minus anything that could point back at the checkout."""
        drop = config_variables() | {"PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "VIRTUAL_ENV"}
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env["BOT_DATA_DIR"] = str(self.workdir / "data")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(extra)
        return env

    def run(
        self, *args: str, stdin: str = "", timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.command), *args],
            cwd=self.workdir,
            env=self.env(**env),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _pip(*args: str, cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT)
    # build from a copy: an in-tree build would leave build/ and *.egg-info in the checkout
    source = base / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    dist = base / "dist"
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist), ".",
         cwd=source)  # fmt: skip
    (wheel,) = dist.glob("backfill_bot-*.whl")

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    _pip("--python", str(python), "install", "--no-deps", "--no-index", str(wheel), cwd=base)
    # the dependencies: this environment's site-packages, after the venv's own (a plain
    # path line: .pth files in there, like the editable install's finder, are not run)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "zz_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")

    workdir = base / "elsewhere"
    workdir.mkdir()
    shutil.rmtree(source)  # nothing of the source may be left to import from
    return Installed(venv=venv, workdir=workdir)


def test_the_package_under_test_is_the_installed_wheel(installed: Installed) -> None:
    probe = (
        "import bot, bot_migrations\n"
        "from bot.store.db import migrations_dir\n"
        "print(bot.__file__); print(bot_migrations.__file__); print(migrations_dir())\n"
    )
    result = subprocess.run(
        [str(installed.python), "-c", probe],
        cwd=installed.workdir,
        env=installed.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert len(paths) == 3
    for path in paths:
        assert path.is_relative_to(installed.venv), path
    assert (paths[2] / "env.py").is_file()
    assert sorted(p.name for p in (paths[2] / "versions").glob("0*.py")) == sorted(
        p.name for p in (ROOT / "migrations" / "versions").glob("0*.py")
    )


def test_installed_migrate_and_console_run_to_completion(installed: Installed) -> None:
    for directory in (installed.workdir, *installed.workdir.parents):
        assert not (directory / "alembic.ini").exists(), directory
    url = f"sqlite:///{installed.workdir / 'data' / 'bot.db'}"

    migrate = installed.run("migrate", DATABASE_URL=url)
    assert migrate.returncode == 0, migrate.stderr
    assert "(newest)" in migrate.stdout, migrate.stdout

    console = installed.run(
        "console", "--today", "2026-02-15", "--speed", "500", "--tz", "UTC",
        stdin=SCRIPT, DATABASE_URL=url,
    )  # fmt: skip
    assert console.returncode == 0, console.stdout + console.stderr
    assert "completed: 31/31 days transferred" in console.stdout, console.stdout
    assert "Every submitted backfill has finished." in console.stdout
    assert "Traceback" not in console.stderr, console.stderr


@pytest.mark.postgres
def test_installed_migrate_upgrades_postgresql(installed: Installed, postgres_url: str) -> None:  # noqa: F811
    first = installed.run("migrate", DATABASE_URL=postgres_url)
    assert first.returncode == 0, first.stderr
    assert "(newest)" in first.stdout, first.stdout
    again = installed.run("migrate", DATABASE_URL=postgres_url)
    assert again.returncode == 0, again.stderr


def test_installed_parse_and_help_need_no_checkout(installed: Installed) -> None:
    parsed = installed.run("parse", "transfer 456789 for last January", "--today", "2026-02-15")
    assert parsed.returncode == 0, parsed.stderr
    assert '"2026-01-01"' in parsed.stdout and '"2026-01-31"' in parsed.stdout, parsed.stdout
    usage = installed.run("--help")
    assert usage.returncode == 0 and "migrate" in usage.stdout
