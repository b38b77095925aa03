"""Metrics, structured logs and health: what an operator sees of a running process.

Floor 0 of the house: every floor above may record here; nothing here imports them.
"""
