"""Natural-language backfill commands → transfer + inclusive date range.

The rules are ``docs/RANGE_SEMANTICS.md``. The grammar is our own
(``grammar``/``phrases``: spans, relative periods, quarters, ISO weeks, numeric dates);
dateparser is used only as a fallback for single-date phrases the grammar does not know,
and is imported lazily (``warm_up()`` pays for it at start-up).

Modules: ``lexer`` (normalise + tokenize), ``vocab`` (words), ``reader`` (token access,
counts, days, years), ``phrases`` (one date phrase: dispatch) with ``calendar_phrases``
and ``relative_phrases`` and ``portions`` (parts of periods: "the first 10 days of
March"; vague and fiscal phrases refused), ``grammar`` (ranges and spans), ``leftovers``
(date words beside the range that were not read: refused, never dropped), ``relative`` (today-based
periods), ``numeric`` (ISO and day-order dates), ``specs`` (resolution to days and year
inference), ``periods`` (calendar arithmetic), ``transfer`` (id or name), ``fallback``
(dateparser), ``messages`` (user wording), ``model`` (BackfillCommand), ``api`` (entry
points), ``shapes`` (named days, n-th weekdays, "w/c", decades, offsets from a day, a
weekday with its date), ``named_days`` (Black Friday, Easter … as rules), ``suggest``
(near-misses: "Did you mean").
"""

from __future__ import annotations

from .api import DATE_ORDERS, check_range, parse_command, warm_up
from .model import BackfillCommand

__all__ = ["DATE_ORDERS", "BackfillCommand", "check_range", "parse_command", "warm_up"]
