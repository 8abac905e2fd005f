"""Deciding what is new about a council's meetings, without reading anything: pure functions of what was read now (a
snapshot) and what the source remembers (its memory), giving the changes to report and the memory to keep.

The poll (``poll.py``) does the reading: it asks ``meetings_to_read`` which meetings to read, ``documents_to_read``
which documents to download, and hands what it got to ``diff``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from monitor.extract.documents import DocumentText, content_hash
from monitor.items import CouncilEvent
from monitor.sources.council.memory import CouncilMemory, DocumentMemory, MeetingMemory
from monitor.sources.council.model import AgendaItem, DocumentRef, Meeting, MeetingRef

DOCUMENT_TRIES = 3  # looks that may fail to download a document before it is reported without text


@dataclass(frozen=True)
class MeetingCancelled:
    meeting: Meeting
    event: CouncilEvent = CouncilEvent.MEETING_CANCELLED


@dataclass(frozen=True)
class AgendaChange:
    """An agenda item published, or its minutes published or changed."""

    event: CouncilEvent
    meeting: Meeting
    item: AgendaItem


@dataclass(frozen=True)
class DocumentChange:
    """A document added (or minutes published as one) or changed, with its text as read (or why there is none)."""

    event: CouncilEvent
    meeting: Meeting
    document: DocumentRef
    text: DocumentText


Change = MeetingCancelled | AgendaChange | DocumentChange


@dataclass(frozen=True)
class DocumentFailure:
    """Why a document could not be downloaded; ``final`` when trying again cannot help (gone, or a refused link)."""

    reason: str
    final: bool = False


@dataclass(frozen=True)
class Snapshot:
    """A meeting as read now, and what came of downloading the documents ``documents_to_read`` named, by id."""

    meeting: Meeting
    downloads: Mapping[str, DocumentText | DocumentFailure] = field(default_factory=dict)


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]
    memory: CouncilMemory
    notes: tuple[str, ...] = ()  # documents that could not be downloaded, for the poll table


def meetings_to_read(
    listed: Iterable[MeetingRef], memory: CouncilMemory, *, today: date, settle_after: timedelta, committees: set[str]
) -> tuple[list[MeetingRef], CouncilMemory]:
    """Every listed meeting and every remembered one of ``committees`` not yet settled, by date; and the memory
    without the meetings no longer watched."""
    refs = {ref.meeting_id: ref for ref in listed}
    for meeting_id, remembered in memory.meetings.items():
        if remembered.settled(today, settle_after) or remembered.committee_id not in committees:
            memory = memory.forget(meeting_id)
        else:
            refs.setdefault(meeting_id, remembered.ref(meeting_id))
    return sorted(refs.values(), key=lambda ref: (ref.day, ref.meeting_id)), memory


def documents_to_read(meeting: Meeting, memory: CouncilMemory) -> list[DocumentRef]:
    """The documents of ``meeting`` to download: new ones, ones that failed before, and ones whose version moved; none
    when nothing about the meeting changed since the last look."""
    if _unchanged(meeting, memory):
        return []
    return [doc for doc in meeting.documents if _worth_reading(doc, memory.documents.get(doc.doc_id))]


def diff(snapshot: Snapshot, memory: CouncilMemory) -> Diff:
    """What is new about the meeting of ``snapshot`` since ``memory``, and the memory that has it."""
    meeting = snapshot.meeting
    if _unchanged(meeting, memory):
        return Diff((), memory)
    previous = memory.meetings.get(meeting.meeting_id)
    changes: list[Change] = list(_meeting_changes(meeting, previous))
    documents, notes = dict(memory.documents), []
    for document in meeting.documents:
        outcome = snapshot.downloads.get(document.doc_id)
        if outcome is None:
            continue  # not downloaded: the version read before stands
        change, documents[document.doc_id], note = _document_diff(
            document, meeting, outcome, memory.documents.get(document.doc_id)
        )
        changes += [change] if change else []
        notes += [note] if note else []
    meetings = {**memory.meetings, meeting.meeting_id: MeetingMemory.of(meeting, previous)}
    return Diff(tuple(changes), replace(memory, meetings=meetings, documents=documents), tuple(notes))


def _unchanged(meeting: Meeting, memory: CouncilMemory) -> bool:
    remembered = memory.meetings.get(meeting.meeting_id)
    return (
        remembered is not None
        and remembered.fingerprint == meeting.fingerprint()
        and not memory.retrying(meeting.meeting_id)
    )


def _worth_reading(document: DocumentRef, remembered: DocumentMemory | None) -> bool:
    if remembered is None or not remembered.hash:
        return True
    return bool(document.version) and document.version != remembered.version


def _meeting_changes(meeting: Meeting, previous: MeetingMemory | None) -> Iterator[Change]:
    if meeting.cancelled and not (previous and previous.cancelled):
        yield MeetingCancelled(meeting)
    known_items = set(previous.items) if previous else set()
    known_minutes = previous.minutes if previous else {}
    for item in meeting.items:
        if item.item_id not in known_items:
            yield AgendaChange(CouncilEvent.AGENDA_PUBLISHED, meeting, item)
        if item.minutes and known_minutes.get(item.item_id) != content_hash(item.minutes):
            changed = item.item_id in known_minutes
            event = CouncilEvent.MINUTES_CHANGED if changed else CouncilEvent.MINUTES_PUBLISHED
            yield AgendaChange(event, meeting, item)


def _document_diff(
    document: DocumentRef, meeting: Meeting, outcome: DocumentText | DocumentFailure, remembered: DocumentMemory | None
) -> tuple[Change | None, DocumentMemory, str | None]:
    """The change a download brings (if any), the document's memory after it, and a note for the poll table."""
    known_hash = remembered.hash if remembered else ""
    if isinstance(outcome, DocumentText):
        memory = DocumentMemory(document.version, outcome.hash)
        if not known_hash:
            return DocumentChange(_added(document), meeting, document, outcome), memory, None
        if outcome.hash != known_hash:
            return DocumentChange(CouncilEvent.DOCUMENT_CHANGED, meeting, document, outcome), memory, None
        return None, memory, None
    if remembered is not None and remembered.hash:
        return None, remembered, f"document {document.doc_id} changed but was not fetched ({outcome.reason})"
    tries = (remembered.tries if remembered else 0) + 1
    if tries < DOCUMENT_TRIES and not outcome.final:
        note = f"document {document.doc_id} not fetched ({outcome.reason}); will try again next poll"
        return None, DocumentMemory(document.version, "", tries), note
    # Given up: the title alone may still match, so the document is reported without text.
    unread = DocumentText.unread(outcome.reason)
    memory = DocumentMemory(document.version, unread.hash)
    return DocumentChange(_added(document), meeting, document, unread), memory, None


def _added(document: DocumentRef) -> CouncilEvent:
    return CouncilEvent.MINUTES_PUBLISHED if document.is_minutes else CouncilEvent.DOCUMENT_ADDED
