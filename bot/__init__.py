"""Slack chat-ops bot for Supermetrics data-warehouse backfills."""

__version__ = "0.1.0"
