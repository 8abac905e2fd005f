"""ModernGov (Civica modern.gov) council meeting systems: agenda items, minutes, documents and decisions.

Read through the site's web service (``mgWebService.asmx`` over plain GET) when it answers, otherwise through the HTML
pages (``mgListCommittees``, ``ieListMeetings``, ``ieListDocuments``). Both ways give the same keys (meeting id, agenda
item id, attachment id), so a switch between them never reports anything twice. A site whose web service is blocked is
tried again once a day. Decisions come from the HTML pages either way: the web service has no decisions method.

Checkpoint keys on top of council.py's: ``mode`` ("webservice" | "html"), ``mode_reason``, ``mode_since`` (ISO time the
web service last failed), ``decision:<id>`` (publication date).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import quote, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag
from lxml import etree

from monitor.clock import Clock, utc_now
from monitor.extract import one_line
from monitor.extract.html import fragment_text
from monitor.fetch import FetchError
from monitor.items import CouncilEvent, CouncilReference
from monitor.sources.base import Discovery, Source, SourceError
from monitor.sources.council import (
    AgendaItem,
    CouncilPoll,
    CouncilSourceConfig,
    DocumentRef,
    Meeting,
    MeetingRef,
    london_midnight,
    parse_long_date,
    short_summary,
)

if TYPE_CHECKING:
    from monitor.fetch import Fetcher

WEB_SERVICE_RETRY = timedelta(days=1)
PAGE_TIMEOUT = 60.0  # seconds; self-hosted installs can take up to a minute to answer
# How the web service answers when it is switched off or blocked: forbidden (WAF), not there, GET not enabled.
_SERVICE_OFF = (403, 404, 405, 500, 501)

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_UK_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_DOCUMENT_ID = re.compile(r"(?:documents/s(\d+)/|mgConvert2PDF\.aspx\?(?:[^#]*&)?ID=(\d+))", re.IGNORECASE)
_AGENDA_ITEM_ID = re.compile(r"mgAi\.aspx\?(?:[^#]*&)?ID=(\d+)", re.IGNORECASE)
_COMMITTEE_ID = re.compile(
    r"(?:mgCommitteeDetails\.aspx\?(?:[^#]*&)?ID|ieListMeetings\.aspx\?(?:[^#]*&)?C(?:ommittee)?Id)=(\d+)",
    re.IGNORECASE,
)
_MEETING_LINK = re.compile(r"ieListDocuments\.aspx\?(?:[^#]*&)?M(?:eeting)?Id=(\d+)", re.IGNORECASE)
_DECISION_ID = re.compile(r"ieDecisionDetails\.aspx\?(?:[^#]*&)?ID=(\d+)", re.IGNORECASE)


class ModernGovConfig(CouncilSourceConfig):
    type: Literal["moderngov"]
    committees: Literal["all"] | list[int | str] = "all"  # committee ids or exact titles
    decisions: bool = True


@dataclass(frozen=True)
class Committee:
    committee_id: str
    title: str
    expired: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class ListedMeeting:
    """A row of ``GetMeetings``."""

    meeting_id: str
    committee_id: str
    day: date
    status: str


@dataclass(frozen=True)
class DecisionRow:
    decision_id: str
    title: str
    published: date | None


@dataclass(frozen=True)
class Decision:
    decision_id: str
    title: str
    text: str
    published: date | None
    decided: date | None
    maker: str  # "Decision Maker", or the committee of "Decided at meeting"
    meeting_url: str
    documents: tuple[DocumentRef, ...]


# --- web service XML ------------------------------------------------------------------------------------------------


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
            published=_uk_date_or_none(_child(doc, "publicationdate")),
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
        root = etree.fromstring(data.lstrip(b"\xef\xbb\xbf \t\r\n"), _XML_PARSER)
    except etree.XMLSyntaxError as error:
        raise SourceError(f"expected the web service's <{root_tag}> XML, got something else ({error})") from None
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


def parse_uk_date(text: str) -> date:
    """``dd/mm/yyyy``, the only date form ModernGov uses."""
    found = _UK_DATE.match(text)
    if not found:
        raise SourceError(f"{text!r} is not a dd/mm/yyyy date")
    day, month, year = map(int, found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise SourceError(f"{text!r} is not a real date") from None


def _uk_date_or_none(text: str) -> date | None:
    try:
        return parse_uk_date(text)
    except SourceError:
        return None


def uk_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- HTML pages -----------------------------------------------------------------------------------------------------


def _soup(html: str | bytes) -> BeautifulSoup:
    """A ModernGov page without its hidden extras: ``mgHide`` "ref: 123" in list links, ``mgFileSize`` "PDF 119 KB"."""
    soup = BeautifulSoup(html, "lxml")
    for extra in soup.find_all(class_=("mgHide", "mgFileSize")):
        extra.decompose()
    return soup


def _content(soup: BeautifulSoup) -> Tag:
    """The ModernGov part of a page: the council's own site template around it names other things."""
    return soup.find(id="modgov") or soup.find(class_="mgContent") or soup


