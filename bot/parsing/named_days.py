"""Named days that data teams backfill most: Black Friday, Cyber Monday, BFCM, Easter …

Each name is a rule from the year to its days (Easter from ``dateutil.easter``, the
movable US Thanksgiving as the fourth Thursday of November), never a table of dates.
Names whose dates no rule fixes (Prime Day, Mother's Day: they differ by year, shop or
country) are refused with a note to give the dates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from .periods import Interval

_EASTER_YEARS = (1583, 4099)  # the Western (Gregorian) method's range


def _easter(year: int) -> date | None:
    if not _EASTER_YEARS[0] <= year <= _EASTER_YEARS[1]:
        return None
    from dateutil.easter import easter

    found: date = easter(year)
    return found


def _thanksgiving(year: int) -> date:
    """US Thanksgiving: the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=21)


def _fixed(month: int, day: int) -> Callable[[int], Interval | None]:
    def days(year: int) -> Interval | None:
        found = date(year, month, day)
        return found, found

    return days


def _after_thanksgiving(first: int, last: int) -> Callable[[int], Interval | None]:
    def days(year: int) -> Interval | None:
        thursday = _thanksgiving(year)
        return thursday + timedelta(days=first), thursday + timedelta(days=last)

    return days


def _around_easter(first: int, last: int) -> Callable[[int], Interval | None]:
    def days(year: int) -> Interval | None:
        sunday = _easter(year)
        if sunday is None:
            return None
        return sunday + timedelta(days=first), sunday + timedelta(days=last)

    return days


# name → (title for messages, days in a year)
_RULES: dict[str, tuple[str, Callable[[int], Interval | None]]] = {
    "thanksgiving": ("Thanksgiving", _after_thanksgiving(0, 0)),
    "black friday": ("Black Friday", _after_thanksgiving(1, 1)),
    "cyber monday": ("Cyber Monday", _after_thanksgiving(4, 4)),
    "bfcm": ("Black Friday → Cyber Monday", _after_thanksgiving(1, 4)),
    "christmas eve": ("Christmas Eve", _fixed(12, 24)),
    "christmas": ("Christmas Day", _fixed(12, 25)),
    "boxing day": ("Boxing Day", _fixed(12, 26)),
    "new year's eve": ("New Year's Eve", _fixed(12, 31)),
    "new year's day": ("New Year's Day", _fixed(1, 1)),
    "valentine's day": ("Valentine's Day", _fixed(2, 14)),
    "halloween": ("Halloween", _fixed(10, 31)),
    "singles day": ("Singles' Day", _fixed(11, 11)),
    "good friday": ("Good Friday", _around_easter(-2, -2)),
    "easter": ("Easter Sunday", _around_easter(0, 0)),
    "easter monday": ("Easter Monday", _around_easter(1, 1)),
    "easter weekend": ("Easter weekend (Good Friday → Easter Monday)", _around_easter(-2, 1)),
}

# the words people type → the rule's name (longest phrases are tried first)
PHRASES: dict[tuple[str, ...], str] = {
    ("thanksgiving",): "thanksgiving",
    ("thanksgiving", "day"): "thanksgiving",
    ("black", "friday"): "black friday",
    ("cyber", "monday"): "cyber monday",
    ("bfcm",): "bfcm",
    ("cyber", "week"): "bfcm",
    ("christmas", "eve"): "christmas eve",
    ("xmas", "eve"): "christmas eve",
    ("christmas",): "christmas",
    ("christmas", "day"): "christmas",
    ("xmas",): "christmas",
    ("xmas", "day"): "christmas",
    ("boxing", "day"): "boxing day",
    ("new", "year", "eve"): "new year's eve",
    ("new", "years", "eve"): "new year's eve",
    ("nye",): "new year's eve",
    ("new", "year", "day"): "new year's day",
    ("new", "years", "day"): "new year's day",
    ("valentine", "day"): "valentine's day",
    ("valentines", "day"): "valentine's day",
    ("halloween",): "halloween",
    ("singles", "day"): "singles day",
    ("good", "friday"): "good friday",
    ("easter",): "easter",
    ("easter", "sunday"): "easter",
    ("easter", "day"): "easter",
    ("easter", "monday"): "easter monday",
    ("easter", "weekend"): "easter weekend",
}

# named days whose dates no rule fixes: refused, asking for the dates
UNFIXED: dict[tuple[str, ...], str] = {
    ("prime", "day"): "Prime Day",
    ("prime", "days"): "Prime Day",
    ("amazon", "prime", "day"): "Prime Day",
    ("prime", "big", "deal", "days"): "Prime Big Deal Days",
    ("mother", "day"): "Mother's Day",
    ("mothers", "day"): "Mother's Day",
    ("father", "day"): "Father's Day",
    ("fathers", "day"): "Father's Day",
    ("labor", "day"): "Labor Day",
    ("labour", "day"): "Labour Day",
    ("chinese", "new", "year"): "Chinese New Year",
    ("lunar", "new", "year"): "Lunar New Year",
}

LONGEST_PHRASE = max(len(words) for words in (*PHRASES, *UNFIXED))
FIRST_WORDS = frozenset(words[0] for words in (*PHRASES, *UNFIXED))


def interval(name: str, year: int) -> Interval | None:
    """The days of the named day (or span) ``name`` in ``year``; None if it has none."""
    if not 1 <= year <= 9999 or name not in _RULES:
        return None
    return _RULES[name][1](year)


def title(name: str) -> str:
    """'Black Friday', for messages."""
    return _RULES[name][0] if name in _RULES else name.title()
