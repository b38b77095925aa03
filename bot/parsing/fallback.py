"""dateparser, for single-date phrases our grammar does not know ("a fortnight ago").

It is imported lazily: importing it costs tens of milliseconds and most commands never
need it. ``warm_up()`` pays that cost at process start in long-running processes.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

# longer text is not a single date phrase, and dateparser's time grows with length
_MAX_PHRASE_CHARS = 60


@lru_cache(maxsize=64)
def _parser(date_order: str, today: date) -> DateDataParser:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            # noon: "3 hours ago" is still today, "36 hours ago" the day before yesterday
            "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12),
            "PREFER_DATES_FROM": "past",
            "DATE_ORDER": date_order,
            "REQUIRE_PARTS": ["day"],
            "RETURN_TIME_AS_PERIOD": False,
        },
    )


def parse_single_date(phrase: str, *, today: date, date_order: str) -> date | None:
    """The one day ``phrase`` names, or None if dateparser does not read it as a day."""
    phrase = phrase.strip()
    if not phrase or len(phrase) > _MAX_PHRASE_CHARS:
        return None
    try:
        data = _parser(date_order, today).get_date_data(phrase)
    except (ValueError, OverflowError, TypeError, AttributeError):
        # dateparser raises these on some odd input; for us that is "not a date"
        return None
    found = data.date_obj
    if found is None:
        return None
    return found.date()


def warm_up(today: date) -> None:
    for order in ("MDY", "DMY"):
        parse_single_date("a fortnight ago", today=today, date_order=order)
