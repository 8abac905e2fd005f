"""ModernGov's ordinary HTML pages, read where the web service is switched off or blocked: the committee list
(``mgListCommittees``), each committee's meetings by year (``ieListMeetings``) and each meeting's page
(``ieListDocuments``: agenda, minutes once published, documents).

ModernGov wraps its pages in the council's own site template, so only the ModernGov part of a page is read, without
the hidden extras it puts in links (``mgHide`` "ref: 123", ``mgFileSize`` "PDF 119 KB").
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from monitor.extract.html import attribute, fragment_text
from monitor.sources.base import SourceError
from monitor.sources.council.dates import parse_long_date
from monitor.sources.council.model import AgendaItem, DocumentRef, Meeting, MeetingRef
from monitor.sources.moderngov.model import DOCUMENT_ID, PAGE_TIMEOUT, Committee, document_id, meeting_page
from monitor.text import one_line

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

_AGENDA_ITEM_ID = re.compile(r"mgAi\.aspx\?(?:[^#]*&)?ID=(\d+)", re.IGNORECASE)
_COMMITTEE_ID = re.compile(
    r"(?:mgCommitteeDetails\.aspx\?(?:[^#]*&)?ID|ieListMeetings\.aspx\?(?:[^#]*&)?C(?:ommittee)?Id)=(\d+)",
    re.IGNORECASE,
)
_MEETING_LINK = re.compile(r"ieListDocuments\.aspx\?(?:[^#]*&)?M(?:eeting)?Id=(\d+)", re.IGNORECASE)
_HEADING_TIME = re.compile(r"\b\d{1,2}(?:[.:]\d{2})?\s*[ap]\.?m\b", re.IGNORECASE)


class HtmlPages:
    """Reads a ModernGov site through its ordinary pages."""

    def __init__(self, fetcher: Fetcher, base: str) -> None:
        self.fetcher, self.base = fetcher, base

    def committees(self) -> list[Committee]:
        return parse_committee_list(self._page("mgListCommittees.aspx?bcr=1"))

    def meetings(self, committee: Committee, first: date, last: date) -> list[MeetingRef]:
        refs = []
        for year in _listing_years(first, last):
            html = self._page(f"ieListMeetings.aspx?CId={committee.committee_id}&Year={year}")
            refs += parse_meeting_list(html, committee_id=committee.committee_id, page_url=self.base)
        return refs

    def meeting(self, ref: MeetingRef, committee: Committee) -> Meeting:
        return parse_meeting_page(self._page(ref.url), ref=ref, committee=committee)

    def _page(self, path: str) -> bytes:
        # ``path`` may be a meeting link read from a listing page: held to the rule for links found on this source
        return self.fetcher.get(urljoin(self.base, path), timeout=PAGE_TIMEOUT, found_on=self.base).content


def _listing_years(first: date, last: date) -> list[int]:
    """The ``Year=`` values that cover a date range, whether an install means the calendar year or the municipal year
    (May to April)."""
    municipal = {day.year if day.month >= 5 else day.year - 1 for day in (first, last)}
    return sorted(set(range(first.year, last.year + 1)) | set(range(min(municipal), max(municipal) + 1)))


# --- what every ModernGov page shares (decision pages too) ----------------------------------------------------------


def page_soup(html: str | bytes) -> BeautifulSoup:
    """A ModernGov page without its hidden extras: ``mgHide`` "ref: 123" in list links, ``mgFileSize`` "PDF 119 KB"."""
    soup = BeautifulSoup(html, "lxml")
    for extra in soup.find_all(class_=("mgHide", "mgFileSize")):
        extra.decompose()
    return soup


def link_text(link: Tag) -> str:
    return one_line(link.get_text(" "))


def link_target(page_url: str, link: Tag) -> str:
    """The address a link leads to; generated-pack links hold line breaks, which browsers drop."""
    return urljoin(page_url, re.sub(r"[\r\n]+", "", attribute(link, "href").strip()))


def linked_id(pattern: re.Pattern[str], link: Tag) -> str | None:
    """The id ``pattern``'s first group finds in the link's target."""
    found = pattern.search(attribute(link, "href"))
    return found.group(1) if found else None


def _content(soup: BeautifulSoup) -> Tag:
    """The ModernGov part of a page: the council's own site template around it names other things."""
    return soup.find(id="modgov") or soup.find(class_="mgContent") or soup


# --- the pages ------------------------------------------------------------------------------------------------------


