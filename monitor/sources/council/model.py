"""What every council system (ModernGov, CMIS) is read into: the settings every council source shares, and a meeting as
read now, with its agenda items and documents."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from pydantic import model_validator

from monitor.durations import format_duration
from monitor.settings import Duration, StrictModel
from monitor.sources.base import SourceConfig
from monitor.sources.council.dates import london_time, parse_time


class Window(StrictModel):
    """Meetings watched around today: ``back`` into the past (minutes come weeks later), ``forward`` into the future."""

    back: Duration = timedelta(weeks=8)
    forward: Duration = timedelta(weeks=4)

    def dates(self, today: date) -> tuple[date, date]:
        return today - self.back, today + self.forward


class CouncilSourceConfig(SourceConfig):
    """Keys every council meeting source accepts on top of the common ones."""

    window: Window = Window()
    # A meeting whose minutes are out stops being read again this long after it took place.
    settle_after: Duration = timedelta(weeks=12)
    # The source reads its own documents; fetching an item's link as an article page (the app's full-text step) would
    # download a PDF again, or give an agenda item the text of the whole meeting page.
    full_text: bool | None = False

    @model_validator(mode="after")
    def _window_inside_settling(self) -> CouncilSourceConfig:
        if self.window.back > self.settle_after:
            raise ValueError(
                f"window.back ({format_duration(self.window.back)}) is longer than settle_after "
                f"({format_duration(self.settle_after)}): a settled meeting would come back into the window and be "
                "reported again; make window.back shorter or settle_after longer"
            )
        return self


@dataclass(frozen=True)
class MeetingRef:
    """A meeting as a list of meetings shows it: enough to read its page."""

    meeting_id: str
    committee_id: str
    day: date
    url: str  # the meeting's page for people
    status: str = ""  # when the list says it (an HTML list marks cancelled meetings)


@dataclass(frozen=True)
class DocumentRef:
    """A document linked from a meeting.

    ``version`` is whatever the system says changes with the file (ModernGov's publication date), "" when it says
    nothing. ``is_minutes``: the document is minutes (CMIS publishes minutes only as documents).
    """

    doc_id: str
    title: str
    url: str
    item_number: str = ""
    item_title: str = ""
    version: str = ""
    published: date | None = None
    is_minutes: bool = False


@dataclass(frozen=True)
class AgendaItem:
    item_id: str
    number: str  # as displayed, without the trailing dot: "7", "7a"
    title: str
    text: str = ""
    minutes: str = ""  # "" until the minutes of the item are published

    @property
    def heading(self) -> str:
        return f"Item {self.number} {self.title}" if self.number else self.title


@dataclass(frozen=True)
class Meeting:
    """One meeting as read now, whichever system and page it came from."""

    meeting_id: str
    committee_id: str
    committee: str
    day: date
    time: str  # as the system writes it ("10.00 am", "14:00"); "" when not stated
    status: str  # "Confirmed", "Cancelled", "Scheduled"...
    url: str
    minutes_published: bool = False
    items: tuple[AgendaItem, ...] = ()
    documents: tuple[DocumentRef, ...] = ()

    @property
    def cancelled(self) -> bool:
        return "cancel" in self.status.lower()

    @property
    def starts_at(self) -> datetime:
        """Start of the meeting in UTC (midnight, London time, when the time is not stated)."""
        return london_time(self.day, parse_time(self.time) or time(0))

    def fingerprint(self) -> str:
        """A hash of everything read about the meeting: when it is unchanged, so is the meeting."""
        canonical = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()
