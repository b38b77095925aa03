"""Words the grammar knows: months, weekdays, numbers, units and filler."""

from __future__ import annotations

MONTHS: dict[str, int] = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "febr": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}

MONTH_NAMES = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# full month names, used to suggest a correction for a misspelt month
FULL_MONTH_WORDS = tuple(name.lower() for name in MONTH_NAMES[1:])

WEEKDAYS: dict[str, int] = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

CARDINALS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "couple": 2,
    "dozen": 12,
}

TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}

ORDINAL_WORDS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}

# unit word -> canonical unit
UNITS: dict[str, str] = {
    "day": "day",
    "days": "day",
    "d": "day",
    "week": "week",
    "weeks": "week",
    "wk": "week",
    "wks": "week",
    "fortnight": "fortnight",
    "fortnights": "fortnight",
    "month": "month",
    "months": "month",
    "mo": "month",
    "mos": "month",
    "mth": "month",
    "mths": "month",
    "quarter": "quarter",
    "quarters": "quarter",
    "qtr": "quarter",
    "qtrs": "quarter",
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
}

LAST_WORDS = frozenset({"last", "past", "previous", "prev", "prior", "preceding", "trailing"})
THIS_WORDS = frozenset({"this", "current"})
NEXT_WORDS = frozenset({"next", "coming", "upcoming", "following"})
# "last full month", "previous calendar quarter"
PERIOD_ADJECTIVES = frozenset({"full", "complete", "completed", "whole", "entire", "calendar"})

# words that may open a range phrase and carry no meaning of their own
RANGE_PREPOSITIONS = frozenset(
    {"for", "on", "in", "during", "over", "covering", "within", "the", "of", "at", "dates"}
)

# connectors between the two ends of a span ("and" only after "between")
SPAN_CONNECTORS = frozenset({"to", "through", "thru", "till", "til", "until", "untill", "-"})

# words that are never part of a transfer name (trimmed from its edges) and may
# surround the command without changing it
FILLER = frozenset(
    {
        "please",
        "pls",
        "plz",
        "kindly",
        "can",
        "could",
        "would",
        "will",
        "you",
        "u",
        "me",
        "us",
        "i",
        "we",
        "i'd",
        "i’d",
        "want",
        "need",
        "like",
        "to",
        "a",
        "an",
        "the",
        "for",
        "of",
        "on",
        "in",
        "at",
        "with",
        "and",
        "just",
        "also",
        "again",
        "backfill",
        "backfills",
        "backfilling",
        "back",
        "fill",
        "rerun",
        "re",
        "run",
        "reload",
        "reprocess",
        "refresh",
        "load",
        "do",
        "thanks",
        "thank",
        "thx",
        "ty",
        "cheers",
        "hey",
        "hi",
        "hello",
        "bot",
        "transfer",
        "transfers",
        "named",
        "called",
        "titled",
        "dates",
        "range",
        "period",
        "ok",
        "okay",
        "id",
        "now",
    }
)

# a word that introduces a transfer id: "transfer 456789", "transfer id 7", "id 7"
TRANSFER_WORDS = frozenset({"transfer", "transfers", "transfer_id", "transferid", "xfer"})
ID_WORDS = frozenset({"id", "no", "nr", "number", "num"})
