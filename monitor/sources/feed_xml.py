"""A lean reader of clean RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 documents on lxml, giving the entry values feedparser
gives for them.

Why a second reader: speed. On the poll bench's feeds (40 entries, bench/feedread.py) feedparser takes about 17 ms of
CPU a feed (its SAX handlers run in Python for every element and every piece of text) and this reader about 3 ms (lxml
builds the tree in C; only the elements Beatwatch reads are looked at); ``parse_feed`` as a whole went from 20 to 6 ms.
In the pool of processes that was most of a first look's CPU and about 20 ms of every new story (issue 13).

feedparser stays the reference and the fallback. ``read_clean_feed`` answers only for a document it can map with
confidence: well-formed XML that feedparser too would decode as it is and read with its strict parser (no error other
than a non-XML media type, no DOCTYPE), a root of RSS 2.0, RSS 1.0 or Atom 1.0, and only elements whose handling in
feedparser 6 is mirrored here, each where it belongs, fields given at most once and as plain text. Anything else
(broken XML, an unknown root or namespace, markup inside a field, a second summary, an encoding feedparser would
override) gives None, and the caller reads the document with feedparser as before, so broken feeds read and are
noted exactly as they were. tests/test_feed_xml.py parses every fixture and many variants both ways and requires
equal items.

What is mirrored of feedparser's strict path (``feedparser.mixin``, ``feedparser.namespaces._base``): element names
as it dispatches them (namespaces mapped to its prefixes, local names lower-cased); text stripped, mis-decoded UTF-8
repaired and Windows-1252 code points mapped, as its ``pop`` does; a guid or id with ``isPermaLink`` unset or "true"
is made absolute against the base (the document's address, or ``xml:base``) and is the link when no link came before
it; a ``<link>``'s text replaces the link, an Atom link with ``href`` does so when its rel is alternate and its type
HTML; the summary is the description or summary, else the content; dates go through feedparser's own date parser,
except the two shapes nearly every feed uses (RFC 822 and W3C date-times), which are read here the way its rfc822 and
w3dtf handlers read them. feedparser's own pieces serve wherever they can (its decoding, namespace table, content
types, month names, URL joining, date parser and Windows-1252 table), some of them private: pyproject.toml keeps
feedparser below 7, and the differential test is what tells when a release changes them.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Container, Mapping
from datetime import datetime, timedelta
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.datetimes.rfc822 import months as _MONTHS  # lower-case names, by number
from feedparser.encodings import convert_to_utf8
from feedparser.exceptions import NonXMLContentType
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from monitor.sources.feed_prints import entry_print

Entry = dict[str, Any]  # the keys of a feedparser entry that Beatwatch reads, with feedparser's values
# An entry's fingerprint (``monitor.sources.feed_prints``), and what it gives; None when its fingerprint was known, so
# it was not read: its item was stored from an earlier body.
Listed = tuple[str, Entry | None]

_ATOM = "http://www.w3.org/2005/Atom"
_RSS1 = "http://purl.org/rss/1.0/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_TEXT_TYPES = {"text", "html", "text/plain", "text/html"}  # "xhtml" is escaped markup in feedparser: not mirrored
_QUERY_ENTITY = re.compile("&([A-Za-z0-9_]+);")

# Elements that leave the values read here as they are in feedparser, when they hold no elements themselves.
_ENTRY_IGNORED = {
    "author", "category", "comments", "enclosure", "dc:creator", "dc:subject", "media:content", "media:thumbnail",
    "slash:comments", "wfw:commentrss", "feedburner:origenclosurelink",
}  # fmt: skip
_FEED_IGNORED = {
    "title", "subtitle", "description", "language", "copyright", "rights", "managingeditor", "webmaster", "pubdate",
    "lastbuilddate", "updated", "published", "category", "generator", "docs", "ttl", "icon", "logo", "dc:language",
    "dc:creator", "dc:rights", "dc:publisher", "dc:date", "sy:updateperiod", "sy:updatefrequency", "sy:updatebase",
}  # fmt: skip
# Elements that hold only such elements: what they hold goes to a record of its own in feedparser (the feed's image,
# an author), never to the link or the entries.
_GROUPS = {
    "image": {"title", "url", "link", "width", "height", "description"},
    "author": {"name", "email", "uri"},
    "items": {"rdf:seq"},
    "rdf:seq": {"rdf:li"},
}
_RFC822 = re.compile(
    rf"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{{1,2}}) ({'|'.join(map(str.capitalize, _MONTHS))}) (\d{{4}}) "
    r"(\d\d):(\d\d):(\d\d) (?:([+-])(\d\d)(\d\d)|GMT|UTC|UT|Z)"
)
_W3C = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:Z|([+-])(\d\d):(\d\d))")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


class _NotClean(Exception):
    """The document holds something not mirrored here: feedparser reads it."""


def read_clean_feed(
    content: bytes, url: str, headers: Mapping[str, str], known: Container[str] = ()
) -> tuple[list[Listed], str | None] | None:
    """The entries of a clean feed document as feedparser gives them (the keys Beatwatch reads), each with its
    fingerprint and unread when the fingerprint is among ``known``, and the feed's own link; None when feedparser must
    read it. ``headers`` are the response's, names in lower case."""
    decoded: dict[str, Any] = {}
    data = convert_to_utf8({**headers, "content-location": url}, content, decoded)  # feedparser's decoding, as is
    problem = decoded.get("bozo_exception")
    if not decoded.get("encoding") or (problem is not None and not isinstance(problem, NonXMLContentType)):
        return None
    try:
        root = etree.fromstring(data, _PARSER)
        if root.getroottree().docinfo.doctype:
            return None  # feedparser rewrites DOCTYPEs and their entities
        return _Reader(root, url).read(known)
    except (etree.XMLSyntaxError, _NotClean):
        return None