def _link_text(link: Tag) -> str:
    return one_line(link.get_text(" "))


def _absolute(page_url: str, href: str) -> str:
    """The address a link leads to; generated-pack links hold line breaks, which browsers drop."""
    return urljoin(page_url, re.sub(r"[\r\n]+", "", href.strip()))


def parse_committee_list(html: str | bytes) -> list[Committee]:
    """``mgListCommittees.aspx``: every committee linked, in page order."""
    found: dict[str, Committee] = {}
    for link in _content(_soup(html)).find_all("a", href=_COMMITTEE_ID):
        committee_id = _COMMITTEE_ID.search(link["href"]).group(1)
        found.setdefault(committee_id, Committee(committee_id, _link_text(link)))
    return list(found.values())


def parse_meeting_list(html: str | bytes, *, committee_id: str, page_url: str) -> list[MeetingRef]:
    """``ieListMeetings.aspx``: links to meeting pages, their text saying when ("12 Nov 2026 6.30 pm", "CANCELLED")."""
    refs = []
    for link in _content(_soup(html)).find_all("a", href=_MEETING_LINK):
        text = _link_text(link)
        day = parse_long_date(text)
        if day is None:
            continue
        meeting_id = _MEETING_LINK.search(link["href"]).group(1)
        status = "Cancelled" if "cancel" in text.lower() else ""
        refs.append(MeetingRef(meeting_id, committee_id, day, meeting_page(page_url, committee_id, meeting_id), status))
    return refs


def parse_meeting_page(html: str | bytes, *, ref: MeetingRef, committee: Committee) -> Meeting:
    """``ieListDocuments.aspx``: the agenda, each item's text, its minutes once published, and its documents."""
    content = _content(_soup(html))
    headings = " ".join(one_line(h.get_text(" ")) for h in content.find_all(["h1", "h2"]))
    if not headings:
        raise SourceError("no meeting heading on the page; is this a ModernGov ieListDocuments page?")
    items, documents = [], []
    for row in content.select("table.mgItemTable tr"):
        item = _agenda_row(row)
        if item is None:
            continue
        items.append(item)
        documents += _row_documents(row, item, ref.url)
    day = parse_long_date(headings) or ref.day
    cancelled = "cancel" in headings.lower() or "cancel" in ref.status.lower()
    return Meeting(
        meeting_id=ref.meeting_id,
        committee_id=committee.committee_id,
        committee=committee.title,
        day=day,
        time=_heading_time(headings),
        status="Cancelled" if cancelled else "Confirmed",
        url=ref.url,
        minutes_published=re.search(r"\bminutes\b", _agenda_heading(content), re.IGNORECASE) is not None,
        items=tuple(items),
        documents=tuple(documents),
    )


