"""Feeds: RSS 0.9x/1.0/2.0 and Atom read by feedparser (clean documents by a lean reader that gives the same,
``monitor.sources.feed_xml``), JSON Feed 1 and 1.1 read here.

One conditional GET per look (``monitor.sources.conditional``): a 304, or the same body again, costs no parsing.

A changed body costs its new entries only: the checkpoint keeps a fingerprint of each entry of the last body read,
and entries read before are not read again (``monitor.sources.feed_prints``).

A configured address that answers with a web page advertising a feed (``<link rel="alternate"
type="application/rss+xml" href=…>``) is read through that feed, as feed readers do: the checkpoint remembers it, so
later looks go straight there, and the page is looked at again only when that feed is gone.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import time
import xml.sax
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from monitor.clock import utc_from_iso
from monitor.extract import PROCESSES, html_to_text
from monitor.fetch import FetchError
from monitor.items import Item, identity_keys
from monitor.sources.base import Discovery, Source, SourceError
from monitor.sources.conditional import ConditionalCheckpoint, fetch_if_changed
from monitor.sources.feed_prints import entry_print, prints_kept
from monitor.sources.feed_settings import FeedConfig
from monitor.sources.html_head import advertised_feeds
from monitor.text import one_line, shorten, without_bom

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

_JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(?:\.1)?/?$")
_JSON_MEDIA_TYPES = ("application/feed+json", "application/json")
_HEADLINE_LENGTH = 100
_UNTITLED = "(untitled)"


@dataclass(frozen=True)
class ParsedFeed:
    """The items of one feed document, and what was odd about it (a malformed feed that could still be read)."""

    items: tuple[Item, ...]
    notes: tuple[str, ...] = ()
    entry_prints: tuple[str, ...] = ()  # for the checkpoint: the fingerprints of the entries that gave items


@dataclass(frozen=True)
class _Listed:
    """An entry as the document lists it: its fingerprint (None where the reader gives none), and what it says (None
    when its fingerprint was known, so it was not read)."""

    fingerprint: str | None
    entry: _Entry | None


@dataclass(frozen=True)
class FeedCheckpoint(ConditionalCheckpoint):
    """The validators and body hash of the feed's last answer, and the fingerprints of the entries of the last body
    read; and, when the configured address (``page_url``) is a web page, the feed it advertises (``feed_url``), which
    those belong to."""

    feed_url: str | None = None
    page_url: str | None = None
    entry_prints: tuple[str, ...] = ()


class NotAFeed(SourceError):
    """The body is not a feed at all; ``advertised`` is the feed it names when it is a web page that advertises one."""

    def __init__(self, message: str, advertised: str | None = None) -> None:
        super().__init__(message)
        self.advertised = advertised


class FeedSource(Source[FeedCheckpoint]):
    config_model = FeedConfig
    checkpoint_model = FeedCheckpoint

    def look(self, fetcher: Fetcher, checkpoint: FeedCheckpoint) -> Discovery:
        feed_url = self._advertised_feed(checkpoint)
        if feed_url is None:  # the validators of a feed advertised by a page configured before are not this address's
            return self._read_configured(fetcher, checkpoint if checkpoint.feed_url is None else FeedCheckpoint())
        try:
            return self._read_advertised(fetcher, feed_url, checkpoint)
        except (FetchError, NotAFeed) as error:  # gone, or no longer a feed; a broken feed is an error as it is
            if isinstance(error, FetchError) and error.temporary:
                raise
            again = self._read_configured(fetcher, FeedCheckpoint())
            gone = f"the feed the page advertised could not be read any more ({error}); looked at the page again"
            return replace(again, notes=(gone, *again.notes))

    def describe(self, checkpoint: FeedCheckpoint, *, zone: tzinfo) -> str:
        feed_url = self._advertised_feed(checkpoint)
        return _reading_advertised(feed_url) if feed_url else ""

    def _advertised_feed(self, checkpoint: FeedCheckpoint) -> str | None:
        """The feed ``checkpoint`` is of, when the page now configured advertised it; None when the configured address
        is read itself (or the feed was advertised by a page configured before)."""
        return checkpoint.feed_url if checkpoint.page_url == self.config.url else None

    def _read_configured(self, fetcher: Fetcher, checkpoint: FeedCheckpoint) -> Discovery:
        """Read the configured address; when it answers with a page that advertises a feed, read that feed."""
        try:
            return self._read(fetcher, self.config.url, checkpoint)
        except NotAFeed as error:
            if error.advertised is None:
                raise
            feed_url = error.advertised
        try:
            return self._read_advertised(fetcher, feed_url, FeedCheckpoint(feed_url=feed_url, page_url=self.config.url))
        except (FetchError, SourceError) as error:
            if isinstance(error, FetchError) and error.temporary:
                raise  # as it is, so that a Retry-After still counts
            raise SourceError(
                f"{self.config.url} is a web page; the feed it advertises could not be read: {error}"
            ) from None

    def _read_advertised(self, fetcher: Fetcher, feed_url: str, checkpoint: FeedCheckpoint) -> Discovery:
        note = _reading_advertised(feed_url)
        return self._read(fetcher, feed_url, checkpoint, found_on=self.config.url, notes=(note,))

    def _read(
        self,
        fetcher: Fetcher,
        url: str,
        checkpoint: FeedCheckpoint,
        *,
        found_on: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> Discovery:
        response, answered, fresh_for = fetch_if_changed(fetcher, url, checkpoint, now=self.clock(), found_on=found_on)
        if response is None:
            return Discovery(unchanged=True, checkpoint=answered, notes=notes, fresh_for=fresh_for)
        # In the pool of processes, so this thread's core is free to fetch and store meanwhile.
        parsed = PROCESSES.run(
            parse_feed,
            self.config.id,
            response.content,
            url=response.url,
            headers=response.headers,
            known=frozenset(checkpoint.entry_prints),
        )
        answered = replace(answered, entry_prints=parsed.entry_prints)
        return Discovery(items=parsed.items, checkpoint=answered, notes=(*notes, *parsed.notes), fresh_for=fresh_for)


def _reading_advertised(feed_url: str) -> str:
    return f"reading the feed the page advertises: {feed_url}"


def parse_feed(
    source_id: str,
    content: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    known: frozenset[str] = frozenset(),
) -> ParsedFeed:
    """Items of a feed document downloaded from ``url`` (the final address: relative links resolve against it), but
    for the entries whose fingerprints are ``known``: those of the last body whose items were stored.

    Raises ``SourceError`` when the body is not a feed at all (an HTML page, garbage) or is too broken to give any
    entry. A well-formed feed with no entries gives no items.
    """
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    if _is_json(content, headers.get("content-type", "")):
        listed, feed_link, notes = _read_json_feed(content, url, known)
    else:
        listed, feed_link, notes = _read_xml_feed(content, url, headers, known)
    return _parsed_feed(source_id, url, listed, feed_link, notes)


def _parsed_feed(source_id: str, url: str, listed: list[_Listed], feed_link: str, notes: list[str]) -> ParsedFeed:
    items: dict[str, Item] = {}
    skipped, prints = 0, []
    for each in listed:
        entry = each.entry
        if entry is not None and entry.is_empty:  # not kept either: read every time, so that it is always noted
            skipped += 1
            continue
        prints.append(each.fingerprint)
        if entry is not None:
            item = entry.to_item(source_id, feed_link)
            items.setdefault(item.key, item)  # a feed that lists an entry twice gives one item
    if skipped:
        notes.append(f"{url}: skipped {skipped} entries with no id, link, title or summary")
    return ParsedFeed(items=tuple(items.values()), notes=tuple(notes), entry_prints=prints_kept(prints))


@dataclass(frozen=True)
class _Entry:
    """One entry as any feed format gives it: title and summary may hold HTML, the link is absolute or None.

    ``listed_link`` is the link the feed lists when it names the publisher's apart (FeedBurner lists its redirector's
    link and gives the publisher's as ``feedburner:origLink``): the item is shown under the publisher's and known by
    both."""

    entry_id: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None
    listed_link: str | None = None

    @property
    def is_empty(self) -> bool:
        """Nothing to identify or show: what feedparser makes of an <item> cut off mid-way."""
        return not (self.entry_id or self.link or self.title.strip() or self.summary.strip())

    def to_item(self, source_id: str, feed_link: str) -> Item:
        summary = html_to_text(self.summary)
        title = one_line(html_to_text(self.title)) or _headline(summary)
        key, *aliases = identity_keys(self.entry_id, self.link, title, self.published, other_links=(self.listed_link,))
        return Item(
            source_id=source_id,
            key=key,
            aliases=tuple(aliases),
            url=self.link or feed_link,
            title=title,
            summary=summary,
            published=self.published,
            kind="article",
        )


# --- RSS and Atom ------------------------------------------------------------------------------------------------


def _read_xml_feed(
    content: bytes, url: str, headers: Mapping[str, str], known: frozenset[str]
) -> tuple[list[_Listed], str, list[str]]:
    # Imported here: feeds are read in the pool's processes (whose server imports them once), not by the command.
    from monitor.sources.feed_xml import read_clean_feed

    clean = read_clean_feed(content, url, headers, known)
    if clean is not None:  # what feedparser would give, in a sixth of the time
        listed, link = clean
        entries = [
            _Listed(fingerprint, None if entry is None else _feedparser_entry(entry, url))
            for fingerprint, entry in listed
        ]
        return entries, _absolute(url, link) or url, []
    return _read_with_feedparser(content, url, headers)


def _read_with_feedparser(content: bytes, url: str, headers: Mapping[str, str]) -> tuple[list[_Listed], str, list[str]]:
    import feedparser

    # Always a file object: feedparser treats a str, and even bytes, as a possible path or URL to open. Its cleaning of
    # HTML and its resolving of links inside it are not asked for: summaries become plain text (``html_to_text``, which
    # drops scripts and styles), and entry links are made absolute here.
    parsed = feedparser.parse(
        io.BytesIO(content),
        response_headers={**headers, "content-location": url},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    entries = [_feedparser_entry(entry, url) for entry in parsed.entries]
    if all(entry.is_empty for entry in entries):
        if not parsed.get("version"):
            raise _not_a_feed(url, content, headers)
        if isinstance(problem, xml.sax.SAXException):
            raise SourceError(
                f"{url} sent a broken feed with no readable entries ({_in_words(problem)}); try again later"
            )
    notes = []
    # Feeds served as text/html or text/plain are common and harmless; anything else is worth a look.
    if problem is not None and not isinstance(problem, feedparser.NonXMLContentType):
        notes.append(f"{url}: the feed has errors ({_in_words(problem)}); read what could be parsed")
    feed_link = _absolute(url, parsed.feed.get("link")) or url
    # No fingerprints: feedparser reads the whole document whatever it holds, so every entry is read.
    return [_Listed(None, entry) for entry in entries], feed_link, notes


def _feedparser_entry(entry: Mapping[str, Any], url: str) -> _Entry:
    content = entry.get("content") or [{}]
    listed, publishers = _absolute(url, entry.get("link")), _absolute(url, entry.get("feedburner_origlink"))
    return _Entry(
        entry_id=entry.get("id"),
        link=publishers or listed,
        title=entry.get("title", ""),
        summary=entry.get("summary") or content[0].get("value", ""),
        published=_utc(entry.get("published_parsed") or entry.get("updated_parsed")),
        listed_link=listed if publishers else None,
    )


def _in_words(problem: Exception) -> str:
    """What the XML parser met, and where: "no element found at line 1, column 105", not "<unknown>:1:105: ..."."""
    if isinstance(problem, xml.sax.SAXParseException):
        return f"{problem.getMessage()} at line {problem.getLineNumber()}, column {problem.getColumnNumber()}"
    return str(problem)


def _utc(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's dates are struct_times already converted to UTC."""
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def _not_a_feed(url: str, content: bytes, headers: Mapping[str, str]) -> NotAFeed:
    advertised = next(iter(advertised_feeds(content, url)), None)
    hint = f"; check the address: the page links to a feed at {advertised}" if advertised else "; check the address"
    return NotAFeed(
        f"{url} did not answer with a feed (got {_describe_body(content, headers.get('content-type', ''))}){hint}",
        advertised,
    )