class _Reader:
    def __init__(self, root: etree._Element, url: str) -> None:
        self.root = root
        self.url = make_safe_absolute_uri(url, url) or url  # as feedparser tidies it at the first element
        self.xml_base = any(_XML_BASE in element.attrib for element in root.iter(etree.Element))

    def read(self, known: Container[str]) -> tuple[list[Listed], str | None]:
        root, feed_link, entries = self.root, Entry(), []
        if root.tag == "rss" and root.get("version", "").startswith("2."):
            channels = _children(root)
            if [channel.tag for channel in channels] != ["channel"]:
                raise _NotClean
            _check_attributes(root, {"version"})
            containers, entry_parent = channels, channels[0]
        elif root.tag == f"{{{_RDF}}}RDF" and _RSS1 in root.nsmap.values():
            containers = [root, *(child for child in _children(root) if child.tag == f"{{{_RSS1}}}channel")]
            entry_parent = root
        elif root.tag == f"{{{_ATOM}}}feed":
            containers, entry_parent = [root], root
        else:
            raise _NotClean
        for container in containers:
            _check_attributes(container, {"version", f"{{{_RDF}}}about"})
            for child in _children(container):
                name = _name(child)
                if name in ("item", "entry") and container is entry_parent:
                    entries.append(child)
                elif child in containers:
                    continue
                elif name == "link":
                    self._read_link(child, feed_link, in_entry=False)
                elif name in ("id", "guid"):
                    self._read_id(child, feed_link)
                elif not (name in _FEED_IGNORED and _is_leaf(child)) and not _is_group(child, name):
                    raise _NotClean
        link = feed_link.get("link")
        return [self._listed(entry, link, known) for entry in entries], link

    def _listed(self, element: etree._Element, feed_link: str | None, known: Container[str]) -> Listed:
        """An entry with its fingerprint, read unless the fingerprint is ``known``. A known entry was clean when it was
        read, and its markup is the same, so it is clean now: not reading it cannot hide a reason to give the document
        to feedparser."""
        # Its item depends on its markup, its base (the address or xml:base) and, when it has no link, the feed's link.
        context = f"{self._base(element)}\n{feed_link}"
        fingerprint = entry_print(context, etree.tostring(element, with_tail=False))
        return fingerprint, None if fingerprint in known else self._entry(element)

    def _entry(self, element: etree._Element) -> Entry:
        entry: Entry = {}
        _check_attributes(element, {f"{{{_RDF}}}about"} if element.tag == f"{{{_RSS1}}}item" else set())
        if about := element.get(f"{{{_RDF}}}about"):
            entry["id"] = about
        seen: set[str] = set()
        for child in _children(element):
            name = _name(child)
            read = _ENTRY_FIELDS.get(name)
            if read is not None:
                field = _FIELD_OF.get(name, name)
                if field in seen or not _is_leaf(child):
                    raise _NotClean  # a field given twice: which one wins depends on feedparser's state
                if field != "link":  # several links are common (alternate, enclosure, replies): the rules decide
                    seen.add(field)
                read(self, child, name, entry)
            elif not (name in _ENTRY_IGNORED and _is_leaf(child)) and not _is_group(child, name):
                raise _NotClean
        return entry

    def _read_link(self, element: etree._Element, context: Entry, *, in_entry: bool) -> None:
        if not _is_leaf(element):
            raise _NotClean
        attributes = {key.lower(): value for key, value in element.attrib.items()}
        if "url" in attributes or "uri" in attributes:
            raise _NotClean
        if "href" not in attributes:  # the link as text
            _check_attributes(element, set())
            link = self._text(element, resolve=True)
            # feedparser undoes what it takes for unescaped character references in a query ("?a=1&b;=2")
            context["link"] = _QUERY_ENTITY.sub(r"&\g<1>", link.replace("&amp;", "&") if in_entry else link)
            return
        if not attributes["href"]:
            raise _NotClean
        rel = attributes.get("rel", "alternate").lower()
        kind = attributes.get("type", "application/atom+xml" if rel == "self" else "text/html").lower()
        if rel == "alternate" and _FeedParserMixin.map_content_type(kind) in _FeedParserMixin.html_types:
            context["link"] = _urljoin(self._base(element), attributes["href"])

    def _read_id(self, element: etree._Element, context: Entry) -> None:
        _check_attributes(element, {"isPermaLink"})
        is_link = element.get("isPermaLink", "true") == "true"
        context["id"] = value = self._text(element, resolve=is_link)
        if is_link:
            context.setdefault("link", value)

    def _read_title(self, element: etree._Element, name: str, entry: Entry) -> None:
        _check_text_type(element)
        entry["title"] = self._text(element)

    def _read_summary(self, element: etree._Element, name: str, entry: Entry) -> None:
        _check_text_type(element)
        entry["summary"] = self._text(element)  # the description wins over content given before it

    def _read_content(self, element: etree._Element, name: str, entry: Entry) -> None:
        _check_text_type(element)
        value = self._text(element)
        entry["content"] = [{"value": value}]
        entry.setdefault("summary", value)

    def _read_origlink(self, element: etree._Element, name: str, entry: Entry) -> None:
        _check_attributes(element, set())
        entry["feedburner_origlink"] = self._text(element)

    def _read_date(self, element: etree._Element, name: str, entry: Entry) -> None:
        _check_attributes(element, set())
        entry[f"{_FIELD_OF.get(name, name)}_parsed"] = parse_date(self._text(element))

    def _read_entry_link(self, element: etree._Element, name: str, entry: Entry) -> None:
        self._read_link(element, entry, in_entry=True)

    def _read_entry_id(self, element: etree._Element, name: str, entry: Entry) -> None:
        self._read_id(element, entry)

    def _text(self, element: etree._Element, *, resolve: bool = False) -> str:
        """The element's text as feedparser's ``pop`` gives it."""
        value = (element.text or "").strip()
        if resolve and value:
            value = _urljoin(self._base(element), value)
        if value.isascii():
            return value
        with contextlib.suppress(UnicodeError):  # UTF-8 that the publisher took for Latin-1, repaired
            value = value.encode("iso-8859-1").decode("utf-8")
        return value.translate(_cp1252)

    def _base(self, element: etree._Element) -> str:
        """The address relative links in ``element`` resolve against: the document's, or the ``xml:base`` in scope."""
        base = self.url
        if self.xml_base:
            for each in (*reversed(list(element.iterancestors())), element):
                if stated := each.get(_XML_BASE):
                    base = make_safe_absolute_uri(base, stated) or base
        return base


