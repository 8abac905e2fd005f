"""What the council meeting sources (ModernGov, CMIS) share: the meeting snapshot both systems are read into, the memory
of what was already reported, and the one diff that turns a changed meeting into events.

Council systems send no ETag or Last-Modified, so change detection is by content: each meeting's snapshot is hashed,
and a meeting whose hash moved is compared with what the checkpoint remembers of it (status, minutes flag, agenda item
ids, the hash of each item's minutes, document ids). Only what is new becomes an Item, under a key made of the council
system's own ids, so reading the same council another way (web service or HTML pages) gives the same keys.

Checkpoint keys: ``meeting:<id>`` (JSON ``MeetingMemory``), ``doc:<id>`` (JSON ``DocumentMemory``); the adapters add
their own (``mode``, ``decision:<id>``...).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import model_validator

from monitor.durations import format_duration
from monitor.extract import one_line
from monitor.extract.documents import DOCUMENT_MAX_BYTES, UNREAD, DocumentText, content_hash, document_text
from monitor.fetch import FetchError, LinkRefused
from monitor.items import CouncilEvent, CouncilReference, Item
from monitor.settings import Duration, StrictModel
from monitor.sources.base import Discovery, SourceConfig, SourceError

if TYPE_CHECKING:
    from monitor.fetch import Fetcher

LONDON = ZoneInfo("Europe/London")

DOCUMENT_TIMEOUT = 120.0  # seconds; self-hosted council sites are slow to send a large report
DOCUMENT_TRIES = 3  # polls that may fail to fetch a document before it is reported without text
_GONE = (404, 410)  # a document or meeting that answers this will not come back

_SUMMARY_LENGTH = 300
_TIME = re.compile(r"\b(\d{1,2})(?:[.:](\d{2}))?\s*([ap])\.?m\b|\b(\d{1,2}):(\d{2})\b|\bnoon\b", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?(?:\s+(\d{4}))?\b")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


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


# --- what a council system says about a meeting ---------------------------------------------------------------------


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
        return datetime.combine(self.day, parse_time(self.time) or time(0), LONDON).astimezone(UTC)

    def fingerprint(self) -> str:
        canonical = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


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
        if month not in _MONTHS or not (stated_year or year):
            continue
        try:
            return date(int(stated_year or year), _MONTHS.index(month) + 1, int(day))
        except ValueError:
            continue
    return None


def _time_or_none(hour: int, minute: int) -> time | None:
    return time(hour, minute) if hour < 24 and minute < 60 else None


def london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LONDON).astimezone(UTC)


def short_summary(text: str) -> str:
    flat = one_line(text)
    if len(flat) <= _SUMMARY_LENGTH:
        return flat
    return flat[:_SUMMARY_LENGTH].rsplit(" ", 1)[0] + "…"


# --- memory (the checkpoint) ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingMemory:
    """What was reported about a meeting: enough to tell what is new next time, and when to stop looking."""

    committee_id: str
    day: date
    url: str
    fingerprint: str
    cancelled: bool
    minutes_published: bool
    items: tuple[str, ...] = ()
    minutes: Mapping[str, str] = field(default_factory=dict)  # agenda item id -> content_hash of its minutes
    documents: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "day": self.day.isoformat(), "minutes": dict(self.minutes)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MeetingMemory:
        data = json.loads(text)
        return cls(
            committee_id=data["committee_id"],
            day=date.fromisoformat(data["day"]),
            url=data["url"],
            fingerprint=data["fingerprint"],
            cancelled=data["cancelled"],
            minutes_published=data["minutes_published"],
            items=tuple(data["items"]),
            minutes=dict(data["minutes"]),
            documents=tuple(data["documents"]),
        )

    @classmethod
    def of(cls, meeting: Meeting, fingerprint: str, previous: MeetingMemory | None) -> MeetingMemory:
        """The memory of a meeting just reported. Ids seen before are kept: an item or document that drops off the
        page for a while is not new when it comes back."""
        return cls(
            committee_id=meeting.committee_id,
            day=meeting.day,
            url=meeting.url,
            fingerprint=fingerprint,
            cancelled=meeting.cancelled,
            minutes_published=meeting.minutes_published,
            items=_union(previous.items if previous else (), (item.item_id for item in meeting.items)),
            minutes={
                **(previous.minutes if previous else {}),
                **{item.item_id: content_hash(item.minutes) for item in meeting.items if item.minutes},
            },
            documents=_union(previous.documents if previous else (), (doc.doc_id for doc in meeting.documents)),
        )

    def ref(self, meeting_id: str) -> MeetingRef:
        return MeetingRef(meeting_id, self.committee_id, self.day, self.url)

    def settled(self, today: date, settle_after: timedelta) -> bool:
        """Done with: minutes out (or cancelled) and older than settle_after; or twice that old with no minutes ever."""
        age = today - self.day
        return (age > settle_after and (self.minutes_published or self.cancelled)) or age > 2 * settle_after


def _union(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))


@dataclass(frozen=True)
class DocumentMemory:
    """A document read (``hash`` set) or still failing to download (``tries``), at the ``version`` the system gave."""

    version: str = ""
    hash: str = ""
    tries: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DocumentMemory:
        return cls(**json.loads(text))


# --- one poll -------------------------------------------------------------------------------------------------------


class CouncilPoll:
    """One look at a council source: reads meetings through the adapter, diffs them with the checkpoint, and collects
    the events (Items), the notes for the poll table and the next checkpoint."""

    def __init__(self, config: CouncilSourceConfig, fetcher: Fetcher, state: Mapping[str, str], now: datetime) -> None:
        self.config = config
        self.fetcher = fetcher
        self.today = now.astimezone(LONDON).date()
        self.now = now
        self.entries: dict[str, str] = dict(state)
        self.items: list[Item] = []
        self.notes: list[str] = []

    @property
    def window(self) -> tuple[date, date]:
        return self.config.window.dates(self.today)

    def in_window(self, day: date) -> bool:
        first, last = self.window
        return first <= day <= last

    def discovery(self) -> Discovery:
        return Discovery(items=tuple(self.items), checkpoint=dict(self.entries), notes=tuple(self.notes))

    # -- meetings

    def watch(
        self, listed: Iterable[MeetingRef], read_meeting: Callable[[MeetingRef], Meeting], committees: set[str]
    ) -> None:
        """Read every listed meeting, and every remembered one of ``committees`` not yet settled, and report changes."""
        refs = {ref.meeting_id: ref for ref in listed}
        for meeting_id, memory in self._remembered():
            if memory.settled(self.today, self.config.settle_after) or memory.committee_id not in committees:
                self._forget(meeting_id, memory)
            else:
                refs.setdefault(meeting_id, memory.ref(meeting_id))
        for ref in sorted(refs.values(), key=lambda ref: (ref.day, ref.meeting_id)):
            self._look_at(ref, read_meeting)

    def _look_at(self, ref: MeetingRef, read_meeting: Callable[[MeetingRef], Meeting]) -> None:
        memory = self._meeting_memory(ref.meeting_id)
        try:
            meeting = read_meeting(ref)
        except FetchError as error:
            if error.status in _GONE and memory is not None:
                self._forget(ref.meeting_id, memory)
                self.notes.append(f"meeting {ref.meeting_id} is gone ({error.status}); no longer watched")
            else:
                self.notes.append(f"meeting {ref.meeting_id} not read ({error.reason}); will try again next poll")
            return
        except SourceError as error:
            self.notes.append(f"meeting {ref.meeting_id} not understood ({error}); will try again next poll")
            return
        fingerprint = meeting.fingerprint()
        if memory is not None and memory.fingerprint == fingerprint and not self._documents_to_retry(memory):
            return
        self._report_changes(meeting, memory)
        self.entries[f"meeting:{meeting.meeting_id}"] = MeetingMemory.of(meeting, fingerprint, memory).to_json()

    def _report_changes(self, meeting: Meeting, memory: MeetingMemory | None) -> None:
        if meeting.cancelled and not (memory and memory.cancelled):
            self.items.append(self._cancellation(meeting))
        known_items = set(memory.items) if memory else set()
        known_minutes = memory.minutes if memory else {}
        for item in meeting.items:
            if item.item_id not in known_items:
                self.items.append(self._agenda_item(meeting, item))
            if item.minutes and known_minutes.get(item.item_id) != content_hash(item.minutes):
                changed = item.item_id in known_minutes
                event = CouncilEvent.MINUTES_CHANGED if changed else CouncilEvent.MINUTES_PUBLISHED
                self.items.append(self._minutes(meeting, item, event))
        for document in meeting.documents:
            self._look_at_document(document, meeting)

    def _remembered(self) -> list[tuple[str, MeetingMemory]]:
        return [
            (key.removeprefix("meeting:"), MeetingMemory.from_json(value))
            for key, value in list(self.entries.items())
            if key.startswith("meeting:")
        ]

    def _meeting_memory(self, meeting_id: str) -> MeetingMemory | None:
        text = self.entries.get(f"meeting:{meeting_id}")
        return MeetingMemory.from_json(text) if text else None

    def _forget(self, meeting_id: str, memory: MeetingMemory) -> None:
        self.entries.pop(f"meeting:{meeting_id}", None)
        for doc_id in memory.documents:
            self.entries.pop(f"doc:{doc_id}", None)

    def _documents_to_retry(self, memory: MeetingMemory) -> bool:
        return any((self._document_memory(doc_id) or DocumentMemory()).tries for doc_id in memory.documents)

    # -- documents

    def _document_memory(self, doc_id: str) -> DocumentMemory | None:
        text = self.entries.get(f"doc:{doc_id}")
        return DocumentMemory.from_json(text) if text else None

    def _look_at_document(self, document: DocumentRef, meeting: Meeting) -> None:
        """Download a document that is new, or whose version changed, and report it when its content is new."""
        memory = self._document_memory(document.doc_id)
        version_moved = bool(document.version) and memory is not None and document.version != memory.version
        if memory is not None and memory.hash and not version_moved:
            return
        try:
            response = self.fetcher.get(
                document.url, max_bytes=DOCUMENT_MAX_BYTES, timeout=DOCUMENT_TIMEOUT, found_on=self.config.url
            )
        except FetchError as error:
            self._document_failed(document, meeting, memory, error)
            return
        read = document_text(response.content, response.headers.get("content-type", ""), response.url)
        self._remember_document(document, read.hash)
        if memory is None or not memory.hash:
            self.items.append(self._document(meeting, document, read, f"doc:{document.doc_id}", _added(document)))
        elif read.hash != memory.hash:
            key = f"doc:{document.doc_id}:{read.hash}"
            self.items.append(self._document(meeting, document, read, key, CouncilEvent.DOCUMENT_CHANGED))

    def _document_failed(
        self, document: DocumentRef, meeting: Meeting, memory: DocumentMemory | None, error: FetchError
    ) -> None:
        tries = (memory.tries if memory else 0) + 1
        if memory is not None and memory.hash:
            self.notes.append(f"document {document.doc_id} changed but was not fetched ({error.reason})")
            return
        if tries < DOCUMENT_TRIES and error.status not in _GONE and not isinstance(error, LinkRefused):
            self.entries[f"doc:{document.doc_id}"] = DocumentMemory(document.version, "", tries).to_json()
            self.notes.append(f"document {document.doc_id} not fetched ({error.reason}); will try again next poll")
            return
        # Given up: the title alone may still match, so the document is reported without text.
        self._remember_document(document, UNREAD)
        unread = DocumentText.unread(error.reason)
        self.items.append(self._document(meeting, document, unread, f"doc:{document.doc_id}", _added(document)))

    def _remember_document(self, document: DocumentRef, content: str) -> None:
        self.entries[f"doc:{document.doc_id}"] = DocumentMemory(document.version, content).to_json()

    # -- items

    def item(self, *, key: str, **fields) -> Item:
        """An Item of this source."""
        return Item(source_id=self.config.id, key=key, **fields)

    def _agenda_item(self, meeting: Meeting, item: AgendaItem) -> Item:
        return self.item(
            key=f"agenda:{meeting.meeting_id}:{item.item_id}",
            url=meeting.url,
            title=item.heading,
            kind="agenda_item",
            summary=short_summary(item.text),
            published=meeting.starts_at,
            body=item.text or None,
            council=meeting_reference(
                meeting, CouncilEvent.AGENDA_PUBLISHED, item_number=item.number, item_title=item.title
            ),
        )

    def _minutes(self, meeting: Meeting, item: AgendaItem, event: CouncilEvent) -> Item:
        return self.item(
            key=f"minutes:{meeting.meeting_id}:{item.item_id}:{content_hash(item.minutes)}",
            url=meeting.url,
            title=item.heading,
            kind="minutes",
            summary=short_summary(item.minutes),
            published=meeting.starts_at,
            body=item.minutes,
            council=meeting_reference(meeting, event, item_number=item.number, item_title=item.title),
        )

    def _document(
        self, meeting: Meeting, document: DocumentRef, read: DocumentText, key: str, event: CouncilEvent
    ) -> Item:
        return self.item(
            key=key,
            url=document.url,
            title=document.title,
            kind="document",
            summary=short_summary(read.body or ""),
            published=london_midnight(document.published) if document.published else meeting.starts_at,
            body=read.body,
            body_note=read.note,
            council=meeting_reference(
                meeting,
                event,
                item_number=document.item_number,
                item_title=document.item_title,
                document_url=document.url,
            ),
        )

    def _cancellation(self, meeting: Meeting) -> Item:
        # The agenda titles go in the body so that a cancelled meeting about, say, knife crime still matches.
        agenda = "\n".join(item.heading for item in meeting.items)
        day = f"{meeting.day:%A} {meeting.day.day} {meeting.day:%B %Y}"
        return self.item(
            key=f"event:cancelled:{meeting.meeting_id}",
            url=meeting.url,
            title=f"{meeting.committee} meeting of {meeting.day.day} {meeting.day:%b %Y} cancelled",
            kind="event",
            summary=f"{meeting.committee}: the meeting of {day} is cancelled.",
            published=meeting.starts_at,
            body=agenda or None,
            council=meeting_reference(meeting, CouncilEvent.MEETING_CANCELLED),
        )


def meeting_reference(
    meeting: Meeting, event: CouncilEvent, *, item_number: str = "", item_title: str = "", document_url: str = ""
) -> CouncilReference:
    """The reference of something that happened at ``meeting``, under an agenda item or in a document."""
    return CouncilReference(
        event=event,
        committee=meeting.committee,
        meeting_date=meeting.day,
        meeting_url=meeting.url,
        item_number=item_number,
        item_title=item_title,
        document_url=document_url,
    )


def _added(document: DocumentRef) -> CouncilEvent:
    return CouncilEvent.MINUTES_PUBLISHED if document.is_minutes else CouncilEvent.DOCUMENT_ADDED


def months(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    month, found = first.replace(day=1), []
    while month <= last:
        found.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return found