def _agenda_heading(content: Tag) -> str:
    """"Agenda", "Agenda and draft minutes", "Agenda and minutes": the page title says whether minutes are out."""
    for heading in content.find_all(["h1", "h2"]):
        text = one_line(heading.get_text(" "))
        if text.lower().startswith("agenda"):
            return text
    return ""


def _heading_time(headings: str) -> str:
    found = re.search(r"\b\d{1,2}(?:[.:]\d{2})?\s*[ap]\.?m\b", headings, re.IGNORECASE)
    return found.group(0) if found else ""


def _agenda_row(row: Tag) -> AgendaItem | None:
    cells = row.find_all("td", recursive=False)
    if len(cells) < 2:
        return None
    body = cells[-1]
    title_link = body.find("a", href=_AGENDA_ITEM_ID)
    title_block = body.find(class_="mgAiTitleTxt")
    if title_link is None and title_block is None:
        return None
    number = one_line(cells[0].get_text(" ")).rstrip(".")
    title = _link_text(title_link) if title_link else _link_text(title_block)
    # An item page link gives the id the web service uses; without one the number stands in (keys then differ by mode).
    item_id = _AGENDA_ITEM_ID.search(title_link["href"]).group(1) if title_link else f"n{number}"
    sections: dict[str, list[str]] = {"agenda": [], "minutes": []}
    section = "agenda"
    for element in body.find_all(True, recursive=False):
        classes = element.get("class") or []
        if "mgSubItemTitleTxt" in classes:
            section = "minutes" if "minute" in element.get_text().lower() else "other"
        elif "mgWordPara" in classes and section in sections:
            sections[section].append(fragment_text(element.decode_contents()))
    return AgendaItem(item_id, number, title, "\n".join(sections["agenda"]), "\n".join(sections["minutes"]))


def _row_documents(row: Tag, item: AgendaItem, page_url: str) -> list[DocumentRef]:
    documents: dict[str, DocumentRef] = {}
    for link in row.find_all("a", href=_DOCUMENT_ID):
        found = _DOCUMENT_ID.search(link["href"])
        doc_id = found.group(1) or found.group(2)
        url = _absolute(page_url, link["href"])
        documents.setdefault(doc_id, DocumentRef(doc_id, _link_text(link), url, item.number, item.title))
    return list(documents.values())


# --- decisions (HTML either way) ------------------------------------------------------------------------------------


def parse_decision_list(html: str | bytes) -> list[DecisionRow]:
    """``mgDelegatedDecisions.aspx`` (or the officer list): decision rows; issue-history and other rows are skipped."""
    rows = []
    for row in _soup(html).find_all("tr"):
        link = row.find("a", href=_DECISION_ID)
        if link is None:
            continue
        decision_id = _DECISION_ID.search(link["href"]).group(1)
        cells = [one_line(cell.get_text(" ")) for cell in row.find_all("td")[1:]]
        published = next((d for d in map(_uk_date_or_none, cells) if d), None)
        rows.append(DecisionRow(decision_id, _link_text(link), published))
    return rows


def parse_decision(html: str | bytes, *, decision_id: str, page_url: str) -> Decision:
    """``ieDecisionDetails.aspx``: title, labelled facts, the decision text and the accompanying documents."""
    soup = _soup(html)
    heading = soup.find(class_="mgSubTitleTxt")
    content = soup.find(class_="mgContent")
    if heading is None or content is None:
        raise SourceError(f"decision {decision_id}: no title or content on the page; is it an ieDecisionDetails page?")
    labels = _labelled(content)
    meeting_link = labels["decided at meeting"].find("a", href=True) if "decided at meeting" in labels else None
    documents = tuple(
        DocumentRef(found.group(1) or found.group(2), _link_text(link), _absolute(page_url, link["href"]))
        for link in content.find_all("a", href=_DOCUMENT_ID)
        if (found := _DOCUMENT_ID.search(link["href"]))
    )
    values = {label: _labelled_value(paragraph) for label, paragraph in labels.items()}
    return Decision(
        decision_id=decision_id,
        title=one_line(heading.get_text(" ")),
        text=fragment_text(content.decode_contents()),
        published=_uk_date_or_none(values.get("publication date", "")),
        decided=_uk_date_or_none(values.get("date of decision", "")),
        # A decision taken at a meeting names no maker: the committee is in "19/10/2015 - Policy Committee".
        maker=values.get("decision maker") or values.get("decided at meeting", "").split(" - ", 1)[-1],
        meeting_url=_absolute(page_url, meeting_link["href"]) if meeting_link else "",
        documents=documents,
    )


