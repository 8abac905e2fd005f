"""Dates and times as council systems write them ("12th November, 2026", "10.00 am", "14:00"), in London time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_TIME = re.compile(r"\b(\d{1,2})(?:[.:](\d{2}))?\s*([ap])\.?m\b|\b(\d{1,2}):(\d{2})\b|\bnoon\b", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?(?:\s+(\d{4}))?\b")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_time(text: str) -> time | None:
    """``"10.00 am"``, ``"7 pm"``, ``"14:00"``, ``"12 noon"`` as a time of day; None when ``text`` holds no time."""
    found = _TIME.search(text)
    if not found:
        return None
    hour12, minute12, half, hour24, minute24 = found.groups()
    if half:
        hour = int(hour12) % 12 + (12 if half.lower() == "p" else 0)
        return _time_or_none(hour, int(minute12 or 0))
    if hour24:
        return _time_or_none(int(hour24), int(minute24))
    return time(12)


def parse_long_date(text: str, year: int | None = None) -> date | None:
    """The first "12th November, 2026" / "3 Aug 2026" date in ``text``; ``year`` completes a date without one."""
    for day, month_name, stated_year in _DAY_MONTH_YEAR.findall(text):
        month = month_name[:3].lower()
        full_year = int(stated_year) if stated_year else year
        if month not in _MONTHS or full_year is None:
            continue
        try:
            return date(full_year, _MONTHS.index(month) + 1, int(day))
        except ValueError:
            continue
    return None


def _time_or_none(hour: int, minute: int) -> time | None:
    return time(hour, minute) if hour < 24 and minute < 60 else None


def london_today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def london_time(day: date, at: time = time(0)) -> datetime:
    """``at`` on ``day`` in London, in UTC: when a meeting starts, or when a document dated ``day`` was published."""
    return datetime.combine(day, at, LONDON).astimezone(UTC)


def months(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    month, found = first.replace(day=1), []
    while month <= last:
        found.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return found
