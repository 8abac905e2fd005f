"""ModernGov: a council emulated on 127.0.0.1 (web service XML, HTML pages, documents), polled twice or more with the
checkpoint of the poll before, as the app does. Each poll must report exactly what is new."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from pydantic import ValidationError

from monitor.extract.documents import content_hash
from monitor.items import CouncilEvent, CouncilReference
from monitor.match.snippets import page_at as page_of
from monitor.sources.council.model import MeetingRef
from monitor.sources.kinds import SOURCE_TYPES, build_source
from monitor.sources.moderngov.checkpoint import ReadBy
from monitor.sources.moderngov.model import Committee, ModernGovConfig
from monitor.sources.moderngov.pages import parse_meeting_page
from monitor.sources.moderngov.source import ModernGovSource
from monitor.sources.moderngov.web_service import parse_meeting, parse_meetings
from tests.test_pdf import make_pdf, report

FIXTURES = Path(__file__).parent / "fixtures" / "moderngov"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # window: 25/09/2026 to 18/12/2026
CABINET = Committee("140", "Cabinet")
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# What the HTML pages call each document (documents/s{id}/{file name}).
DOCUMENT_FILES = {
    "60001": "CSP update report.pdf",
    "60002": "Appendix 1 Partnership plan.pdf",
    "60003": "Crime figures October.pdf",
    "60010": "PSPO consultation responses.docx",
    "60011": "PSPO briefing note.htm",
}

FIRST_POLL_KEYS = {
    "agenda:4810:40305",
    "doc:60010",
    "doc:60011",
    "agenda:4800:40101",
    "agenda:4800:40107",
    "doc:60001",
    "doc:60002",
    "agenda:4801:40203",
    "decision:5001",
    "decision:5002",
}


class ModernGovSite:
    """A ModernGov council on a LocalSite. ``after = True`` publishes the next stage (the ``*.after.*`` fixtures):
    minutes of meeting 4800 with a new supplementary document, and meeting 4801 cancelled."""

    def __init__(self, site) -> None:
        self.site = site
        self.after = False
        self.web_service_status = 200
        self.replacements: dict[str, str] = {}
        self.documents: dict[str, tuple[int, str, bytes]] = {
            "60001": (200, "application/octet-stream", report(keyword_page=4)),  # no type and no extension: sniffed
            "60002": (
                200,
                PDF,
                make_pdf(["Partnership plan priorities: anti-social behaviour and violence against women."]),
            ),
            "60003": (200, PDF, make_pdf(["Crime figures, October 2026.", "Knife crime offences fell by a tenth."])),
            "60010": (200, DOCX, b"PK\x03\x04 not really a Word document"),
            "60011": (
                200,
                "text/html; charset=utf-8",
                b"<html><body><p>The order bans street drinking.</p></body></html>",
            ),
        }
        for operation in ("GetCommittees", "GetMeetings", "GetMeeting"):
            site.add_handler(f"/mgWebService.asmx/{operation}", self._web_service)
        pages = {
            "/mgListCommittees.aspx": lambda q: "committees.html",
            "/ieListMeetings.aspx": lambda q: f"meetings_{q['CId']}.html",
            "/ieListDocuments.aspx": lambda q: f"meeting_{q['MId']}.html",
            "/mgDelegatedDecisions.aspx": lambda q: "decisions.html",
            "/ieDecisionDetails.aspx": lambda q: f"decision_{q['ID']}.html",
        }
        for path, name in pages.items():
            site.add_handler(path, self._page(name))
        site.add_handler("/mgConvert2PDF.aspx", lambda request: self._document(_query(request)["ID"]))
        for doc_id, file_name in DOCUMENT_FILES.items():
            site.add_handler(f"/documents/s{doc_id}/{quote(file_name)}", lambda request, d=doc_id: self._document(d))

    def requested(self, path: str) -> list[dict[str, str]]:
        """The query of every request made to ``path``."""
        return [_query(r) for r in self.site.requests if urlsplit(r.path).path == path]

    def fixture(self, name: str) -> bytes:
        stem, extension = name.rsplit(".", 1)
        after = FIXTURES / f"{stem}.after.{extension}"
        text = (after if self.after and after.exists() else FIXTURES / name).read_text()
        for old, new in {"{{BASE}}": self.site.base_url, **self.replacements}.items():
            text = text.replace(old, new)
        return text.encode()

    def _web_service(self, request):
        if self.web_service_status != 200:
            return self.web_service_status, {"Content-Type": "text/html"}, b"<html><body>Access denied</body></html>"
        query, operation = _query(request), urlsplit(request.path).path.rsplit("/", 1)[1]
        name = {
            "GetCommittees": "committees.xml",
            "GetMeetings": f"meetings_{query.get('lCommitteeId')}.xml",
            "GetMeeting": f"meeting_{query.get('lMeetingId')}.xml",
        }[operation]
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, self.fixture(name)

    def _page(self, name_of):
        return lambda request: (
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            self.fixture(name_of(_query(request))),
        )

    def _document(self, doc_id: str):
        status, content_type, body = self.documents[doc_id]
        return status, {"Content-Type": content_type}, body


def _query(request) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.path).query))


@pytest.fixture
def council(site) -> ModernGovSite:
    return ModernGovSite(site)


def moderngov(site, now: datetime = NOW, **settings) -> ModernGovSource:
    config = ModernGovConfig(
        id="southend-council", name="Southend-on-Sea City Council", type="moderngov", url=site.url(""), **settings
    )
    return ModernGovSource(config, clock=lambda: now)


def by_key(discovery) -> dict:
    keys = [item.key for item in discovery.items]
    assert len(keys) == len(set(keys)), f"an item came twice: {keys}"
    return {item.key: item for item in discovery.items}


# --- acceptance 1: the web service -----------------------------------------------------------------------------------


def test_web_service_reports_agenda_items_documents_and_decisions_once(council, site, fetcher):
    found = by_key(moderngov(site).discover(fetcher, {}))

    assert set(found) == FIRST_POLL_KEYS
    report_item = found["doc:60001"]
    assert report_item.title == "Community Safety Partnership update report"
    assert report_item.url == site.url("mgConvert2PDF.aspx?ID=60001")
    assert page_of(report_item.body, report_item.body.index("more police officers in the town centre")) == 4
    meeting_url = site.url("ieListDocuments.aspx?CId=140&MId=4800")
    assert report_item.council == CouncilReference(
        event=CouncilEvent.DOCUMENT_ADDED,
        committee="Cabinet",
        meeting_date=date(2026, 11, 12),
        meeting_url=meeting_url,
        item_number="7",
        item_title="Community Safety Partnership update",
        document_url=report_item.url,
    )
    agenda = found["agenda:4800:40107"]
    assert (agenda.title, agenda.kind, agenda.url) == (
        "Item 7 Community Safety Partnership update",
        "agenda_item",
        meeting_url,
    )
    assert (
        agenda.body
        == "Report of the Executive Director (Neighbourhoods and Environment) on the Community Safety Partnership."
    )
    assert agenda.published == datetime(2026, 11, 12, 19, 0, tzinfo=UTC)  # 7.00 pm in London, GMT in November
    assert agenda.council.event == CouncilEvent.AGENDA_PUBLISHED
    assert (agenda.council.item_number, agenda.council.document_url) == ("7", "")
    word = found["doc:60010"]
    assert (word.title, word.body, word.body_note) == (
        "PSPO consultation responses",
        None,
        "Word document not extracted",
    )
    assert found["doc:60011"].body == "The order bans street drinking."
    decision = found["decision:5001"]
    assert decision.title == "Town centre CCTV upgrade"
    assert "anti-social behaviour and shoplifting" in decision.body
    assert decision.council == CouncilReference(
        event=CouncilEvent.DECISION_PUBLISHED,
        decision_maker="Cabinet Member for Community Safety",
        decision_date=date(2026, 11, 4),
    )  # a delegated decision: no committee, no meeting
    assert decision.published == datetime(2026, 11, 5, tzinfo=UTC)
    at_meeting = found["decision:5002"].council
    assert (at_meeting.committee, at_meeting.decision_maker) == ("Cabinet", "Cabinet")
    assert at_meeting.meeting_url == site.url("ieListDocuments.aspx?CId=140&MID=4800")


def test_web_service_is_asked_with_every_parameter_and_dd_mm_yyyy_dates(council, site, fetcher):
    moderngov(site).discover(fetcher, {})

    assert council.requested("/mgWebService.asmx/GetCommittees") == [{"lDays": "0", "lDummy": "0"}]
    # The expired working party (98) is not watched; the dates are the window around 20/11/2026.
    assert council.requested("/mgWebService.asmx/GetMeetings") == [
        {"lCommitteeId": committee, "sFromDate": "25/09/2026", "sToDate": "18/12/2026"} for committee in ("140", "315")
    ]
    # Meeting 4700 (January) came back from GetMeetings anyway and is dropped here; 60099 is restricted.
    assert sorted(q["lMeetingId"] for q in council.requested("/mgWebService.asmx/GetMeeting")) == [
        "4800",
        "4801",
        "4810",
    ]
    assert "60099" not in [q["ID"] for q in council.requested("/mgConvert2PDF.aspx")]
    assert council.requested("/mgDelegatedDecisions.aspx")[0]["DR"] == "25/09/2026-20/11/2026"


def test_second_poll_of_an_unchanged_council_reports_nothing_and_downloads_no_document(council, site, fetcher):
    source = moderngov(site)
    first = source.discover(fetcher, {})
    documents_fetched = len(council.requested("/mgConvert2PDF.aspx"))
    decisions_read = len(council.requested("/ieDecisionDetails.aspx"))

    second = moderngov(site, NOW + timedelta(hours=2)).discover(fetcher, first.checkpoint.document())

    assert second.items == ()
    assert len(council.requested("/mgConvert2PDF.aspx")) == documents_fetched
    assert len(council.requested("/ieDecisionDetails.aspx")) == decisions_read
    assert second.notes == ()


# --- acceptance 3: change events -------------------------------------------------------------------------------------


def test_publishing_minutes_adding_a_document_and_cancelling_yield_exactly_those_events(council, site, fetcher):
    first = moderngov(site).discover(fetcher, {})
    council.after = True

    second = moderngov(site, NOW + timedelta(hours=2)).discover(fetcher, first.checkpoint.document())
    found = by_key(second)

    minutes_hash = content_hash(
        "Cabinet considered a report of the Executive Director (Neighbourhoods and Environment) on the work of the "
        "Community Safety Partnership since April. Members welcomed the fall in reported burglary and asked for more "
        "police officers in the town centre during the evening economy. Resolved: That the update be noted."
    )
    apologies = next(key for key in found if key.startswith("minutes:4800:40101:"))
    assert set(found) == {f"minutes:4800:40107:{minutes_hash}", apologies, "doc:60003", "event:cancelled:4801"}
    minutes = found[f"minutes:4800:40107:{minutes_hash}"]
    assert minutes.kind == "minutes"
    assert "asked for more police officers in the town centre during the evening economy." in minutes.body
    assert "\xa0" not in minutes.body and "&nbsp;" not in minutes.body
    assert (minutes.council.event, minutes.council.item_number, minutes.council.committee) == (
        CouncilEvent.MINUTES_PUBLISHED,
        "7",
        "Cabinet",
    )
    added = found["doc:60003"]
    assert added.council.event == CouncilEvent.DOCUMENT_ADDED
    assert page_of(added.body, added.body.index("Knife crime")) == 2
    assert added.published == datetime(2026, 11, 16, tzinfo=UTC)  # its publication date
    cancelled = found["event:cancelled:4801"]
    assert (cancelled.kind, cancelled.title) == ("event", "Cabinet meeting of 10 Dec 2026 cancelled")
    assert cancelled.council.event == CouncilEvent.MEETING_CANCELLED
    assert cancelled.body == "Item 3 Knife crime action plan"  # so a cancelled meeting about knife crime still matches

    third = moderngov(site, NOW + timedelta(hours=4)).discover(fetcher, second.checkpoint.document())
    assert third.items == ()


def test_a_changed_document_is_reported_again_under_a_new_key_only_when_its_text_changed(council, site, fetcher):
    first = moderngov(site).discover(fetcher, {})
    council.documents["60001"] = (200, PDF, report(keyword_page=2))
    council.replacements["<publicationdate>04/11/2026</publicationdate>"] = (
        "<publicationdate>17/11/2026</publicationdate>"
    )

    second = moderngov(site, NOW + timedelta(hours=2)).discover(fetcher, first.checkpoint.document())

    [(key, changed)] = by_key(second).items()
    assert key.startswith("doc:60001:") and len(key) == len("doc:60001:") + 8
    assert changed.council.event == CouncilEvent.DOCUMENT_CHANGED
    assert page_of(changed.body, changed.body.index("more police officers")) == 2

    # Republished with the same text: downloaded again (its date moved) but not reported.
    council.replacements["<publicationdate>04/11/2026</publicationdate>"] = (
        "<publicationdate>18/11/2026</publicationdate>"
    )
    downloads = len(council.requested("/mgConvert2PDF.aspx"))
    third = moderngov(site, NOW + timedelta(hours=4)).discover(fetcher, second.checkpoint.document())
    assert third.items == ()
    assert len(council.requested("/mgConvert2PDF.aspx")) == downloads + 1


def test_a_meeting_settles_after_its_minutes_and_is_no_longer_read(council, site, fetcher):
    council.after = True
    first = moderngov(site).discover(fetcher, {})
    assert "4800" in first.checkpoint.council.meetings and "60001" in first.checkpoint.council.documents

    later = NOW + timedelta(weeks=13)  # meeting 4800 (12 Nov, minutes out) is now 13 weeks old
    before = len(council.requested("/mgWebService.asmx/GetMeeting"))
    settled = moderngov(site, later).discover(fetcher, first.checkpoint.document())

    asked = [q["lMeetingId"] for q in council.requested("/mgWebService.asmx/GetMeeting")[before:]]
    assert "4800" not in asked
    assert "4810" in asked  # older than the window but without minutes: still watched for them
    assert "4800" not in settled.checkpoint.council.meetings and "60001" not in settled.checkpoint.council.documents
    assert settled.items == ()


# --- documents that cannot be read -----------------------------------------------------------------------------------


def test_encrypted_and_unfetchable_documents_are_reported_or_retried_without_failing_the_poll(council, site, fetcher):
    council.documents["60002"] = (200, PDF, make_pdf(["exempt"], user_password="secret"))
    council.documents["60001"] = (503, "text/plain", b"busy")
    council.documents["60011"] = (404, "text/plain", b"gone")

    first = moderngov(site).discover(fetcher, {})
    found = by_key(first)

    encrypted = found["doc:60002"]
    assert encrypted.body is None and "encrypted" in encrypted.body_note
    assert "doc:60001" not in found  # a passing failure: tried again next poll
    assert any(note.startswith("document 60001 not fetched (answered 503") for note in first.notes)
    gone = found["doc:60011"]  # will not come back: reported now, by its title
    assert gone.body is None and gone.body_note.startswith("document not fetched: answered 404")

    council.documents["60001"] = (200, PDF, report(keyword_page=4))
    second = by_key(moderngov(site, NOW + timedelta(hours=2)).discover(fetcher, first.checkpoint.document()))
    assert set(second) == {"doc:60001"}
    assert second["doc:60001"].council.event == CouncilEvent.DOCUMENT_ADDED


# --- acceptance 2: the HTML pages when the web service is blocked ---------------------------------------------------


def test_blocked_web_service_falls_back_to_html_with_the_same_keys(council, site, fetcher):
    council.web_service_status = 403

    discovery = moderngov(site).discover(fetcher, {})
    found = by_key(discovery)

    assert set(found) == FIRST_POLL_KEYS
    assert discovery.notes == ("web service blocked (403); read the HTML pages instead",)
    assert discovery.checkpoint.reading.by == ReadBy.PAGES
    report_item = found["doc:60001"]
    assert page_of(report_item.body, report_item.body.index("more police officers in the town centre")) == 4
    assert report_item.title == "Community Safety Partnership update report"  # without the "PDF 312 KB" size
    assert found["agenda:4800:40107"].title == "Item 7 Community Safety Partnership update"
    assert council.requested("/ieListMeetings.aspx") == [{"CId": "140", "Year": "2026"}, {"CId": "315", "Year": "2026"}]


def test_status_says_how_the_council_is_being_read(council, site, monitor, tmp_path):
    council.web_service_status = 403
    config = tmp_path / "config"
    config.mkdir()
    (config / "sources.yaml").write_text(
        f"sources:\n  - {{id: southend-council, name: Southend council, type: moderngov, url: '{site.url('')}'}}\n"
    )
    (config / "keywords.yaml").write_text("topics:\n  - {id: knife-crime, name: Knife crime, any: [knife crime]}\n")

    assert monitor("poll", config=config).exit_code == 0
    status = monitor("status", config=config).output

    assert "read by" in status and "HTML pages since" in status and "blocked (403)" in status, (
        status
    )  # rich wraps the cell


def test_both_ways_of_reading_report_the_same_events(council, site, fetcher):
    web_service_first = moderngov(site).discover(fetcher, {})
    council.after = True
    web_service_second = moderngov(site, NOW + timedelta(hours=2)).discover(
        fetcher, web_service_first.checkpoint.document()
    )

    council.after, council.web_service_status = False, 403
    html_first = moderngov(site).discover(fetcher, {})
    council.after = True
    html_second = moderngov(site, NOW + timedelta(hours=2)).discover(fetcher, html_first.checkpoint.document())

    assert set(by_key(html_first)) == set(by_key(web_service_first))
    assert set(by_key(html_second)) == set(by_key(web_service_second))


def test_switching_between_web_service_and_html_reports_nothing_twice(council, site, fetcher):
    first = moderngov(site).discover(fetcher, {})
    council.after, council.web_service_status = True, 403
    second = moderngov(site, NOW + timedelta(hours=2)).discover(fetcher, first.checkpoint.document())
    assert {item.key.split(":")[0] for item in second.items} == {"minutes", "doc", "event"}

    # Still blocked, and within the day: the web service is not asked again.
    probes = len(council.requested("/mgWebService.asmx/GetCommittees"))
    third = moderngov(site, NOW + timedelta(hours=4)).discover(fetcher, second.checkpoint.document())
    assert len(council.requested("/mgWebService.asmx/GetCommittees")) == probes
    assert third.items == () and third.notes == ("web service blocked (403); read the HTML pages instead",)

    # A day later the web service answers again: back to it, and nothing is new.
    council.web_service_status = 200
    fourth = moderngov(site, NOW + timedelta(hours=30)).discover(fetcher, third.checkpoint.document())
    assert fourth.items == () and fourth.notes == ()
    assert fourth.checkpoint.reading.by == ReadBy.WEB_SERVICE


def test_a_web_service_answering_html_counts_as_switched_off(council, site, fetcher):
    site.add_handler(
        "/mgWebService.asmx/GetCommittees",
        lambda request: (200, {"Content-Type": "text/html"}, b"<html>Sign in</html>"),
    )
    discovery = moderngov(site).discover(fetcher, {})
    assert discovery.notes == ("web service answered with something other than its XML; read the HTML pages instead",)
    assert set(by_key(discovery)) == FIRST_POLL_KEYS


# --- configuration ----------------------------------------------------------------------------------------------------


def test_committees_are_chosen_by_id_or_exact_title(council, site, fetcher):
    discovery = moderngov(
        site, committees=["Place Scrutiny Committee", "Licensing Committee"], decisions=False
    ).discover(fetcher, {})
    assert set(by_key(discovery)) == {"agenda:4810:40305", "doc:60010", "doc:60011"}
    assert discovery.notes == (
        f"no committee titled 'Licensing Committee' at {site.url('')}; check committees: in sources.yaml",
    )
    assert council.requested("/mgDelegatedDecisions.aspx") == []


def test_a_window_reaching_past_settling_is_a_configuration_error():
    with pytest.raises(ValidationError, match=r"window.back \(16w\) is longer than settle_after \(12w\)"):
        ModernGovConfig(
            id="x", name="X", type="moderngov", url="https://democracy.example.gov.uk", window={"back": "16w"}
        )


def test_the_source_registers_under_its_type_and_builds_from_config_alone():
    config = ModernGovConfig(
        id="southend-council", name="Southend", type="moderngov", url="https://democracy.example.gov.uk"
    )
    assert SOURCE_TYPES["moderngov"] is ModernGovSource
    assert isinstance(build_source(config), ModernGovSource)


# --- parsing ----------------------------------------------------------------------------------------------------------


def test_counts_with_leading_spaces_and_empty_elements_parse():
    meetings = parse_meetings((FIXTURES / "meetings_140.xml").read_bytes())
    assert [(m.meeting_id, m.committee_id, m.day.isoformat(), m.status) for m in meetings] == [
        ("4700", "140", "2026-01-15", "Confirmed"),
        ("4800", "140", "2026-11-12", "Confirmed"),
        ("4801", "140", "2026-12-10", "Confirmed"),
    ]


def test_xml_and_html_readings_of_a_meeting_agree():
    url = "https://democracy.example.gov.uk/ieListDocuments.aspx?CId=140&MId=4800"
    from_xml = parse_meeting((FIXTURES / "meeting_4800.after.xml").read_bytes(), committee=CABINET, url=url)
    ref = MeetingRef("4800", "140", from_xml.day, url)
    from_html = parse_meeting_page((FIXTURES / "meeting_4800.after.html").read_bytes(), ref=ref, committee=CABINET)

    assert from_html.items == from_xml.items
    assert [d.doc_id for d in from_html.documents] == [d.doc_id for d in from_xml.documents]
    assert (from_html.day, from_html.time, from_html.minutes_published) == (from_xml.day, from_xml.time, True)
    assert from_html.documents[0].url == "https://democracy.example.gov.uk/documents/s60001/CSP%20update%20report.pdf"
