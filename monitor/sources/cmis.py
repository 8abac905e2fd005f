"""CMIS (ASTech, on DotNetNuke) council meeting systems: the meetings of chosen committees and their documents.

The calendar's month view lists the meetings (one slow page per month of the window); each meeting's page gives its
status and its documents (PDF through ``Document.ashx``), read only when new. CMIS publishes minutes as documents, so a
minutes-titled document is reported as minutes published. The ids in the month-view URLs (``tabid``, module ``mid``)
are read from the calendar page named by ``calendar_page``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from monitor.clock import Clock, utc_now
from monitor.extract.html import attribute
from monitor.sources.base import Discovery, Source, SourceError
from monitor.sources.cmis_settings import CmisConfig
from monitor.sources.council.dates import london_today, months, parse_long_date
from monitor.sources.council.memory import CouncilMemory
from monitor.sources.council.model import DocumentRef, Meeting, MeetingRef
from monitor.sources.council.poll import CouncilPoll
from monitor.text import one_line

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

_MODULE_ID = re.compile(r"dnn[$_]ctr(\d+)[$_]MeetingCalendarPublic|/mid/(\d+)/", re.IGNORECASE)
_MEETING_LINK = re.compile(r"/ViewMeetingPublic/mid/\d+/Meeting/(\d+)/Committee/(\d+)", re.IGNORECASE)
_MINUTES_TITLE = re.compile(r"\bminutes\b", re.IGNORECASE)
PAGE_TIMEOUT = 120.0  # seconds; a month of a CMIS calendar can take 40 seconds to render


@dataclass(frozen=True)
class CalendarIds:
    """The DotNetNuke page id and calendar module id that month-view and meeting URLs are built from."""

    tab_id: str | None
    module_id: str | None


@dataclass(frozen=True)
class MeetingSummary:
    """The "Meeting Details" label/value pairs of a meeting page, by label text ("Committee", "Date/Time", "Status")."""

    values: Mapping[str, str]

    def get(self, label: str) -> str:
        return self.values.get(label.lower(), "")


def parse_calendar_ids(html: str | bytes, calendar_page: str) -> CalendarIds:
    """The ids on a calendar page: the module id is in its control names or links; the tab id is in links to the
    calendar page itself or to a view of its module (``/tabid/73/ctl/…``), not in the menu's links to other pages."""
    text = html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html
    module = _MODULE_ID.search(text)
    tab = re.search(rf"/{re.escape(calendar_page)}/tabid/(\d+)/|/tabid/(\d+)/ctl/", text, re.IGNORECASE)
    return CalendarIds(
        tab_id=(tab.group(1) or tab.group(2)) if tab else None,
        module_id=(module.group(1) or module.group(2)) if module else None,
    )


def parse_meeting_links(html: str | bytes, *, page_url: str, year: int | None = None) -> list[MeetingRef]:
    """Meetings linked from a month view (day cells "Monday, 8 June" without a year: ``year`` completes them) or a list
    view (link text "9 Jul 2026 11:00 - Planning Committee")."""
    refs = []
    for link in BeautifulSoup(html, "lxml").find_all("a", href=_MEETING_LINK):
        href = attribute(link, "href")
        ids = _MEETING_LINK.search(href)
        day = parse_long_date(one_line(link.get_text(" "))) or parse_long_date(_day_cell_text(link), year)
        if ids is not None and day is not None:
            meeting_id, committee_id = ids.groups()
            refs.append(MeetingRef(meeting_id, committee_id, day, urljoin(page_url, href.strip())))
    return refs


def _day_cell_text(link: Tag) -> str:
    row = link.find_parent("tr")
    cell = row.find("td", class_="SimpleCalendarDate") if row else None
    return one_line(cell.get_text(" ")) if cell else ""


def parse_summary(html: str | bytes) -> MeetingSummary:
    """Label/value pairs of "Meeting Details". Keyed on the label text: the value's CSS class is not to be trusted
    (Status carries ``Value Venue``), and holders nest, so each label takes only its own holder's value."""
    values = {}
    for holder in BeautifulSoup(html, "lxml").find_all("div", class_="holder"):
        label = holder.find(class_="dnnLabel")
        value = next((d for d in holder.find_all("div", recursive=False) if "Value" in (d.get("class") or [])), None)
        if label is not None and value is not None:
            values[one_line(label.get_text(" ")).rstrip(":").strip().lower()] = one_line(value.get_text(" "))
    return MeetingSummary(values)


