"""What the head of a web page says about addresses: the base that its relative links resolve against, and the feeds
it advertises (``<link rel="alternate" type="application/rss+xml" href=…>``, as feed readers find them)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from monitor.extract.html import attribute
from monitor.urls import check_web_address, same_site

if TYPE_CHECKING:  # bs4 is imported where a page is read: a feed module that reads none does without it
    from bs4 import BeautifulSoup

# RSS 2.0, Atom, JSON Feed and RSS 1.0 (RDF), as pages declare them in <link type=…>.
FEED_MEDIA_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
_JSON_FEED = "application/feed+json"
_BREAKS = re.compile(r"[\t\r\n]")


def page_base(soup: BeautifulSoup, url: str) -> str:
    """The address a page's relative links resolve against: its ``<base href>`` (itself relative to ``url``), else
    ``url``, the address the page was fetched from after redirects."""
    from bs4 import Tag

    base = soup.find("base", href=True)
    stated = absolute(url, attribute(base, "href")) if isinstance(base, Tag) else None
    return stated or url


def advertised_feeds(html: bytes, url: str) -> list[str]:
    """The feeds the page downloaded from ``url`` advertises in its head, as absolute http(s) addresses, best first:
    those on the page's own site before those elsewhere, RSS and Atom before JSON Feed, then in the page's order."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    head = soup.head
    if head is None:
        return []
    base = page_base(soup, url)
    found: list[tuple[bool, bool, int, str]] = []
    for index, link in enumerate(head.find_all("link", href=True)):
        media_type = attribute(link, "type").split(";", 1)[0].strip().lower()
        if "alternate" not in attribute(link, "rel").lower().split() or media_type not in FEED_MEDIA_TYPES:
            continue
        address = absolute(base, attribute(link, "href"))
        if address and address not in (each[-1] for each in found):
            found.append((not same_site(address, url), media_type == _JSON_FEED, index, address))
    return [address for *_, address in sorted(found)]


def absolute(base: str, link: str) -> str | None:
    """``link`` made absolute against ``base`` when that gives a valid http(s) address; None otherwise (``mailto:``,
    ``javascript:``, an empty or malformed link). As browsers do, line breaks and tabs in it are dropped and spaces
    encoded."""
    link = _BREAKS.sub("", link.strip()).replace(" ", "%20")
    if not link:
        return None
    try:
        return check_web_address(urljoin(base, link))
    except ValueError:
        return None
