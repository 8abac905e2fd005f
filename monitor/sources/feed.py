"""Feeds: RSS 0.9x/1.0/2.0 and Atom read by feedparser, JSON Feed 1 and 1.1 read here.

One conditional GET per look: whatever validators the last answer had (ETag, Last-Modified, either or none) go back
to the server, and a 304 costs no parsing. Servers that send none, or a new ETag every time, answer 200 with the same
body: its hash, kept with the validators, makes that as cheap as a 304.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import time
import xml.sax
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin

import feedparser

from monitor.clock import utc_from_iso
from monitor.extract import html_to_text
from monitor.fetch import Validators
from monitor.items import Item, identity_keys
from monitor.sources.base import Checkpoint, Discovery, Source, SourceConfig, SourceError
from monitor.text import one_line, shorten, without_bom

if TYPE_CHECKING:
    from monitor.fetch import Fetcher

_JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(?:\.1)?/?$")
_JSON_MEDIA_TYPES = ("application/feed+json", "application/json")
_FEED_MEDIA_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
_HEADLINE_LENGTH = 100
_UNTITLED = "(untitled)"


class FeedConfig(SourceConfig):
    type: Literal["feed"]


@dataclass(frozen=True)
class ParsedFeed:
    """The items of one feed document, and what was odd about it (a malformed feed that could still be read)."""

    items: tuple[Item, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedCheckpoint(Checkpoint):
    """The validators of the feed's last answer (ETag, Last-Modified, either or none) and the hash of the body last
    read: the keys checkpoints had before they were typed (strings, or absent), so those load as they are."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None

    @property
    def validators(self) -> Validators:
        return Validators(etag=self.etag, last_modified=self.last_modified)


class FeedSource(Source[FeedCheckpoint]):
    config_model = FeedConfig
    checkpoint_model = FeedCheckpoint

    def look(self, fetcher: Fetcher, checkpoint: FeedCheckpoint) -> Discovery:
        response = fetcher.get(self.config.url, validators=checkpoint.validators)
        fresh_for = response.fresh_for(self.clock())
        if response.not_modified:
            checkpoint = _checkpoint(response.validators, checkpoint.body_hash)
            return Discovery(unchanged=True, checkpoint=checkpoint, fresh_for=fresh_for)
        answered = _checkpoint(response.validators, hashlib.sha256(response.content).hexdigest())
        if answered.body_hash == checkpoint.body_hash:
            return Discovery(unchanged=True, checkpoint=answered, fresh_for=fresh_for)
        parsed = parse_feed(self.config.id, response.content, url=response.url, headers=response.headers)
        return Discovery(items=parsed.items, checkpoint=answered, notes=parsed.notes, fresh_for=fresh_for)


def parse_feed(source_id: str, content: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Items of a feed document downloaded from ``url`` (the final address: relative links resolve against it).

    Raises ``SourceError`` when the body is not a feed at all (an HTML page, garbage) or is too broken to give any
    entry. A well-formed feed with no entries gives no items.
    """
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    if _is_json(content, headers.get("content-type", "")):
        entries, feed_link, notes = _read_json_feed(content, url)
    else:
        entries, feed_link, notes = _read_xml_feed(content, url, headers)
    items: dict[str, Item] = {}
    skipped = 0
    for entry in entries:
        if entry.is_empty:
            skipped += 1
            continue
        item = entry.to_item(source_id, feed_link)
        items.setdefault(item.key, item)  # a feed that lists an entry twice gives one item
    if skipped:
        notes.append(f"{url}: skipped {skipped} entries with no id, link, title or summary")
    return ParsedFeed(items=tuple(items.values()), notes=tuple(notes))


@dataclass(frozen=True)
class _Entry:
    """One entry as any feed format gives it: title and summary may hold HTML, the link is absolute or None."""

    entry_id: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None

    @property
    def is_empty(self) -> bool:
        """Nothing to identify or show: what feedparser makes of an <item> cut off mid-way."""
        return not (self.entry_id or self.link or self.title.strip() or self.summary.strip())

    def to_item(self, source_id: str, feed_link: str) -> Item:
        summary = html_to_text(self.summary)
        title = one_line(html_to_text(self.title)) or _headline(summary)
        key, *aliases = identity_keys(self.entry_id, self.link, title, self.published)
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


def _read_xml_feed(content: bytes, url: str, headers: Mapping[str, str]) -> tuple[list[_Entry], str, list[str]]:
    # Always a file object: feedparser treats a str, and even bytes, as a possible path or URL to open.
    parsed = feedparser.parse(io.BytesIO(content), response_headers={**headers, "content-location": url})
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    entries = [_feedparser_entry(entry, url) for entry in parsed.entries]
    if all(entry.is_empty for entry in entries):
        if not parsed.get("version"):
            raise SourceError(_not_a_feed(url, content, headers, parsed))
        if isinstance(problem, xml.sax.SAXException):
            raise SourceError(
                f"{url} sent a broken feed with no readable entries ({_in_words(problem)}); try again later"
            )
    notes = []
    # Feeds served as text/html or text/plain are common and harmless; anything else is worth a look.
    if problem is not None and not isinstance(problem, feedparser.NonXMLContentType):
        notes.append(f"{url}: the feed has errors ({_in_words(problem)}); read what could be parsed")
    feed_link = _absolute(url, parsed.feed.get("link")) or url
    return entries, feed_link, notes


def _feedparser_entry(entry: Mapping[str, Any], url: str) -> _Entry:
    content = entry.get("content") or [{}]
    return _Entry(
        entry_id=entry.get("id"),
        link=_absolute(url, entry.get("link")),
        title=entry.get("title", ""),
        summary=entry.get("summary") or content[0].get("value", ""),
        published=_utc(entry.get("published_parsed") or entry.get("updated_parsed")),
    )


def _in_words(problem: Exception) -> str:
    """What the XML parser met, and where: "no element found at line 1, column 105", not "<unknown>:1:105: ..."."""
    if isinstance(problem, xml.sax.SAXParseException):
        return f"{problem.getMessage()} at line {problem.getLineNumber()}, column {problem.getColumnNumber()}"
    return str(problem)


def _utc(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's dates are struct_times already converted to UTC."""
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def _not_a_feed(url: str, content: bytes, headers: Mapping[str, str], parsed: Mapping[str, Any]) -> str:
    advertised = [
        link["href"]
        for link in parsed.get("feed", {}).get("links", [])
        if link.get("rel") == "alternate" and link.get("type") in _FEED_MEDIA_TYPES and link.get("href")
    ]
    hint = f"; check the address: the page links to a feed at {advertised[0]}" if advertised else "; check the address"
    return f"{url} did not answer with a feed (got {_describe_body(content, headers.get('content-type', ''))}){hint}"


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


def _read_json_feed(content: bytes, url: str) -> tuple[list[_Entry], str, list[str]]:
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
    return [_json_feed_entry(item, url) for item in items if isinstance(item, dict)], feed_link, []


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


def _checkpoint(validators: Validators, body_hash: str | None) -> FeedCheckpoint:
    """What there is of the answer's validators, and the hash of the body last read."""
    return FeedCheckpoint(validators.etag or None, validators.last_modified or None, body_hash or None)


def _absolute(base: str, link: Any) -> str | None:
    return urljoin(base, link.strip()) if isinstance(link, str) and link.strip() else None


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _headline(summary: str) -> str:
    """A title for an entry that has none: the start of its summary, cut at a word."""
    return shorten(summary.split("\n", 1)[0], _HEADLINE_LENGTH) or _UNTITLED
