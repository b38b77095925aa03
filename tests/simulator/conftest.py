"""The simulator tests run against the DTS part of the test world."""

from tests.support.dts_world import client, clock, running, sim, sleeps, team, transport

__all__ = ["client", "clock", "running", "sim", "sleeps", "team", "transport"]