def _labelled(content: Tag) -> dict[str, Tag]:
    """Paragraphs that open with ``<span class="mgLabel">Publication date: </span>``, by lower-case label."""
    found = {}
    for paragraph in content.find_all("p"):
        span = paragraph.find("span", class_="mgLabel", recursive=False)
        if span is not None:
            found[one_line(span.get_text(" ")).rstrip(":").strip().lower()] = paragraph
    return found


def _labelled_value(paragraph: Tag) -> str:
    label = one_line(paragraph.find("span", class_="mgLabel", recursive=False).get_text(" "))
    return one_line(paragraph.get_text(" ")).removeprefix(label).strip()


# --- the source -----------------------------------------------------------------------------------------------------


def meeting_page(base: str, committee_id: str, meeting_id: str) -> str:
    return urljoin(base, f"ieListDocuments.aspx?CId={committee_id}&MId={meeting_id}")


class _Reader(Protocol):
    """One way of reading a ModernGov site: its web service or its HTML pages."""

    def committees(self) -> list[Committee]: ...

    def meetings(self, committee: Committee, first: date, last: date) -> list[MeetingRef]: ...

    def meeting(self, ref: MeetingRef, committee: Committee) -> Meeting: ...


class _WebService:
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


def _listing_years(first: date, last: date) -> list[int]:
    """The ``Year=`` values that cover a date range, whether an install means the calendar year or the municipal year
    (May to April)."""
    municipal = {day.year if day.month >= 5 else day.year - 1 for day in (first, last)}
    return sorted(set(range(first.year, last.year + 1)) | set(range(min(municipal), max(municipal) + 1)))


class _HtmlPages:
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


