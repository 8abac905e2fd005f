"""One look at the meetings of a council source: read each meeting through the source's reader, download the documents
the diff asks for, and turn what is new into Items, with notes for the poll table and the memory to keep."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.extract.documents import DOCUMENT_MAX_BYTES, DocumentText, document_text
from monitor.fetch import FetchError, LinkRefused
from monitor.items import Item
from monitor.sources.base import SourceError
from monitor.sources.council.dates import london_today
from monitor.sources.council.diff import DocumentFailure, Snapshot, diff, documents_to_read, meetings_to_read
from monitor.sources.council.events import item_of
from monitor.sources.council.memory import CouncilMemory
from monitor.sources.council.model import CouncilSourceConfig, DocumentRef, Meeting, MeetingRef

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

DOCUMENT_TIMEOUT = 120.0  # seconds; self-hosted council sites are slow to send a large report
_GONE = (404, 410)  # a document or meeting that answers this will not come back

ReadMeeting = Callable[[MeetingRef], Meeting]


@dataclass(frozen=True)
class MeetingsLook:
    """What a look at a council's meetings found: the items to report, notes for the poll table, the memory to keep."""

    items: tuple[Item, ...]
    notes: tuple[str, ...]
    memory: CouncilMemory


class CouncilPoll:
    """Reads meetings and documents for one look; every decision about what is new is ``diff.py``'s."""

    def __init__(self, config: CouncilSourceConfig, fetcher: Fetcher, memory: CouncilMemory, now: datetime) -> None:
        self.config = config
        self.fetcher = fetcher
        self.today = london_today(now)
        self.memory = memory
        self.items: list[Item] = []
        self.notes: list[str] = []

    def watch(self, listed: Iterable[MeetingRef], read_meeting: ReadMeeting, committees: set[str]) -> MeetingsLook:
        """Read every listed meeting, and every remembered one of ``committees`` not yet settled, and report changes."""
        refs, self.memory = meetings_to_read(
            listed, self.memory, today=self.today, settle_after=self.config.settle_after, committees=committees
        )
        for ref in refs:
            self._look_at(ref, read_meeting)
        return MeetingsLook(tuple(self.items), tuple(self.notes), self.memory)

    def _look_at(self, ref: MeetingRef, read_meeting: ReadMeeting) -> None:
        try:
            meeting = read_meeting(ref)
        except FetchError as error:
            if error.status in _GONE and ref.meeting_id in self.memory.meetings:
                self.memory = self.memory.forget(ref.meeting_id)
                self.notes.append(f"meeting {ref.meeting_id} is gone ({error.status}); no longer watched")
            else:
                self.notes.append(f"meeting {ref.meeting_id} not read ({error.reason}); will try again next poll")
            return
        except SourceError as error:
            self.notes.append(f"meeting {ref.meeting_id} not understood ({error}); will try again next poll")
            return
        downloads = {document.doc_id: self._download(document) for document in documents_to_read(meeting, self.memory)}
        found = diff(Snapshot(meeting, downloads), self.memory)
        self.memory = found.memory
        self.notes += found.notes
        self.items += [item_of(change, self.config.id) for change in found.changes]

    def _download(self, document: DocumentRef) -> DocumentText | DocumentFailure:
        try:
            response = self.fetcher.get(
                document.url, max_bytes=DOCUMENT_MAX_BYTES, timeout=DOCUMENT_TIMEOUT, found_on=self.config.url
            )
        except FetchError as error:
            return DocumentFailure(error.reason, final=error.status in _GONE or isinstance(error, LinkRefused))
        return document_text(response.content, response.headers.get("content-type", ""), response.url)
