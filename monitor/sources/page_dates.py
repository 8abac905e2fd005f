"""Dates as news listings write them, read into UTC; None for anything else, which leaves a story undated.

Read, in this order, wherever they stand in the text ("Published: …", "Updated …"):
- ISO 8601, as ``<time datetime>`` gives it: ``2026-11-27``, ``2026-11-27T14:05:00Z``, ``2026-11-27 14:05+01:00``;
- relative to the poll: ``just now``, ``5 minutes ago``, ``an hour ago``, ``3 days ago``, ``1 week ago``, ``today``,
  ``yesterday`` (either with a time: ``Yesterday at 9.30am``);
- written out, with an optional weekday, ordinal, comma and time before or after: ``27 November 2026``,
  ``Fri 27th Nov, 2026``, ``November 27, 2026``, ``27 November 2026, 2.05pm``;
- numeric, day first as in Britain: ``27/11/2026``, ``27.11.2026``, ``27-11-26``, ``10:20 25/11/2026``.

A date without a time is midnight, and a time without a zone is London time. A date without a year ("27 November") is
not guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from monitor.sources.council.dates import LONDON, london_time, london_today, parse_long_date, parse_time
from monitor.text import one_line

_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?", re.IGNORECASE)
_AGO = re.compile(r"\b(\d+|an?|one)\s+(min(?:ute)?|h(?:ou)?r|day|week)s?\s+ago\b", re.IGNORECASE)
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_DAY_WORD = re.compile(r"\b(just now|today|yesterday)\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def listing_date(text: str, *, now: datetime) -> datetime | None:
    """The moment ``text`` names (see the module's list), in UTC; ``now`` is when the listing was read."""
    text = one_line(text)
    if not text:
        return None
    return _iso(text) or _relative(text, now) or _written(text)


def _iso(text: str) -> datetime | None:
    found = _ISO.search(text)
    if not found:
        return None
    try:
        stamp = datetime.fromisoformat(found.group().upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=LONDON).astimezone(UTC)


def _relative(text: str, now: datetime) -> datetime | None:
    ago = _AGO.search(text)
    if ago:
        count, unit = ago.group(1).lower(), ago.group(2).lower()
        return now - (1 if count in ("a", "an", "one") else int(count)) * _UNITS[unit[0]]
    word = _DAY_WORD.search(text)
    if not word:
        return None
    if word.group(1).lower() == "just now":
        return now
    day = london_today(now) - timedelta(days=word.group(1).lower() == "yesterday")
    return _at(day, text)


def _written(text: str) -> datetime | None:
    day = parse_long_date(text) or _month_first(text) or _numeric(text)
    return _at(day, text) if day else None


def _month_first(text: str) -> date | None:
    for month_name, day, year in _MONTH_DAY_YEAR.findall(text):
        if month_name[:3].lower() in _MONTHS:
            return _date_or_none(int(year), _MONTHS.index(month_name[:3].lower()) + 1, int(day))
    return None


def _numeric(text: str) -> date | None:
    found = _NUMERIC.search(text)
    if not found:
        return None
    day, month, year = (int(part) for part in found.groups())
    return _date_or_none(year + 2000 if year < 100 else year, month, day)


def _at(day: date, text: str) -> datetime:
    """``day`` at the time of day ``text`` names (midnight when it names none), London time, in UTC."""
    return london_time(day, parse_time(text) or time(0))


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
