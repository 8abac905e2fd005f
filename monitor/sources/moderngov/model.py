"""What every part of the ModernGov source shares: its settings, committees, the site's addresses and its dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import urljoin

from monitor.sources.base import SourceError
from monitor.sources.council.model import CouncilSourceConfig

PAGE_TIMEOUT = 60.0  # seconds; self-hosted installs can take up to a minute to answer

# A document link, as the web service gives it (mgConvert2PDF.aspx?ID=) or the pages do (documents/s60001/...).
DOCUMENT_ID = re.compile(r"(?:documents/s(\d+)/|mgConvert2PDF\.aspx\?(?:[^#]*&)?ID=(\d+))", re.IGNORECASE)
_UK_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


class ModernGovConfig(CouncilSourceConfig):
    type: Literal["moderngov"]
    committees: Literal["all"] | list[int | str] = "all"  # committee ids or exact titles
    decisions: bool = True


@dataclass(frozen=True)
class Committee:
    committee_id: str
    title: str
    expired: bool = False
    deleted: bool = False


def meeting_page(base: str, committee_id: str, meeting_id: str) -> str:
    """The page people read a meeting on (the HTML pages read it too)."""
    return urljoin(base, f"ieListDocuments.aspx?CId={committee_id}&MId={meeting_id}")


def document_id(url: str) -> str | None:
    """The attachment id a document link carries, the same whichever way the site is read."""
    found = DOCUMENT_ID.search(url)
    return (found.group(1) or found.group(2)) if found else None


def parse_uk_date(text: str) -> date:
    """``dd/mm/yyyy``, the only date form ModernGov uses."""
    found = _UK_DATE.match(text)
    if not found:
        raise SourceError(f"{text!r} is not a dd/mm/yyyy date")
    day, month, year = map(int, found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise SourceError(f"{text!r} is not a real date") from None


def uk_date_or_none(text: str) -> date | None:
    try:
        return parse_uk_date(text)
    except SourceError:
        return None


def uk_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")
