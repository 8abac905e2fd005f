"""Real ModernGov and CMIS responses (``../shared/corpus``, see its README) through the production parsers.

Skipped when the corpus is not next to the repository. Every file there must have a parser here, and give the facts the
corpus README states: ids, dates, statuses, document counts, titles without hidden ``mgHide``/``mgFileSize`` text.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor.sources.cmis import (
    parse_calendar_ids,
    parse_documents,
    parse_meeting_links,
    parse_meeting_page,
    parse_summary,
)
from monitor.sources.council.model import MeetingRef
from monitor.sources.moderngov.decisions import parse_decision, parse_decision_list
from monitor.sources.moderngov.model import Committee
from monitor.sources.moderngov.web_service import parse_committees, parse_meeting, parse_meetings

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")

MANCHESTER = "https://democracy.manchester.gov.uk/"
KIRKLEES = "https://democracy.kirklees.gov.uk/ieDecisionDetails.aspx?ID=1"
BIRMINGHAM = "https://birmingham.cmis.uk.com/birmingham/Meetings.aspx"
AUDIT = Committee("144", "Audit Committee")


def read(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def check_committees(found):
    committees = parse_committees(read("moderngov/committees.xml"))
    assert [(c.committee_id, c.expired) for c in committees] == [("312", True), ("163", False), ("144", False)]
    assert committees[2].title == "Audit Committee"
    found["committees"] += len(committees)


def check_meetings(found):
    meetings = parse_meetings(read("moderngov/meetings.xml"))
    assert [(m.meeting_id, m.committee_id, m.day, m.status) for m in meetings] == [
        ("4966", "144", date(2026, 1, 13), "Cancelled"),
        ("4967", "144", date(2026, 2, 10), "Confirmed"),
    ]
    found["meetings"] |= {m.meeting_id for m in meetings}


def check_meeting_with_minutes(found):
    meeting = parse_meeting(read("moderngov/meeting_with_minutes.xml"), committee=AUDIT, url=MANCHESTER)
    assert (meeting.meeting_id, meeting.day, meeting.status, meeting.minutes_published) == (
        "4967",
        date(2026, 2, 10),
        "Confirmed",
        True,
    )
    assert [(i.item_id, i.number, i.title) for i in meeting.items] == [
        ("18831", "1", "Minutes"),
        ("18833", "9", "Work Programme"),
    ]
    assert all(item.text and item.minutes for item in meeting.items)
    assert "remainder of 2025/26 municipal year." in meeting.items[1].minutes  # Word's wrapped lines joined
    assert [(d.doc_id, d.url) for d in meeting.documents] == [
        ("60860", f"{MANCHESTER}mgConvert2PDF.aspx?ID=60860"),
        ("60909", f"{MANCHESTER}mgConvert2PDF.aspx?ID=60909"),
    ]
    assert meeting.documents[0].title == "6 - CHAIR APPROVED Minutes Audit Committee 25 Nov 2025"
    found["meetings"].add(meeting.meeting_id)
    found["items"] += len(meeting.items)
    found["documents"] += len(meeting.documents)


def check_meeting_no_minutes(found):
    meeting = parse_meeting(read("moderngov/meeting_no_minutes.xml"), committee=AUDIT, url=MANCHESTER)
    assert (meeting.meeting_id, meeting.cancelled, meeting.minutes_published) == ("4966", True, False)
    assert meeting.items == () and meeting.documents == ()
    found["meetings"].add(meeting.meeting_id)


def check_decisions_list(found):
    rows = parse_decision_list(read("moderngov/modgov_decisions_list.html"))
    assert [(r.decision_id, r.published) for r in rows] == [("13567", date(2025, 4, 1)), ("13149", date(2025, 11, 3))]
    assert rows[1].title == "Admission of the Public"
    assert rows[0].title.endswith("Railway Street, Huddersfield")  # no hidden "ref: 13567"
    found["decisions"] |= {r.decision_id for r in rows}


def check_officer_decisions_list(found):
    rows = parse_decision_list(read("moderngov/modgov_officer_decisions_list.html"))
    assert [(r.decision_id, r.title, r.published) for r in rows] == [
        ("13149", "Admission of the Public", date(2025, 11, 3))
    ]
    found["decisions"] |= {r.decision_id for r in rows}


def check_decision_detail(found):
    decision = parse_decision(read("moderngov/modgov_decision_detail.html"), decision_id="d1", page_url=KIRKLEES)
    assert (decision.title, decision.published, decision.decided) == (
        "Minutes of Previous Meeting",
        date(2015, 10, 22),
        date(2015, 10, 19),
    )
    assert decision.maker == "Policy Committee"  # "Decided at meeting: 19/10/2015 - Policy Committee"
    assert decision.meeting_url == "https://democracy.kirklees.gov.uk/ieListDocuments.aspx?CId=151&MID=4832"
    assert [(d.doc_id, d.title) for d in decision.documents] == [("7942", "polc2 - 23.09.2015")]
    assert "PDF 119 KB" not in decision.text
    found["decisions"].add(decision.decision_id)
    found["documents"] += len(decision.documents)


def check_decision_multi_paragraph(found):
    decision = parse_decision(
        read("moderngov/modgov_decision_multi_paragraph.html"), decision_id="d2", page_url=KIRKLEES
    )
    assert decision.maker == "Service Director - Homes & Neighbourhoods"
    assert (decision.published, decision.decided) == (date(2025, 12, 10), date(2021, 7, 27))
    assert "has been approved to support the regeneration of Berry Brow.\nThis decision was authorised" in decision.text
    found["decisions"].add(decision.decision_id)


def check_decision_no_documents(found):
    decision = parse_decision(
        read("moderngov/modgov_decision_detail_no_documents.html"), decision_id="d3", page_url=KIRKLEES
    )
    assert decision.documents == ()
    assert decision.maker == "Strategic Director for Environment"
    assert "Purpose:\nTo seek approval" in decision.text and "Decision:\nThat approval be given" in decision.text
    found["decisions"].add(decision.decision_id)


def check_cmis_base(found):
    ids = parse_calendar_ids(read("cmis/cmis_base.html"), "Meetings")
    assert (ids.module_id, ids.tab_id) == ("397", None)


def check_cmis_listview(found):
    refs = parse_meeting_links(read("cmis/cmis_listview.html"), page_url=BIRMINGHAM)
    assert [(r.meeting_id, r.committee_id, r.day) for r in refs] == [
        ("15042", "4", date(2026, 7, 9)),
        ("15115", "38", date(2026, 7, 23)),
    ]
    found["meetings"] |= {r.meeting_id for r in refs}


def check_cmis_calendar_month(found):
    page = read("cmis/cmis_calendar_month.html")
    assert parse_calendar_ids(page, "Meetings") == parse_calendar_ids(page, "CalendarofMeetings")  # from a module link
    assert (parse_calendar_ids(page, "Meetings").tab_id, parse_calendar_ids(page, "Meetings").module_id) == (
        "70",
        "397",
    )
    refs = parse_meeting_links(page, page_url=BIRMINGHAM, year=2026)  # day cells say "Monday, 8 June": no year
    assert [(r.meeting_id, r.day) for r in refs] == [
        ("15028", date(2026, 6, 8)),
        ("15029", date(2026, 6, 9)),
        ("15030", date(2026, 6, 9)),
        ("15099", date(2026, 6, 30)),
    ]
    found["meetings"] |= {r.meeting_id for r in refs}


def cmis_meeting(name: str):
    return parse_meeting_page(read(name), ref=MeetingRef("m", "c", date(2026, 1, 1), BIRMINGHAM))


def check_cmis_meeting_summary(found):
    summary = parse_summary(read("cmis/cmis_meeting_summary.html"))
    assert dict(summary.values) == {
        "committee": "Licensing Sub-Committee A",
        "date/time": "3 Aug 2026 - 10:00",
        "status": "Scheduled",
        "venue": "On-line meeting",
    }
    meeting = cmis_meeting("cmis/cmis_meeting_summary.html")
    assert (meeting.committee, meeting.day, meeting.time, meeting.status) == (
        "Licensing Sub-Committee A",
        date(2026, 8, 3),
        "10:00",
        "Scheduled",
    )
    assert [d.title for d in meeting.documents] == ["Minutes of the previous meeting"]
    found["documents"] += len(meeting.documents)


def check_cmis_detail_with_minutes(found):
    meeting = cmis_meeting("cmis/cmis_detail_with_minutes.html")
    assert [(d.doc_id, d.title, d.is_minutes) for d in meeting.documents] == [
        ("abc123", "Final Planning Minutes 16042026", True),
        ("def456", "Final Agenda Reports - 9th July 2026", False),
    ]
    assert meeting.minutes_published
    assert meeting.documents[0].url == "https://birmingham.cmis.uk.com/Birmingham/Document.ashx?id=abc123"
    found["documents"] += len(meeting.documents)


def check_cmis_detail_no_minutes(found):
    documents = parse_documents(read("cmis/cmis_detail_no_minutes.html"), page_url=BIRMINGHAM)
    assert [(d.doc_id, d.title) for d in documents] == [("xyz789", "Agenda Contents")]
    assert not cmis_meeting("cmis/cmis_detail_no_minutes.html").minutes_published
    found["documents"] += len(documents)


CHECKS = {
    "moderngov/committees.xml": check_committees,
    "moderngov/meetings.xml": check_meetings,
    "moderngov/meeting_with_minutes.xml": check_meeting_with_minutes,
    "moderngov/meeting_no_minutes.xml": check_meeting_no_minutes,
    "moderngov/modgov_decisions_list.html": check_decisions_list,
    "moderngov/modgov_officer_decisions_list.html": check_officer_decisions_list,
    "moderngov/modgov_decision_detail.html": check_decision_detail,
    "moderngov/modgov_decision_multi_paragraph.html": check_decision_multi_paragraph,
    "moderngov/modgov_decision_detail_no_documents.html": check_decision_no_documents,
    "cmis/cmis_base.html": check_cmis_base,
    "cmis/cmis_listview.html": check_cmis_listview,
    "cmis/cmis_calendar_month.html": check_cmis_calendar_month,
    "cmis/cmis_meeting_summary.html": check_cmis_meeting_summary,
    "cmis/cmis_detail_with_minutes.html": check_cmis_detail_with_minutes,
    "cmis/cmis_detail_no_minutes.html": check_cmis_detail_no_minutes,
}


def test_every_corpus_file_has_a_check():
    files = {path.relative_to(CORPUS).as_posix() for path in CORPUS.glob("*/*") if path.suffix in (".xml", ".html")}
    assert files == set(CHECKS), "a corpus file was added or removed: give it a check here"


def test_every_corpus_file_parses_to_the_stated_facts(capsys):
    found = {"meetings": set(), "decisions": set(), "committees": 0, "items": 0, "documents": 0}
    for check in CHECKS.values():
        check(found)
    counts = (len(found["meetings"]), found["items"], found["documents"], len(found["decisions"]), found["committees"])
    with capsys.disabled():
        print(
            f"\ncorpus: {counts[0]} meetings, {counts[1]} agenda items, {counts[2]} documents, {counts[3]} decisions, "
            f"{counts[4]} committees from {len(CHECKS)} files"
        )
    assert counts == (8, 2, 7, 5, 3)