def parse_committee_list(html: str | bytes) -> list[Committee]:
    """``mgListCommittees.aspx``: every committee linked, in page order."""
    found: dict[str, Committee] = {}
    for link in _content(page_soup(html)).find_all("a", href=_COMMITTEE_ID):
        committee_id = linked_id(_COMMITTEE_ID, link)
        if committee_id:
            found.setdefault(committee_id, Committee(committee_id, link_text(link)))
    return list(found.values())


def parse_meeting_list(html: str | bytes, *, committee_id: str, page_url: str) -> list[MeetingRef]:
    """``ieListMeetings.aspx``: links to meeting pages, their text saying when ("12 Nov 2026 6.30 pm", "CANCELLED")."""
    refs = []
    for link in _content(page_soup(html)).find_all("a", href=_MEETING_LINK):
        text = link_text(link)
        day, meeting_id = parse_long_date(text), linked_id(_MEETING_LINK, link)
        if day is None or meeting_id is None:
            continue
        status = "Cancelled" if "cancel" in text.lower() else ""
        refs.append(MeetingRef(meeting_id, committee_id, day, meeting_page(page_url, committee_id, meeting_id), status))
    return refs


def parse_meeting_page(html: str | bytes, *, ref: MeetingRef, committee: Committee) -> Meeting:
    """``ieListDocuments.aspx``: the agenda, each item's text, its minutes once published, and its documents."""
    content = _content(page_soup(html))
    headings = " ".join(one_line(h.get_text(" ")) for h in content.find_all(["h1", "h2"]))
    if not headings:
        raise SourceError("no meeting heading on the page; is this a ModernGov ieListDocuments page?")
    items: list[AgendaItem] = []
    documents: list[DocumentRef] = []
    for row in content.select("table.mgItemTable tr"):
        item = _agenda_row(row)
        if item is not None:
            items.append(item)
            documents += _row_documents(row, item, ref.url)
    heading_time = _HEADING_TIME.search(headings)
    cancelled = "cancel" in headings.lower() or "cancel" in ref.status.lower()
    return Meeting(
        meeting_id=ref.meeting_id,
        committee_id=committee.committee_id,
        committee=committee.title,
        day=parse_long_date(headings) or ref.day,
        time=heading_time.group(0) if heading_time else "",
        status="Cancelled" if cancelled else "Confirmed",
        url=ref.url,
        minutes_published=re.search(r"\bminutes\b", _agenda_heading(content), re.IGNORECASE) is not None,
        items=tuple(items),
        documents=tuple(documents),
    )


def _agenda_heading(content: Tag) -> str:
    """ "Agenda", "Agenda and draft minutes", "Agenda and minutes": the page title says whether minutes are out."""
    for heading in content.find_all(["h1", "h2"]):
        text = one_line(heading.get_text(" "))
        if text.lower().startswith("agenda"):
            return text
    return ""


def _agenda_row(row: Tag) -> AgendaItem | None:
    cells = row.find_all("td", recursive=False)
    if len(cells) < 2:
        return None
    body = cells[-1]
    title_link = body.find("a", href=_AGENDA_ITEM_ID)
    title_block = title_link or body.find(class_="mgAiTitleTxt")
    if title_block is None:
        return None
    number = one_line(cells[0].get_text(" ")).rstrip(".")
    # An item page link gives the id the web service uses; without one the number stands in (keys then differ by mode).
    item_id = (linked_id(_AGENDA_ITEM_ID, title_link) if title_link else None) or f"n{number}"
    sections: dict[str, list[str]] = {"agenda": [], "minutes": []}
    section = "agenda"
    for element in body.find_all(True, recursive=False):
        classes = attribute(element, "class").split()
        if "mgSubItemTitleTxt" in classes:
            section = "minutes" if "minute" in element.get_text().lower() else "other"
        elif "mgWordPara" in classes and section in sections:
            sections[section].append(fragment_text(element.decode_contents()))
    agenda, minutes = "\n".join(sections["agenda"]), "\n".join(sections["minutes"])
    return AgendaItem(item_id, number, link_text(title_block), agenda, minutes)


def _row_documents(row: Tag, item: AgendaItem, page_url: str) -> list[DocumentRef]:
    documents: dict[str, DocumentRef] = {}
    for link in row.find_all("a", href=DOCUMENT_ID):
        doc_id = document_id(attribute(link, "href"))
        if doc_id:
            url = link_target(page_url, link)
            documents.setdefault(doc_id, DocumentRef(doc_id, link_text(link), url, item.number, item.title))
    return list(documents.values())
