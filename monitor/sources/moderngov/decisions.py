"""Published decisions, read from the HTML pages whichever way meetings are read (the web service has no decisions
method): the list of decisions published since the window began (``mgDelegatedDecisions``), then the page of each
decision not seen before (``ieDecisionDetails``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin

from bs4 import Tag

from monitor.extract.html import attribute, fragment_text
from monitor.fetch import FetchError
from monitor.items import CouncilEvent, CouncilReference, Item
from monitor.sources.base import SourceError
from monitor.sources.council.dates import london_time
from monitor.sources.council.events import short_summary
from monitor.sources.council.model import DocumentRef
from monitor.sources.moderngov.model import DOCUMENT_ID, PAGE_TIMEOUT, document_id, uk_date, uk_date_or_none
from monitor.sources.moderngov.pages import link_target, link_text, linked_id, page_soup
from monitor.text import one_line

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

_DECISION_ID = re.compile(r"ieDecisionDetails\.aspx\?(?:[^#]*&)?ID=(\d+)", re.IGNORECASE)


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


@dataclass(frozen=True)
class DecisionsLook:
    """The decisions new since the last look, as items; notes for the poll table; the decisions to remember."""

    items: tuple[Item, ...]
    notes: tuple[str, ...]
    known: Mapping[str, date]  # decision id -> the date it was published


class Decisions:
    """Reads the decisions of one ModernGov site for one look."""

    def __init__(self, fetcher: Fetcher, base: str, source_id: str) -> None:
        self.fetcher, self.base, self.source_id = fetcher, base, source_id

    def look(self, known: Mapping[str, date], *, first: date, today: date) -> DecisionsLook:
        """Decisions published from ``first`` to ``today``; details are read only for decisions not ``known``. Known
        ones published before ``first`` are forgotten: out of the list's range, they cannot come back."""
        dates = quote(f"{uk_date(first)}-{uk_date(today)}", safe="-")
        list_url = urljoin(self.base, f"mgDelegatedDecisions.aspx?bcr=1&DM=0&DS=2&K=0&DR={dates}&V=0")
        try:
            rows = parse_decision_list(self.fetcher.get(list_url, timeout=PAGE_TIMEOUT).content)
        except FetchError as error:
            return DecisionsLook((), (f"decisions not read ({error.reason})",), known)
        items, notes, remembered = [], [], dict(known)
        for row in rows:
            if row.decision_id in remembered:
                continue
            try:
                decision = self._decision(row.decision_id)
            except (FetchError, SourceError) as error:
                notes.append(f"decision {row.decision_id} not read ({error}); will try again next poll")
                continue
            items.append(self._item(decision))
            remembered[row.decision_id] = row.published or decision.published or today
        kept = {decision_id: published for decision_id, published in remembered.items() if published >= first}
        return DecisionsLook(tuple(items), tuple(notes), kept)

    def _decision(self, decision_id: str) -> Decision:
        url = self._page(decision_id)
        page = self.fetcher.get(url, timeout=PAGE_TIMEOUT).content
        return parse_decision(page, decision_id=decision_id, page_url=url)

    def _page(self, decision_id: str) -> str:
        return urljoin(self.base, f"ieDecisionDetails.aspx?ID={decision_id}")

    def _item(self, decision: Decision) -> Item:
        return Item(
            source_id=self.source_id,
            key=f"decision:{decision.decision_id}",
            url=self._page(decision.decision_id),
            title=decision.title,
            kind="decision",
            summary=short_summary(decision.text),
            published=london_time(decision.published) if decision.published else None,
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


def parse_decision_list(html: str | bytes) -> list[DecisionRow]:
    """``mgDelegatedDecisions.aspx`` (or the officer list): decision rows; issue-history and other rows are skipped."""
    rows = []
    for row in page_soup(html).find_all("tr"):
        link = row.find("a", href=_DECISION_ID)
        decision_id = linked_id(_DECISION_ID, link) if link else None
        if link is None or decision_id is None:
            continue
        cells = [one_line(cell.get_text(" ")) for cell in row.find_all("td")[1:]]
        published = next((d for d in map(uk_date_or_none, cells) if d), None)
        rows.append(DecisionRow(decision_id, link_text(link), published))
    return rows


def parse_decision(html: str | bytes, *, decision_id: str, page_url: str) -> Decision:
    """``ieDecisionDetails.aspx``: title, labelled facts, the decision text and the accompanying documents."""
    soup = page_soup(html)
    heading = soup.find(class_="mgSubTitleTxt")
    content = soup.find(class_="mgContent")
    if heading is None or content is None:
        raise SourceError(f"decision {decision_id}: no title or content on the page; is it an ieDecisionDetails page?")
    labels = _labelled(content)
    at_meeting = labels.get("decided at meeting")
    meeting_link = at_meeting.find("a", href=True) if at_meeting else None
    documents = tuple(
        DocumentRef(doc_id, link_text(link), link_target(page_url, link))
        for link in content.find_all("a", href=DOCUMENT_ID)
        if (doc_id := document_id(attribute(link, "href")))
    )
    values = {label: _labelled_value(paragraph) for label, paragraph in labels.items()}
    return Decision(
        decision_id=decision_id,
        title=one_line(heading.get_text(" ")),
        text=fragment_text(content.decode_contents()),
        published=uk_date_or_none(values.get("publication date", "")),
        decided=uk_date_or_none(values.get("date of decision", "")),
        # A decision taken at a meeting names no maker: the committee is in "19/10/2015 - Policy Committee".
        maker=values.get("decision maker") or values.get("decided at meeting", "").split(" - ", 1)[-1],
        meeting_url=link_target(page_url, meeting_link) if meeting_link else "",
        documents=documents,
    )


def _labelled(content: Tag) -> dict[str, Tag]:
    """Paragraphs that open with ``<span class="mgLabel">Publication date: </span>``, by lower-case label."""
    return {
        _label(paragraph).rstrip(":").strip().lower(): paragraph
        for paragraph in content.find_all("p")
        if paragraph.find("span", class_="mgLabel", recursive=False) is not None
    }


def _label(paragraph: Tag) -> str:
    span = paragraph.find("span", class_="mgLabel", recursive=False)
    return one_line(span.get_text(" ")) if span else ""


def _labelled_value(paragraph: Tag) -> str:
    return one_line(paragraph.get_text(" ")).removeprefix(_label(paragraph)).strip()
