"""Changes to a council's meetings as Items: the key each is known by, its text, and its council reference.

Keys are made of the council system's own ids (and a content hash where the same thing can change), so reading the
same council another way gives the same keys and a change is reported once.
"""

from __future__ import annotations

from monitor.extract.documents import content_hash
from monitor.items import CouncilEvent, CouncilReference, Item
from monitor.sources.council.dates import london_time
from monitor.sources.council.diff import AgendaChange, Change, DocumentChange, MeetingCancelled
from monitor.sources.council.model import Meeting
from monitor.text import shorten

SUMMARY_LENGTH = 300


def item_of(change: Change, source_id: str) -> Item:
    """The Item that reports ``change`` for the source ``source_id``."""
    if isinstance(change, AgendaChange):
        return _agenda_item(change, source_id)
    if isinstance(change, DocumentChange):
        return _document(change, source_id)
    return _cancellation(change, source_id)


def short_summary(text: str) -> str:
    return shorten(text, SUMMARY_LENGTH)


def _agenda_item(change: AgendaChange, source_id: str) -> Item:
    """An agenda item as published (its text), or its minutes (keyed by their content: changed minutes are new)."""
    meeting, item = change.meeting, change.item
    ids = f"{meeting.meeting_id}:{item.item_id}"
    if change.event == CouncilEvent.AGENDA_PUBLISHED:
        key, kind, text = f"agenda:{ids}", "agenda_item", item.text
    else:
        key, kind, text = f"minutes:{ids}:{content_hash(item.minutes)}", "minutes", item.minutes
    return Item(
        source_id=source_id,
        key=key,
        url=meeting.url,
        title=item.heading,
        kind=kind,
        summary=short_summary(text),
        published=meeting.starts_at,
        body=text or None,
        council=_reference(meeting, change.event, item_number=item.number, item_title=item.title),
    )


def _document(change: DocumentChange, source_id: str) -> Item:
    """A document, keyed by its id when new and by its id and content when changed."""
    meeting, document, text = change.meeting, change.document, change.text
    changed = change.event == CouncilEvent.DOCUMENT_CHANGED
    return Item(
        source_id=source_id,
        key=f"doc:{document.doc_id}:{text.hash}" if changed else f"doc:{document.doc_id}",
        url=document.url,
        title=document.title,
        kind="document",
        summary=short_summary(text.body or ""),
        published=london_time(document.published) if document.published else meeting.starts_at,
        body=text.body,
        body_note=text.note,
        council=_reference(
            meeting,
            change.event,
            item_number=document.item_number,
            item_title=document.item_title,
            document_url=document.url,
        ),
    )


def _cancellation(change: MeetingCancelled, source_id: str) -> Item:
    # The agenda titles go in the body so that a cancelled meeting about, say, knife crime still matches.
    meeting = change.meeting
    agenda = "\n".join(item.heading for item in meeting.items)
    day = f"{meeting.day:%A} {meeting.day.day} {meeting.day:%B %Y}"
    return Item(
        source_id=source_id,
        key=f"event:cancelled:{meeting.meeting_id}",
        url=meeting.url,
        title=f"{meeting.committee} meeting of {meeting.day.day} {meeting.day:%b %Y} cancelled",
        kind="event",
        summary=f"{meeting.committee}: the meeting of {day} is cancelled.",
        published=meeting.starts_at,
        body=agenda or None,
        council=_reference(meeting, change.event),
    )


def _reference(
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
