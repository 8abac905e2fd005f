"""CMIS: the Essex Police, Fire and Crime Panel (committee 127) emulated on 127.0.0.1, polled with the checkpoint of
the poll before. Calendar month pages list the meetings; meeting pages give status and documents."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from pydantic import ValidationError

from monitor.items import CouncilEvent, CouncilReference
from monitor.match.snippets import page_at as page_of
from monitor.sources.base import SourceError
from monitor.sources.cmis import CmisSource, parse_calendar_ids
from monitor.sources.cmis_settings import CmisConfig
from monitor.sources.kinds import SOURCE_TYPES
from tests.test_pdf import make_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "cmis"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # window: 25/09/2026 to 18/12/2026, so September to December
PANEL = "Essex Police, Fire and Crime Panel"
CALENDAR = "/essexcmis5/CalendarofMeetings"


def month_path(month: str) -> str:
    return f"{CALENDAR}/tabid/73/ctl/MeetingCalendarPublicNoJava/mid/410/Date/{month}-01/Default.aspx"


def meeting_path(meeting_id: str, committee_id: str = "127") -> str:
    return (
        f"{CALENDAR}/tabid/73/ctl/ViewMeetingPublic/mid/410/Meeting/{meeting_id}/Committee/{committee_id}"
        "/SelectedTab/Documents/Default.aspx"
    )


class CmisSite:
    """Essex CC's CMIS on a LocalSite. ``after = True``: minutes of meeting 3701 published, meeting 3702 cancelled."""

    def __init__(self, site) -> None:
        self.site = site
        self.after = False
        self.documents = {
            "a3701": make_pdf(["Agenda. 1. Apologies. 2. Police and Crime Plan performance."]),
            "r3701": make_pdf(
                ["Performance report.", "Victim satisfaction.", "Knife crime fell in Southend and Basildon."]
            ),
            "m3701": make_pdf(
                ["Minutes of the Panel.", "The Panel asked for more police officers in Southend town centre."]
            ),
            "a3702": make_pdf(["Agenda. 1. Budget precept proposals."]),
        }
        site.add_handler(f"{CALENDAR}.aspx", self._page("calendar.html"))
        for month in ("2026-09", "2026-10", "2026-11", "2026-12"):
            site.add_handler(month_path(month), self._page(f"month_{month}.html"))
        for meeting_id in ("3701", "3702"):
            site.add_handler(meeting_path(meeting_id), self._page(f"meeting_{meeting_id}.html"))
        site.add_handler("/essexcmis5/Document.ashx", self._document)

    def requested(self) -> list[str]:
        return [request.path for request in self.site.requests]

    def _page(self, name: str):
        def answer(request):
            stem, extension = name.rsplit(".", 1)
            after = FIXTURES / f"{stem}.after.{extension}"
            text = (after if self.after and after.exists() else FIXTURES / name).read_text()
            return 200, {"Content-Type": "text/html; charset=utf-8"}, text.replace("{{BASE}}", self.site.base_url)

        return answer

    def _document(self, request):
        doc_id = dict(parse_qsl(urlsplit(request.path).query))["id"]
        return 200, {"Content-Type": "application/octet-stream"}, self.documents[doc_id]


@pytest.fixture
def essex(site) -> CmisSite:
    return CmisSite(site)


def cmis(site, now: datetime = NOW, **settings) -> CmisSource:
    config = CmisConfig(
        id="essex-pfcp", name=PANEL, type="cmis", url=site.url("essexcmis5"), **{"committees": [127], **settings}
    )
    return CmisSource(config, clock=lambda: now)


def by_key(discovery) -> dict:
    keys = [item.key for item in discovery.items]
    assert len(keys) == len(set(keys)), f"an item came twice: {keys}"
    return {item.key: item for item in discovery.items}


def test_reports_the_documents_of_the_panel_meetings_in_the_window(essex, site, fetcher):
    found = by_key(cmis(site).discover(fetcher, {}))

    assert set(found) == {"doc:a3701", "doc:r3701", "doc:a3702"}
    performance = found["doc:r3701"]
    assert performance.title == "Police and Crime Plan performance report, quarter 2"
    assert performance.url == site.url("essexcmis5/Document.ashx?id=r3701")
    assert page_of(performance.body, performance.body.index("Knife crime fell")) == 3
    assert performance.council == CouncilReference(
        event=CouncilEvent.DOCUMENT_ADDED,
        committee=PANEL,
        meeting_date=date(2026, 10, 22),
        meeting_url=site.url(meeting_path("3701")),
        document_url=performance.url,
    )
    assert performance.published == datetime(2026, 10, 22, 9, 0, tzinfo=UTC)  # 10:00 in London, summer time


def test_reads_one_month_page_per_month_and_only_the_chosen_committees_meetings(essex, site, fetcher):
    cmis(site).discover(fetcher, {})

    asked = essex.requested()
    assert [path for path in asked if "MeetingCalendarPublicNoJava" in path] == [
        month_path(month) for month in ("2026-09", "2026-10", "2026-11", "2026-12")
    ]
    meetings = [path for path in asked if "ViewMeetingPublic" in path]
    # 3700 and 3703 belong to another committee; 3699 (3 September) is before the window.
    assert meetings == [meeting_path("3701"), meeting_path("3702")]


def test_minutes_and_cancellation_between_polls_are_the_only_new_events(essex, site, fetcher):
    first = cmis(site).discover(fetcher, {})
    essex.after = True

    second = cmis(site, NOW + timedelta(hours=6)).discover(fetcher, first.checkpoint.document())
    found = by_key(second)

    assert set(found) == {"doc:m3701", "event:cancelled:3702"}
    minutes = found["doc:m3701"]
    assert minutes.council.event == CouncilEvent.MINUTES_PUBLISHED
    assert page_of(minutes.body, minutes.body.index("more police officers")) == 2
    cancelled = found["event:cancelled:3702"]
    assert cancelled.title == f"{PANEL} meeting of 10 Dec 2026 cancelled"
    assert cancelled.council.event == CouncilEvent.MEETING_CANCELLED

    downloads = sum("Document.ashx" in path for path in essex.requested())
    third = cmis(site, NOW + timedelta(hours=12)).discover(fetcher, second.checkpoint.document())
    assert third.items == ()
    assert sum("Document.ashx" in path for path in essex.requested()) == downloads


def test_a_calendar_page_without_its_ids_is_a_clear_error(essex, site, fetcher):
    site.add(f"{CALENDAR}.aspx", "<html><body><p>Calendar of Meetings</p></body></html>")
    with pytest.raises(
        SourceError, match=r"no calendar page id \(tabid\) and module id \(mid\) found on .*CalendarofMeetings\.aspx"
    ):
        cmis(site).discover(fetcher, {})


def test_calendar_ids_come_from_the_calendar_page_links_not_the_menu():
    ids = parse_calendar_ids((FIXTURES / "calendar.html").read_text(), "CalendarofMeetings")
    assert (ids.tab_id, ids.module_id) == ("73", "410")  # the menu's Home link says tabid 62


def test_a_cmis_source_needs_at_least_one_committee():
    with pytest.raises(ValidationError, match="committees"):
        CmisConfig(id="essex-pfcp", name=PANEL, type="cmis", url="https://cmis.essex.gov.uk/essexcmis5", committees=[])
    assert SOURCE_TYPES["cmis"] is CmisSource