_ENTRY_FIELDS: dict[str, Callable[[_Reader, etree._Element, str, Entry], None]] = {
    "title": _Reader._read_title,
    "description": _Reader._read_summary,
    "summary": _Reader._read_summary,
    "content:encoded": _Reader._read_content,
    "content": _Reader._read_content,
    "link": _Reader._read_entry_link,
    "guid": _Reader._read_entry_id,
    "id": _Reader._read_entry_id,
    "feedburner:origlink": _Reader._read_origlink,
    "pubdate": _Reader._read_date,
    "published": _Reader._read_date,
    "updated": _Reader._read_date,
    "dc:date": _Reader._read_date,
}
# Elements that fill the same value; a second one is not mirrored. Links are left out: feedparser keeps the last.
_FIELD_OF = {
    "description": "summary", "content:encoded": "content", "guid": "id", "pubdate": "published",
    "dc:date": "updated",
}  # fmt: skip


def parse_date(value: str) -> time.struct_time | None:
    """A date as feedparser reads it, in UTC; the common RFC 822 and W3C shapes without its chain of parsers."""
    if rfc822 := _RFC822.fullmatch(value):
        day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = rfc822.groups()
        fields = (int(year), _MONTHS[month.lower()], int(day), int(hour), int(minute), int(second))
    elif w3c := _W3C.fullmatch(value):
        *numbers, sign, zone_hours, zone_minutes = w3c.groups()
        fields = tuple(int(number) for number in numbers)  # type: ignore[assignment]
    else:
        return _parse_date(value)
    try:
        stamp = datetime(*fields)
    except ValueError:
        return _parse_date(value)
    offset = timedelta(hours=int(zone_hours or 0), minutes=int(zone_minutes or 0))
    return (stamp + offset if sign == "-" else stamp - offset).utctimetuple()