def parse_documents(html: str | bytes, *, page_url: str) -> tuple[DocumentRef, ...]:
    """The documents of a meeting page, with minutes-titled ones marked as minutes."""
    documents: dict[str, DocumentRef] = {}
    for item in BeautifulSoup(html, "lxml").find_all("li", class_="DocumentListItem"):
        link = item.find("a", class_="TitleLink") or item.find("a", href=True)
        if link is None or not attribute(link, "href"):
            continue
        url = urljoin(page_url, attribute(link, "href").strip())
        title = one_line(link.get_text(" "))
        doc_id = _document_id(url)
        documents.setdefault(doc_id, DocumentRef(doc_id, title, url, is_minutes=bool(_MINUTES_TITLE.search(title))))
    return tuple(documents.values())


def _document_id(url: str) -> str:
    """CMIS has no document ids of its own: the ``id`` of ``Document.ashx?id=…``, or the whole opaque query string."""
    query = urlsplit(url).query
    return parse_qs(query).get("id", [query or url])[0]


def parse_meeting_page(html: str | bytes, *, ref: MeetingRef) -> Meeting:
    summary = parse_summary(html)
    documents = parse_documents(html, page_url=ref.url)
    if not summary.values and not documents:
        raise SourceError("neither meeting details nor documents on the page; is it a CMIS ViewMeetingPublic page?")
    when = summary.get("date/time")
    time_part = when.split(" - ", 1)[1] if " - " in when else ""
    return Meeting(
        meeting_id=ref.meeting_id,
        committee_id=ref.committee_id,
        committee=summary.get("committee") or f"Committee {ref.committee_id}",
        day=parse_long_date(when) or ref.day,
        time=time_part,
        status=summary.get("status") or "Scheduled",
        url=ref.url,
        minutes_published=any(document.is_minutes for document in documents),
        documents=documents,
    )


class CmisSource(Source[CouncilMemory]):
    """Its checkpoint is the council memory alone: what it reported of each meeting still watched."""

    config_model = CmisConfig
    checkpoint_model = CouncilMemory
    config: CmisConfig

    def __init__(self, config: CmisConfig, *, clock: Clock = utc_now) -> None:
        super().__init__(config, clock=clock)
        self.base = config.url.rstrip("/") + "/"

    def look(self, fetcher: Fetcher, checkpoint: CouncilMemory) -> Discovery:
        now = self.clock()
        ids = self._calendar_ids(fetcher)
        wanted = {str(committee) for committee in self.config.committees}
        first, last = self.config.window.dates(london_today(now))
        listed = [
            ref
            for month in months(first, last)
            for ref in self._month(fetcher, ids, month)
            if ref.committee_id in wanted and first <= ref.day <= last
        ]
        found = CouncilPoll(self.config, fetcher, checkpoint, now).watch(
            listed, lambda ref: parse_meeting_page(self._page(fetcher, ref.url), ref=ref), wanted
        )
        return Discovery(items=found.items, notes=found.notes, checkpoint=found.memory)

    def _calendar_ids(self, fetcher: Fetcher) -> CalendarIds:
        url = urljoin(self.base, f"{self.config.calendar_page}.aspx")
        ids = parse_calendar_ids(self._page(fetcher, url), self.config.calendar_page)
        if ids.tab_id is None or ids.module_id is None:
            named = (("page id (tabid)", ids.tab_id), ("module id (mid)", ids.module_id))
            missing = " and ".join(name for name, value in named if value is None)
            raise SourceError(
                f"no calendar {missing} found on {url}; check url and calendar_page in sources.yaml "
                "(the meetings page is named CalendarofMeetings, Meetings or MeetingsCalendar)"
            )
        return ids

    def _month(self, fetcher: Fetcher, ids: CalendarIds, month: date) -> list[MeetingRef]:
        path = (
            f"{self.config.calendar_page}/tabid/{ids.tab_id}/ctl/MeetingCalendarPublicNoJava/mid/{ids.module_id}"
            f"/Date/{month.isoformat()}/Default.aspx"
        )
        url = urljoin(self.base, path)
        return parse_meeting_links(self._page(fetcher, url), page_url=url, year=month.year)

    def _page(self, fetcher: Fetcher, url: str) -> bytes:
        # meeting links come from the calendar pages: held to the rule for links found on this source
        return fetcher.get(url, timeout=PAGE_TIMEOUT, found_on=self.base).content
