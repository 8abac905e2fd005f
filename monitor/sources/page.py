"""Page sources: news listings that have no feed (a police force's news page, a council newsroom).

Each element the source's ``item_selector`` picks on the listing is one story: its link is the story's address (the
element itself when it is a link, else the link in or around its title, else the link in its first heading, else its
first link, else the link around it), and its title, date and summary come from inside that element only. Menus,
footers, cookie banners, "most read" boxes and pagination are never items unless the selector picks them. The story's
page is then fetched and read like a feed item's. Selectors are CSS as soupsieve reads it (through BeautifulSoup);
they are checked when the configuration loads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bs4 import BeautifulSoup, Tag

from monitor.extract import html_to_text
from monitor.extract.html import attribute
from monitor.items import Item, identity_keys
from monitor.sources.base import Discovery, Source, SourceError
from monitor.sources.conditional import ConditionalCheckpoint, fetch_if_changed
from monitor.sources.html_head import absolute, page_base
from monitor.sources.page_dates import listing_date
from monitor.sources.page_settings import PageConfig
from monitor.text import one_line

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_UNTITLED = "(untitled)"


@dataclass(frozen=True)
class PageCheckpoint(ConditionalCheckpoint):
    """The listing's validators and body hash, and the selectors it was read with: after an edit of the selectors
    the listing is read again even when it has not changed."""

    selectors: str | None = None


@dataclass(frozen=True)
class Listing:
    """The stories on one listing page, and what was odd about it (elements without a link, dates not read)."""

    items: tuple[Item, ...]
    notes: tuple[str, ...] = ()


class PageSource(Source[PageCheckpoint]):
    config_model = PageConfig
    checkpoint_model = PageCheckpoint
    config: PageConfig

    def look(self, fetcher: Fetcher, checkpoint: PageCheckpoint) -> Discovery:
        if checkpoint.selectors != self.config.selectors:
            checkpoint = PageCheckpoint(selectors=self.config.selectors)
        now = self.clock()
        response, answered, fresh_for = fetch_if_changed(fetcher, self.config.url, checkpoint, now=now)
        if response is None:
            return Discovery(unchanged=True, checkpoint=answered, fresh_for=fresh_for)
        listing = read_listing(self.config, response.content, url=response.url, now=now)
        return Discovery(items=listing.items, checkpoint=answered, notes=listing.notes, fresh_for=fresh_for)


def read_listing(config: PageConfig, content: bytes, *, url: str, now: datetime) -> Listing:
    """The stories the listing downloaded from ``url`` (after redirects) links to, in its order, each once.

    Raises ``SourceError`` when ``item_selector`` matches nothing, or nothing with a link: a listing without stories
    is far more often a selector that no longer fits the page than a news page with no news."""
    soup = BeautifulSoup(content, "lxml")
    base = page_base(soup, url)
    elements = soup.select(config.item_selector)
    if not elements:
        raise SourceError(
            f"item_selector '{config.item_selector}' matched nothing on the page {url}; check it against the page's "
            "HTML (see 'Page sources' in the README)"
        )
    stories = [_story(config, element, base, now) for element in elements]
    items: dict[str, Item] = {}
    for story in stories:
        if story is not None:
            items.setdefault(story.item.key, story.item)  # a story shown twice (the lead and the list) is one item
    if not items:
        raise SourceError(
            f"item_selector '{config.item_selector}' matched {len(elements)} elements on the page {url} but none "
            "holds a link to a story; select the story links (<a href>) or the elements that hold them"
        )
    return Listing(tuple(items.values()), tuple(_notes(config, stories)))


@dataclass(frozen=True)
class _Story:
    item: Item
    date_text: str  # what date_selector's element said ("" without one), for the note on dates not read


def _story(config: PageConfig, element: Tag, base: str, now: datetime) -> _Story | None:
    """The story one element of the listing stands for; None when it holds no link to a web page."""
    title_element = _first(element, config.title_selector)
    linked = _story_link(element, title_element, base)
    if linked is None:
        return None
    link, address = linked
    around = any(parent is link for parent in element.parents)  # then the link holds more than this item
    title = _text(title_element or _first_heading(element) or (element if around else link))
    title = title or one_line(attribute(link, "title"))
    summary = html_to_text(str(_first(element, config.summary_selector) or ""))
    date_element = _first(element, config.date_selector or "time[datetime]")
    date_text = _date_text(date_element)
    published = listing_date(date_text, now=now) if date_text else None
    key, *aliases = identity_keys(None, address, title, published)
    item = Item(
        source_id=config.id,
        key=key,
        aliases=tuple(aliases),
        url=address,
        title=title or _UNTITLED,
        summary=summary,
        published=published,
        kind="article",
    )
    return _Story(item, date_text if config.date_selector else "")


def _story_link(element: Tag, title_element: Tag | None, base: str) -> tuple[Tag, str] | None:
    """The story's link and its absolute address; None when the element holds no link to a web page."""
    for link in _candidate_links(element, title_element):
        address = absolute(base, attribute(link, "href"))
        if address:
            return link, address
    return None


def _candidate_links(element: Tag, title_element: Tag | None) -> Iterator[Tag]:
    """The links that may be the story's, best first: the element itself, the link in or around its title, the link
    in its first heading, its first link, the link around it."""
    if element.name == "a":
        yield element
    for inside in (title_element, _first_heading(element)):
        if inside is not None:
            yield from ([inside] if inside.name == "a" else []) + inside.find_all("a", href=True)
            yield from inside.find_parents("a", limit=1)
    yield from element.find_all("a", href=True)
    yield from element.find_parents("a", limit=1)


def _first(element: Tag, selector: str | None) -> Tag | None:
    return element.select_one(selector) if selector else None


def _first_heading(element: Tag) -> Tag | None:
    found = element.find(_HEADINGS)
    return found if isinstance(found, Tag) else None


def _text(element: Tag | None) -> str:
    return one_line(html_to_text(str(element))) if element is not None else ""


def _date_text(element: Tag | None) -> str:
    """What a date element says: its machine-readable ``datetime`` or ``content`` attribute, else its text."""
    if element is None:
        return ""
    return attribute(element, "datetime") or attribute(element, "content") or _text(element)


def _notes(config: PageConfig, stories: list[_Story | None]) -> Iterator[str]:
    unlinked = sum(story is None for story in stories)
    if unlinked:
        yield f"{unlinked} of the {len(stories)} elements item_selector matched hold no link to a story; skipped"
    undated = [story.date_text for story in stories if story and story.date_text and story.item.published is None]
    if undated:
        yield (
            f"the date of {len(undated)} stories could not be read (e.g. '{undated[0]}'); they are undated "
            "(see 'Page sources' in the README for the dates Beatwatch reads)"
        )


__all__ = ["Listing", "PageCheckpoint", "PageSource", "read_listing"]
