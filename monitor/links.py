"""Story links: the link a new item is known by and shown under, whatever way its source gave it.

Before an item is looked up among the stored ones, its link is cleaned (``monitor.urls.clean_link``) and it is also
known by its link without the query parameters staff list in ``links.drop_parameters``. When its page is read, the
link is followed where it leads, as a browser would: HTTP redirects (by the fetcher, under its limits: robots.txt, the
number of redirects, the guard against private addresses) and pages that only send the reader on at once (``<meta
http-equiv="refresh">``). The address where it ends and the address the page names as its own (rel=canonical, og:url)
become keys of the item, and the shown link is the page's own address, else where the link ended.

Aggregators (Google News, FeedBurner, and the hosts of ``links.aggregators``) list links that only lead to the
publisher's page. Such a link is followed even for a source whose pages are not read for their text, and counts only
when it leads off the aggregator's site: a page of the aggregator itself (a consent form, a page that needs a browser to
go on) is not the story.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

from monitor.fetch import FetchError, Response
from monitor.items import Item, link_key, link_keys_without
from monitor.settings import StrictModel
from monitor.urls import check_host_name, check_web_address, clean_link, identity_link

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

# Hosts whose story links only redirect to the publisher's page: Google News (its RSS article links) and FeedBurner
# (feedproxy.google.com and feeds.feedburner.com/~r/... links, when a feed does not give feedburner:origLink).
AGGREGATORS = ("news.google.com", "feedproxy.google.com", "feeds.feedburner.com")
_REFRESH_SCAN = 65_536  # bytes: a page that only sends the reader on says so at its start
_AT_ONCE = 5.0  # seconds: a longer refresh reloads a page for its readers rather than sending them on
_PARAMETER = re.compile(r"^[^\s&=#?*]+\*?$")


def _parameter_name(value: str) -> str:
    name = value.strip().lower()
    if not _PARAMETER.match(name):
        raise ValueError(
            f"{value!r} is not a query parameter name; write a name as it stands before '=' in links, e.g. sessionid, "
            "or the start of names followed by *, e.g. sess_*"
        )
    return name


class LinkSettings(StrictModel):
    """``links:`` in monitor.yaml: more query parameters to drop from story links, and more aggregators."""

    drop_parameters: tuple[Annotated[str, AfterValidator(_parameter_name)], ...] = ()
    aggregators: tuple[Annotated[str, AfterValidator(check_host_name)], ...] = ()

    def through_aggregator(self, url: str) -> bool:
        """Whether ``url`` is a link on an aggregator's host."""
        return _host(url) in (*AGGREGATORS, *self.aggregators)

    def led_off_aggregator(self, link: str, address: str) -> bool:
        """Whether ``link``, through an aggregator, ended at ``address`` off the aggregator's site: its host without
        its first label (google.com for news.google.com, every host under it included)."""
        site, host = _site_of(_host(link)), _host(address)
        return host != site and not host.endswith("." + site)


@dataclass(frozen=True)
class PageText:
    """What reading a story's page gave: its main text, or None and why; ``failure`` when it was not fetched; ``link``
    the address the page names as its own on its own site (rel=canonical or og:url), when it names one; ``address``
    where the story's link led (after redirects), when the page was fetched."""

    body: str | None
    note: str = ""
    failure: FetchError | None = None
    link: str | None = None
    address: str | None = None

    def applied_to(self, item: Item, links: LinkSettings) -> Item:
        """``item`` with this page's text (or why it has none), under the page's own link when it names one, else the
        address its link led to; known by both as well."""
        return self.reached_from(item.with_body(self.body, self.note), links)

    def reached_from(self, item: Item, links: LinkSettings) -> Item:
        """``item``, whose link led to this page, under the link it is shown by now and known by ``keys`` too."""
        return replace(item, url=self.shown_link(item.url, links)).known_also_as(self.keys(links))

    def shown_link(self, link: str, links: LinkSettings) -> str:
        """The link a story listed under ``link`` is shown by once this page was read: the page's own, else the
        address the link led to, else ``link``; cleaned."""
        return clean_link(self.link or self.address or link, links.drop_parameters)

    def keys(self, links: LinkSettings) -> tuple[str, ...]:
        """The keys this page adds to its story: where its link led, and the page's own link."""
        return tuple(link_key(each, links.drop_parameters) for each in (self.address, self.link) if each)


def identified(item: Item, links: LinkSettings) -> Item:
    """A new item as it is looked up among the stored ones: its link cleaned, and known by its links without the
    parameters of ``links.drop_parameters`` too."""
    cleaned = replace(item, url=clean_link(item.url, links.drop_parameters))
    also = link_keys_without(item.keys, links.drop_parameters)
    return cleaned.known_also_as(also) if also else cleaned  # a first look identifies thousands: no copy for nothing


def open_page(fetcher: Fetcher, url: str, *, found_on: str | None, links: LinkSettings, max_hops: int) -> Response:
    """The page a story's link leads to: fetched (the fetcher follows HTTP redirects), and again at the address a page
    sends the reader on to at once, up to ``max_hops`` times. ``found_on`` as for ``Fetcher.get``; where a page sends
    the reader on is held to the same rule as a redirect (only the host of ``found_on``, else of ``url``, may be
    private).

    Raises ``FetchError``, as the fetcher does, and also when a link through an aggregator does not lead off its site.
    """
    page = fetcher.get(url, found_on=found_on)
    for _hop in range(max_hops):
        onward = _sent_on_to(page)
        if onward is None:
            break
        page = fetcher.get(onward, found_on=found_on or url)  # an address found on the page, like a redirect
    else:
        if _sent_on_to(page) is not None:
            where = "open it in a browser to see where"
            raise FetchError(url, f"sent the reader on more than {max_hops} times; {where}", kind="redirects")
    if links.through_aggregator(url) and not links.led_off_aggregator(url, page.url):
        raise FetchError(
            url,
            f"did not lead to the publisher's page (it ended at {page.url}; the aggregator may want a browser)",
            temporary=False,
            kind="aggregator",
        )
    return page


def follow_link(fetcher: Fetcher, item: Item, *, found_on: str, links: LinkSettings, max_hops: int) -> Item:
    """``item`` under the address its link leads to, and known by it too, without reading the page for its text; as
    it was when the link cannot be followed there."""
    try:
        page = open_page(fetcher, item.url, found_on=found_on, links=links, max_hops=max_hops)
    except FetchError:
        return item
    return PageText(None, address=page.url).reached_from(item, links)


def _sent_on_to(page: Response) -> str | None:
    """The address ``page`` sends its reader on to at once by a ``<meta http-equiv="refresh">`` at its start; None
    when it sends nobody elsewhere (no refresh, a slow one, one to itself or to an address that is not http(s))."""
    start = page.content[:_REFRESH_SCAN]
    if b"refresh" not in start.lower():
        return None
    from w3lib.html import get_meta_refresh  # here: the configuration reads links settings without w3lib

    # A refresh inside <noscript> counts: Beatwatch runs no scripts, so it is the one a reader like us follows.
    delay, onward = get_meta_refresh(start.decode("utf-8", "replace"), page.url, ignore_tags=("script",))
    if delay is None or onward is None or delay > _AT_ONCE or identity_link(onward) == identity_link(page.url):
        return None
    try:
        return check_web_address(onward)
    except ValueError:
        return None


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def _site_of(host: str) -> str:
    """An aggregator's site: its host without the first label when that leaves a name of two labels or more."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        labels = host.split(".")
    return ".".join(labels[1:]) if len(labels) > 2 else host
