"""The chaos suite: ``make test`` runs a few scenarios, ``make chaos`` runs them all.

``CHAOS_SQLITE`` / ``CHAOS_POSTGRES``: how many seeded scenarios (default 3 and 1);
``CHAOS_SEED``: replay one seed only (the seed a failure printed); ``CHAOS_FIRST_SEED``:
where the seeds start (default 1).
"""

from __future__ import annotations

import os


def seeds(setting: str, default: int) -> list[int]:
    """The seeds to play: one replayed seed, or ``count`` of them from the first."""
    if os.environ.get("CHAOS_SEED"):
        return [int(os.environ["CHAOS_SEED"])]
    first = int(os.environ.get("CHAOS_FIRST_SEED", "1"))
    count = int(os.environ.get(setting, str(default)))
    return list(range(first, first + count))