def _describe_body(content: bytes, content_type: str) -> str:
    start = without_bom(content)[:200].lower()
    if not start:
        return "an empty body"
    if "html" in _media_type(content_type) or start.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    return f"{_media_type(content_type) or 'a body'} that is not RSS, Atom or JSON Feed"


# --- JSON Feed ---------------------------------------------------------------------------------------------------


def _is_json(content: bytes, content_type: str) -> bool:
    start = without_bom(content)[:1]
    return start == b"{" or (_media_type(content_type) in _JSON_MEDIA_TYPES and start != b"<")


def _read_json_feed(content: bytes, url: str, known: frozenset[str]) -> tuple[list[_Listed], str, list[str]]:
    try:
        document = json.loads(content)
    except ValueError as error:
        raise SourceError(f"{url} sent JSON that cannot be read ({error}); check the address") from None
    if not isinstance(document, dict) or not _JSON_FEED_VERSION.match(str(document.get("version", ""))):
        raise SourceError(
            f"{url} did not answer with a feed (got JSON that is not a JSON Feed 1 or 1.1); check the address"
        )
    items = document.get("items")
    if not isinstance(items, list):
        raise SourceError(f"{url} sent a JSON Feed without an items list; the publisher's feed is broken")
    feed_link = _absolute(url, document.get("home_page_url")) or url
    context = f"{url}\n{feed_link}"  # what an item is read against besides its own JSON
    listed = []
    for item in items:
        if isinstance(item, dict):
            fingerprint = entry_print(context, json.dumps(item, sort_keys=True).encode())
            listed.append(_Listed(fingerprint, None if fingerprint in known else _json_feed_entry(item, url)))
    return listed, feed_link, []


def _json_feed_entry(item: Mapping[str, Any], url: str) -> _Entry:
    entry_id = item.get("id")
    return _Entry(
        entry_id=None if entry_id is None else str(entry_id),  # the spec says string; some publishers send numbers
        link=_absolute(url, item.get("url") or item.get("external_url")),
        title=str(item.get("title") or ""),
        summary=str(item.get("summary") or item.get("content_text") or item.get("content_html") or ""),
        published=utc_from_iso(str(item.get("date_published") or item.get("date_modified") or "")),
    )


# --- shared ------------------------------------------------------------------------------------------------------


def _absolute(base: str, link: Any) -> str | None:
    return urljoin(base, link.strip()) if isinstance(link, str) and link.strip() else None


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _headline(summary: str) -> str:
    """A title for an entry that has none: the start of its summary, cut at a word."""
    return shorten(summary.split("\n", 1)[0], _HEADLINE_LENGTH) or _UNTITLED