def _name(element: etree._Element) -> str:
    """The element's name as feedparser dispatches it: "title", "content:encoded", "dc:date"."""
    tag = element.tag
    if not isinstance(tag, str):
        raise _NotClean  # a comment or processing instruction among the elements
    namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
    prefix = _PREFIXES.get(namespace.lower()) if namespace else ""
    if prefix is None or "backend.userland.com/rss" in namespace.lower():
        raise _NotClean  # feedparser names elements of unknown namespaces by the document's prefixes
    return f"{prefix}:{local.lower()}" if prefix else local.lower()


def _children(element: etree._Element) -> list[etree._Element]:
    """The elements in ``element``: comments and processing instructions between them are nothing to feedparser."""
    return [child for child in element if isinstance(child.tag, str)]


def _is_leaf(element: etree._Element) -> bool:
    return len(element) == 0


def _is_group(element: etree._Element, name: str) -> bool:
    inside = _GROUPS.get(name)
    return inside is not None and all(
        (_name(child) in inside and _is_leaf(child)) or _is_group(child, _name(child)) for child in _children(element)
    )


def _check_attributes(element: etree._Element, allowed: set[str]) -> None:
    if any(key not in allowed and key not in (_XML_BASE, _XML_LANG) for key in element.attrib):
        raise _NotClean


def _check_text_type(element: etree._Element) -> None:
    _check_attributes(element, {"type"})
    kind = element.get("type")
    if kind is not None and kind.lower() not in _TEXT_TYPES:
        raise _NotClean
