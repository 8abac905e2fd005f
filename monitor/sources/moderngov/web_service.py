"""ModernGov's web service (``mgWebService.asmx`` over plain GET): committees, the meetings in a date range, and each
meeting with its agenda items, their minutes once published, and their documents.

Answers are XML with lower-case element names; values carry stray spaces and newlines, booleans are "True"/"False",
HTML comes escaped inside elements, and some installs escape titles twice.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from monitor.extract.html import fragment_text
from monitor.sources.base import SourceError
from monitor.sources.council.model import AgendaItem, DocumentRef, Meeting, MeetingRef
from monitor.sources.moderngov.model import (
    PAGE_TIMEOUT,
    Committee,
    meeting_page,
    parse_uk_date,
    uk_date,
    uk_date_or_none,
)
from monitor.text import one_line, without_bom

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


@dataclass(frozen=True)
class ListedMeeting:
    """A row of ``GetMeetings``."""

    meeting_id: str
    committee_id: str
    day: date
    status: str


class WebService:
    """Reads a ModernGov site through its web service."""

    def __init__(self, fetcher: Fetcher, base: str) -> None:
        self.fetcher, self.base = fetcher, base

    def committees(self) -> list[Committee]:
        # Installs differ in the dummy parameter GetCommittees wants; each ignores the one it does not know.
        return parse_committees(self._call("GetCommittees", lDays=0, lDummy=0))

    def meetings(self, committee: Committee, first: date, last: date) -> list[MeetingRef]:
        committee_id = committee.committee_id
        data = self._call("GetMeetings", lCommitteeId=committee_id, sFromDate=uk_date(first), sToDate=uk_date(last))
        return [
            MeetingRef(m.meeting_id, committee_id, m.day, meeting_page(self.base, committee_id, m.meeting_id), m.status)
            for m in parse_meetings(data)
            if m.committee_id == committee_id
        ]

    def meeting(self, ref: MeetingRef, committee: Committee) -> Meeting:
        return parse_meeting(self._call("GetMeeting", lMeetingId=ref.meeting_id), committee=committee, url=ref.url)

    def _call(self, operation: str, **parameters: object) -> bytes:
        query = urlencode(parameters, safe="/")  # dd/mm/yyyy as ModernGov writes it
        url = urljoin(self.base, f"mgWebService.asmx/{operation}?{query}")
        return self.fetcher.get(url, timeout=PAGE_TIMEOUT).content


def parse_committees(data: bytes) -> list[Committee]:
    return [
        Committee(
            committee_id=_child(element, "committeeid"),
            title=_child(element, "committeetitle"),
            expired=_flag(element, "committeeexpired"),
            deleted=_flag(element, "committeedeleted"),
        )
        for element in _xml(data, "committees").iter("committee")
    ]


def parse_meetings(data: bytes) -> list[ListedMeeting]:
    root = _xml(data, "getmeetings")
    return [
        ListedMeeting(
            meeting_id=_child(meeting, "meetingid"),
            committee_id=_child(committee, "committeeid"),
            day=parse_uk_date(_child(meeting, "meetingdate")),
            status=_child(meeting, "meetingstatus"),
        )
        for committee in root.iter("committee")
        for meeting in committee.iter("meeting")
    ]


def parse_meeting(data: bytes, *, committee: Committee, url: str) -> Meeting:
    """A ``GetMeeting`` answer; ``url`` is the meeting's page."""
    root = _xml(data, "meeting")
    items = [_agenda_item(element) for element in root.iter("agendaitem")]
    documents = [
        document
        for element, item in zip(root.iter("agendaitem"), items, strict=True)
        for document in _linked_documents(element, item, url)
    ]
    return Meeting(
        meeting_id=_child(root, "meetingid"),
        committee_id=committee.committee_id,
        committee=committee.title,
        day=parse_uk_date(_child(root, "meetingdate")),
        time=_child(root, "meetingtime"),
        status=_child(root, "meetingstatus"),
        url=url,
        minutes_published=_flag(root, "minutepublished"),
        items=tuple(items),
        documents=tuple(documents),
    )


def _agenda_item(element: etree._Element) -> AgendaItem:
    minutes_out = _flag(element, "isminutepublished", default=True)
    return AgendaItem(
        item_id=_child(element, "agendaitemid"),
        number=(_child(element, "fulldisplaynumberformat") or _child(element, "agendaitemnumber")).rstrip("."),
        title=_child(element, "agendaitemtitle"),
        text=fragment_text(_text(element, "agendatext")),
        minutes=fragment_text(_text(element, "minutesnonemptyhtmlbody")) if minutes_out else "",
    )


def _linked_documents(element: etree._Element, item: AgendaItem, page_url: str) -> list[DocumentRef]:
    """The documents of an agenda item, except restricted ones and links to other sites: neither can be read."""
    return [
        DocumentRef(
            doc_id=_child(doc, "attachmentid"),
            title=_child(doc, "title"),
            url=_same_scheme(_child(doc, "url"), page_url),
            item_number=item.number,
            item_title=item.title,
            version=_child(doc, "publicationdate"),
            published=uk_date_or_none(_child(doc, "publicationdate")),
        )
        for doc in element.iter("linkeddoc")
        if not (_flag(doc, "isrestricted") or _flag(doc, "isurl"))
    ]


def _same_scheme(url: str, page_url: str) -> str:
    """Some installs give their own documents as http:// when the site is https://: use the site's scheme."""
    document, page = urlsplit(url), urlsplit(page_url)
    return urlunsplit(document._replace(scheme=page.scheme)) if document.netloc == page.netloc else url


def _xml(data: bytes, root_tag: str) -> etree._Element:
    try:
        root = etree.fromstring(without_bom(data), _XML_PARSER)
    except etree.XMLSyntaxError as error:
        raise SourceError(f"expected the web service's <{root_tag}> XML, got something else ({error.msg})") from None
    if root.tag != root_tag:
        raise SourceError(f"expected the web service's <{root_tag}> XML, got <{root.tag}>")
    return root


def _text(element: etree._Element, tag: str) -> str:
    """Text of a direct child, stripped: empty elements hold a newline and spaces."""
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _child(element: etree._Element, tag: str) -> str:
    """A value or title on one line; some installs escape titles twice (``Chair&amp;#39;s``)."""
    return one_line(html.unescape(_text(element, tag)))


def _flag(element: etree._Element, tag: str, default: bool = False) -> bool:
    value = _child(element, tag).lower()
    return default if not value else value == "true"
