"""Council diffing as pure functions: a meeting as read now (a snapshot) and what the source remembers (its memory)
give the changes to report and the memory to keep. No HTTP here: the poll's reading is tested in test_moderngov.py
and test_cmis.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from monitor.extract.documents import DocumentText, content_hash
from monitor.items import CouncilEvent
from monitor.sources.council.diff import (
    DOCUMENT_TRIES,
    AgendaChange,
    DocumentChange,
    DocumentFailure,
    MeetingCancelled,
    Snapshot,
    diff,
    documents_to_read,
    meetings_to_read,
)
from monitor.sources.council.memory import CouncilMemory, DocumentMemory
from monitor.sources.council.model import AgendaItem, DocumentRef, Meeting, MeetingRef

TODAY = date(2026, 11, 20)
REPORT = DocumentRef("60001", "CSP update report", "https://council.test/d/60001", "7", "CSP update", "04/11/2026")
MINUTES_PDF = DocumentRef("m1", "Minutes", "https://council.test/d/m1", is_minutes=True)
AGENDA = (AgendaItem("40101", "1", "Apologies"), AgendaItem("40107", "7", "CSP update", "Report on the partnership."))
MEETING = Meeting("4800", "140", "Cabinet", date(2026, 11, 12), "7.00 pm", "Confirmed", "https://council.test/m/4800",
                  items=AGENDA, documents=(REPORT,))  # fmt: skip


def text(words: str) -> DocumentText:
    return DocumentText(words, "", content_hash(words))


def events(found) -> list[tuple[CouncilEvent, str]]:
    """Each change as (event, the id of what it is about)."""
    about = {
        AgendaChange: lambda change: change.item.item_id,
        DocumentChange: lambda change: change.document.doc_id,
        MeetingCancelled: lambda change: change.meeting.meeting_id,
    }
    return [(change.event, about[type(change)](change)) for change in found.changes]


def first_look(meeting: Meeting = MEETING, **downloads) -> CouncilMemory:
    return diff(Snapshot(meeting, downloads or {"60001": text("More police officers.")}), CouncilMemory()).memory


def test_a_new_meeting_publishes_its_agenda_and_documents_and_is_remembered():
    memory = CouncilMemory()
    assert documents_to_read(MEETING, memory) == [REPORT]

    found = diff(Snapshot(MEETING, {"60001": text("More police officers.")}), memory)

    assert events(found) == [
        (CouncilEvent.AGENDA_PUBLISHED, "40101"),
        (CouncilEvent.AGENDA_PUBLISHED, "40107"),
        (CouncilEvent.DOCUMENT_ADDED, "60001"),
    ]
    remembered = found.memory.meetings["4800"]
    assert (remembered.items, remembered.documents, remembered.fingerprint) == (
        ("40101", "40107"),
        ("60001",),
        MEETING.fingerprint(),
    )
    assert found.memory.documents == {"60001": DocumentMemory("04/11/2026", content_hash("More police officers."))}
    assert memory == CouncilMemory()  # the memory given is never changed


def test_an_unchanged_meeting_gives_nothing_and_needs_no_download():
    memory = first_look()
    assert documents_to_read(MEETING, memory) == []
    found = diff(Snapshot(MEETING), memory)
    assert found.changes == () and found.memory is memory


def test_minutes_published_then_changed_are_two_events_keyed_by_their_content():
    memory = first_look()
    with_minutes = replace(MEETING, minutes_published=True, items=(AGENDA[0], replace(AGENDA[1], minutes="Noted.")))

    published = diff(Snapshot(with_minutes), memory)
    assert events(published) == [(CouncilEvent.MINUTES_PUBLISHED, "40107")]
    assert published.memory.meetings["4800"].minutes == {"40107": content_hash("Noted.")}

    same_words = replace(with_minutes, time="7.00pm")  # read again, the words unchanged
    assert diff(Snapshot(same_words), published.memory).changes == ()
    corrected = replace(with_minutes, items=(AGENDA[0], replace(AGENDA[1], minutes="Noted, with thanks.")))
    assert events(diff(Snapshot(corrected), published.memory)) == [(CouncilEvent.MINUTES_CHANGED, "40107")]


def test_a_cancellation_is_reported_once_and_an_item_that_drops_off_and_comes_back_is_not_new():
    memory = first_look()
    cancelled = replace(MEETING, status="Cancelled", items=AGENDA[1:])

    found = diff(Snapshot(cancelled), memory)
    assert events(found) == [(CouncilEvent.MEETING_CANCELLED, "4800")]

    back = replace(cancelled, items=AGENDA)
    assert diff(Snapshot(back), found.memory).changes == ()


def test_a_document_whose_version_moves_is_read_again_and_reported_only_when_its_words_changed():
    memory = first_look()
    republished = replace(MEETING, documents=(replace(REPORT, version="17/11/2026"),))
    assert documents_to_read(republished, memory) == list(republished.documents)

    same = diff(Snapshot(republished, {"60001": text("More  police officers!")}), memory)
    assert same.changes == () and same.memory.documents["60001"].version == "17/11/2026"

    changed = diff(Snapshot(republished, {"60001": text("Fewer police officers.")}), memory)
    assert events(changed) == [(CouncilEvent.DOCUMENT_CHANGED, "60001")]


def test_a_minutes_document_publishes_minutes():
    with_minutes = replace(MEETING, documents=(REPORT, MINUTES_PDF))
    found = diff(Snapshot(with_minutes, {"m1": text("Minutes."), "60001": text("Report.")}), CouncilMemory())
    assert events(found)[-2:] == [(CouncilEvent.DOCUMENT_ADDED, "60001"), (CouncilEvent.MINUTES_PUBLISHED, "m1")]


def test_a_document_that_fails_is_tried_again_then_reported_by_its_title():
    busy = DocumentFailure("answered 503 Service Unavailable")
    memory, notes = CouncilMemory(), []
    for _ in range(DOCUMENT_TRIES - 1):
        found = diff(Snapshot(MEETING, {"60001": busy}), memory)
        assert (CouncilEvent.DOCUMENT_ADDED, "60001") not in events(found)
        memory, notes = found.memory, notes + list(found.notes)
        assert documents_to_read(MEETING, memory) == [REPORT]  # unchanged meeting, but a document waits
    assert notes == ["document 60001 not fetched (answered 503 Service Unavailable); will try again next poll"] * 2

    given_up = diff(Snapshot(MEETING, {"60001": busy}), memory)
    [change] = given_up.changes
    assert isinstance(change, DocumentChange) and change.event == CouncilEvent.DOCUMENT_ADDED
    assert (change.text.body, change.text.note) == (None, "document not fetched: answered 503 Service Unavailable")
    assert documents_to_read(MEETING, given_up.memory) == []


def test_a_document_that_is_gone_is_reported_at_once_and_a_known_one_that_fails_keeps_its_memory():
    gone = diff(Snapshot(MEETING, {"60001": DocumentFailure("answered 404 Not Found", final=True)}), CouncilMemory())
    assert (CouncilEvent.DOCUMENT_ADDED, "60001") in events(gone)

    memory = first_look()
    republished = replace(MEETING, documents=(replace(REPORT, version="17/11/2026"),))
    failed = diff(Snapshot(republished, {"60001": DocumentFailure("timed out")}), memory)
    assert failed.changes == () and failed.notes == ("document 60001 changed but was not fetched (timed out)",)
    assert failed.memory.documents["60001"] == memory.documents["60001"]  # so it is read again next time


def test_meetings_to_read_forgets_settled_and_unwatched_meetings_with_their_documents():
    memory = first_look()
    other = replace(MEETING, meeting_id="4900", committee_id="315", day=date(2026, 11, 3), documents=())
    memory = diff(Snapshot(other), memory).memory
    listed = [MeetingRef("4801", "140", date(2026, 12, 10), "https://council.test/m/4801")]

    refs, kept = meetings_to_read(listed, memory, today=TODAY, settle_after=timedelta(weeks=12), committees={"140"})
    assert [ref.meeting_id for ref in refs] == ["4800", "4801"]  # remembered and listed, by date
    assert set(kept.meetings) == {"4800"} and set(kept.documents) == {"60001"}

    months_later = TODAY + timedelta(weeks=25)  # no minutes ever, but twice settle_after old
    refs, kept = meetings_to_read([], memory, today=months_later, settle_after=timedelta(weeks=12), committees={"140"})
    assert refs == [] and kept == CouncilMemory()
