"""One validated Settings object; the only package that reads the environment.

``settings`` holds the Settings class, ``values`` the parser of each variable's text,
``environment`` which variable sets which setting (``load_settings``, ``config_problems``),
``requirements`` what ``serve`` and ``worker`` need, ``problems`` what a check reports.
"""

from __future__ import annotations

from .environment import config_problems, load_settings
from .problems import Problem
from .requirements import Role, require, required_problems
from .settings import DEFAULT_SLACK_API_URL, DEFAULT_SUPERMETRICS_API_URL, Settings
from .values import (
    DATE_ORDERS,
    GENERATE_KEY_COMMAND,
    LOG_FORMATS,
    LOG_LEVELS,
    TRACKER_POLLING_MODES,
)

__all__ = [
    "DATE_ORDERS",
    "DEFAULT_SLACK_API_URL",
    "DEFAULT_SUPERMETRICS_API_URL",
    "GENERATE_KEY_COMMAND",
    "LOG_FORMATS",
    "LOG_LEVELS",
    "TRACKER_POLLING_MODES",
    "Problem",
    "Role",
    "Settings",
    "config_problems",
    "load_settings",
    "require",
    "required_problems",
]
