"""Package layout that pyproject.toml cannot express: the top-level ``migrations/`` folder
ships inside the wheel as the ``bot_migrations`` package (``bot.store.db`` finds Alembic's
scripts there), so an installed bot migrates without a source checkout.

Everything else (metadata, dependencies, package data) is in pyproject.toml.
"""

from __future__ import annotations

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["bot", "bot.*"]),
        "bot_migrations",
        "bot_migrations.versions",
    ],
    package_dir={"bot_migrations": "migrations"},
)