class ModernGovSource(Source):
    config_model = ModernGovConfig
    config: ModernGovConfig

    def __init__(self, config: ModernGovConfig, *, clock: Clock = utc_now) -> None:
        super().__init__(config, clock=clock)
        self.base = config.url.rstrip("/") + "/"

    def discover(self, fetcher: Fetcher, state: Mapping[str, str]) -> Discovery:
        poll = CouncilPoll(self.config, fetcher, state, now=self.clock())
        reader, committees = self._reader(fetcher, poll)
        watched = self._watched(committees, poll)
        by_id = {committee.committee_id: committee for committee in watched}
        first, last = poll.window
        listed = [
            ref
            for committee in watched
            for ref in reader.meetings(committee, first, last)
            if poll.in_window(ref.day)  # some installs ignore the dates they are sent
        ]
        poll.watch(listed, lambda ref: reader.meeting(ref, by_id[ref.committee_id]), set(by_id))
        if self.config.decisions:
            self._decisions(fetcher, poll)
        return poll.discovery()

    # -- web service or HTML

    def _reader(self, fetcher: Fetcher, poll: CouncilPoll) -> tuple[_Reader, list[Committee]]:
        """The web service when it works, else the HTML pages; a blocked service is tried again once a day."""
        entries = poll.entries
        since = entries.get("mode_since")
        if entries.get("mode") == "html" and since and poll.now - datetime.fromisoformat(since) < WEB_SERVICE_RETRY:
            return self._html_pages(fetcher, poll, entries.get("mode_reason", "web service unavailable"))
        service = _WebService(fetcher, self.base)
        try:
            committees = service.committees()
        except FetchError as error:
            if error.status not in _SERVICE_OFF:
                raise
            reason = f"web service {'blocked' if error.status == 403 else 'unavailable'} ({error.status})"
        except SourceError:
            reason = "web service answered with something other than its XML"
        else:
            entries["mode"] = "webservice"
            entries.pop("mode_reason", None)
            entries.pop("mode_since", None)
            return service, committees
        entries.update(mode="html", mode_reason=reason, mode_since=poll.now.isoformat())
        return self._html_pages(fetcher, poll, reason)

    def _html_pages(self, fetcher: Fetcher, poll: CouncilPoll, reason: str) -> tuple[_Reader, list[Committee]]:
        poll.notes.append(f"{reason}; read the HTML pages instead")
        pages = _HtmlPages(fetcher, self.base)
        return pages, pages.committees()

    def _watched(self, committees: list[Committee], poll: CouncilPoll) -> list[Committee]:
        if self.config.committees == "all":
            return [c for c in committees if not (c.expired or c.deleted)]
        by_id = {c.committee_id: c for c in committees}
        by_title = {c.title: c for c in committees}
        watched = []
        for wanted in self.config.committees:
            wanted_text = str(wanted).strip()
            committee = by_id.get(wanted_text) or by_title.get(wanted_text)
            if committee is None and wanted_text.isdigit():
                committee = Committee(wanted_text, f"Committee {wanted_text}")  # not listed, yet its pages may exist
            if committee is None:
                poll.notes.append(
                    f"no committee titled {wanted_text!r} at {self.config.url}; check committees: in sources.yaml"
                )
            else:
                watched.append(committee)
        return list({c.committee_id: c for c in watched}.values())

    # -- decisions

    def _decisions(self, fetcher: Fetcher, poll: CouncilPoll) -> None:
        """Decisions published since the window began; details are read only for decisions not seen before."""
        first, last = poll.today - self.config.window.back, poll.today
        dates = quote(f"{uk_date(first)}-{uk_date(last)}", safe="-")
        list_url = urljoin(self.base, f"mgDelegatedDecisions.aspx?bcr=1&DM=0&DS=2&K=0&DR={dates}&V=0")
        try:
            rows = parse_decision_list(fetcher.get(list_url, timeout=PAGE_TIMEOUT).content)
        except FetchError as error:
            poll.notes.append(f"decisions not read ({error.reason})")
            return
        for row in rows:
            key = f"decision:{row.decision_id}"
            if key in poll.entries:
                continue
            decision = self._decision(fetcher, poll, row)
            if decision is not None:
                poll.items.append(self._decision_item(poll, decision))
                poll.entries[key] = (row.published or decision.published or poll.today).isoformat()
        for key, published in list(poll.entries.items()):
            if key.startswith("decision:") and date.fromisoformat(published) < first:
                del poll.entries[key]  # out of the list's range, so it cannot come back

    def _decision(self, fetcher: Fetcher, poll: CouncilPoll, row: DecisionRow) -> Decision | None:
        url = urljoin(self.base, f"ieDecisionDetails.aspx?ID={row.decision_id}")
        try:
            page = fetcher.get(url, timeout=PAGE_TIMEOUT).content
            return parse_decision(page, decision_id=row.decision_id, page_url=url)
        except (FetchError, SourceError) as error:
            poll.notes.append(f"decision {row.decision_id} not read ({error}); will try again next poll")
            return None

    def _decision_item(self, poll: CouncilPoll, decision: Decision):
        url = urljoin(self.base, f"ieDecisionDetails.aspx?ID={decision.decision_id}")
        return poll.item(
            key=f"decision:{decision.decision_id}",
            url=url,
            title=decision.title,
            kind="decision",
            summary=short_summary(decision.text),
            published=london_midnight(decision.published) if decision.published else None,
            body=decision.text,
            council=CouncilReference(
                event=CouncilEvent.DECISION_PUBLISHED,
                # A decision taken at a meeting has the committee for its maker, and the meeting's page.
                committee=decision.maker if decision.meeting_url else "",
                meeting_url=decision.meeting_url,
                decision_maker=decision.maker,
                decision_date=decision.decided,
            ),
        )

