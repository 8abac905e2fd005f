"""The lean RSS/Atom reader against feedparser: every feed fixture and many variants read both ways give the same
items and notes, and what the lean reader does not mirror goes to feedparser."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from feedparser.datetimes import _parse_date

from monitor.demo.sample_site import sample_pages
from monitor.sources.base import SourceError
from monitor.sources.feed import ParsedFeed, _parsed_feed, _read_with_feedparser, parse_feed
from monitor.sources.feed_xml import parse_date, read_clean_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
URL = "https://news.fixture.example/section/feed.xml"
RSS = "application/rss+xml"


def by_feedparser(content: bytes, headers: dict[str, str]) -> ParsedFeed:
    """What feedparser alone makes of ``content``: the reference."""
    return _parsed_feed("fixture", URL, *_read_with_feedparser(content, URL, headers))


def assert_read_alike(content: bytes, content_type: str | None = RSS, *, lean: bool = True) -> ParsedFeed:
    """Both readers give the same items and notes; ``lean``: the lean reader answered (no fallback)."""
    headers = {"content-type": content_type} if content_type else {}
    parsed, reference = parse_feed("fixture", content, url=URL, headers=headers), by_feedparser(content, headers)
    assert (parsed.items, parsed.notes) == (reference.items, reference.notes)  # the fingerprints only the lean one has
    assert (read_clean_feed(content, URL, headers) is not None) is lean
    assert bool(parsed.entry_prints) is (lean and bool(parsed.items))
    # Read again as the next poll reads it: nothing new, the same notes, and the same fingerprints kept.
    again = parse_feed("fixture", content, url=URL, headers=headers, known=frozenset(parsed.entry_prints))
    assert again == replace(parsed, items=() if lean else parsed.items)
    return parsed


# --- documents ---------------------------------------------------------------------------------------------------


def rss(items: str, channel: str = "<title>T</title><link>https://news.fixture.example/</link>", *,
        head: str = '<?xml version="1.0" encoding="UTF-8"?>', namespaces: str = "") -> bytes:  # fmt: skip
    return f'{head}<rss version="2.0"{namespaces}><channel>{channel}{items}</channel></rss>'.encode()


def atom(entries: str, feed: str = '<title>T</title><link href="/"/><id>urn:feed</id>', attributes: str = "") -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{attributes}>{feed}{entries}</feed>'.encode()


def rdf(items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://p.example/"><title>P</title><link>https://p.example/news</link>'
        f'<items><rdf:Seq><rdf:li rdf:resource="https://p.example/1"/></rdf:Seq></items></channel>{items}</rdf:RDF>'
    ).encode()


ITEM = "<item><title>{title}</title><link>{link}</link><guid>{guid}</guid><description>{summary}</description></item>"

CLEAN_RSS_ITEMS = {
    "cdata": "<item><title><![CDATA[Cuts & <em>closures</em>]]></title><link>https://n.example/1</link>"
    "<description><![CDATA[<p>One</p><p>&nbsp;</p><p>Two &amp; three</p>]]></description></item>",
    "entities": ITEM.format(
        title="Fish &amp; chips &#8217;n&#x2019; &lt;b&gt;bold&lt;/b&gt;",
        link="/a?x=1&amp;y=2",
        guid="g-1",
        summary="&amp;pound;12 &amp;hellip;",
    ),
    "html_in_title": ITEM.format(
        title="&lt;b&gt;Knife&lt;/b&gt; crime &lt;br/&gt;down",
        link="/b",
        guid="/b",
        summary="&lt;ul&gt;&lt;li&gt;one&lt;li&gt;two&lt;/ul&gt;",
    ),
    "relative_links": '<item xml:base="https://other.example/dir/"><title>R</title><link>page.html</link>'
    "<guid>guid-as-link</guid></item><item><title>S</title><link>../up.html</link></item>",
    "guid_not_permalink": '<item><title>G</title><guid isPermaLink="false">/not/a/link</guid></item>',
    "guid_permalink_alone": "<item><title>G</title><guid>/relative/permalink</guid></item>",
    "guid_before_link": "<item><guid>https://n.example/guid</guid><link>https://n.example/link</link></item>",
    "guid_true_capitalised": '<item><title>G</title><guid isPermaLink="True">https://n.example/g</guid></item>',
    "missing_fields": "<item><description>Only a summary, no title or link.</description></item><item></item>"
    "<item><title>  </title><link></link></item>",
    "content_encoded": "<item><title>C</title><content:encoded><![CDATA[<p>Full</p>]]></content:encoded></item>"
    "<item><content:encoded>Full</content:encoded><description>Short</description></item>"
    "<item><description></description><content:encoded>From content</content:encoded></item>",
    "origlink": "<item><title>F</title><link>https://feeds.example/~r/x/1</link>"
    "<feedburner:origLink>https://pub.example/story</feedburner:origLink></item>",
    "ignored_elements": "<item><title>I</title><link>/i</link><author>a@b.example</author><category>c</category>"
    '<comments>/c</comments><enclosure url="/e.jpg" type="image/jpeg" length="1"/><dc:creator>D</dc:creator>'
    '<media:content url="/m.jpg"/><media:thumbnail url="/t.jpg"/><slash:comments>3</slash:comments></item>',
    "atom_link_in_item": '<item><title>A</title><atom:link href="/alt" rel="alternate"/><link>/text</link></item>'
    '<item><title>B</title><link>/text</link><atom:link href="/self" rel="self"/></item>',
    "mojibake": ITEM.format(title="CafÃ© owner\u0092s plea", link="/m", guid="m", summary="\u0093Quoted\u0094"),
    "non_ascii": ITEM.format(title="Café £12 – “quoted”", link="/caf%C3%A9", guid="ü-1", summary="naïve"),
    "dc_date": "<item><title>D</title><dc:date>2026-11-20T14:00:00+01:00</dc:date></item>"
    "<item><title>E</title><pubDate>Tue, 24 Nov 2026 18:30:00 +0000</pubDate>"
    "<dc:date>2020-01-01T00:00:00Z</dc:date></item>",
    "odd_dates": "<item><title>1</title><pubDate>24 Nov 2026 18:30 EST</pubDate></item>"
    "<item><title>2</title><pubDate>Tuesday, 24-Nov-26 18:30:00 GMT</pubDate></item>"
    "<item><title>3</title><pubDate>2026-11-24</pubDate></item>"
    "<item><title>4</title><pubDate>not a date</pubDate></item>"
    "<item><title>5</title><pubDate>Mon, 31 Feb 2026 10:00:00 +0000</pubDate></item>",
    "comments_between": "<!-- a comment --><item><title>K</title><!-- x --><link>/k</link></item>",
}
NAMESPACES = (
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0" xmlns:media="http://search.yahoo.com/mrss/"'
    ' xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:atom="http://www.w3.org/2005/Atom"'
)


@pytest.mark.parametrize("name", sorted(CLEAN_RSS_ITEMS))
def test_rss_variants_read_alike_by_the_lean_reader(name):
    parsed = assert_read_alike(rss(CLEAN_RSS_ITEMS[name], namespaces=NAMESPACES))

    assert parsed.items  # every variant holds something to read


@pytest.mark.parametrize(
    "entries",
    [
        '<entry><title type="html">&lt;b&gt;Bold&lt;/b&gt; move</title><id>urn:e:1</id>'
        '<updated>2026-11-25T12:00:00Z</updated><summary type="html">&lt;p&gt;S&lt;/p&gt;</summary>'
        '<content type="html">&lt;p&gt;C&lt;/p&gt;</content></entry>',
        "<entry><id>/relative-id</id><title>No link: the id is the link</title>"
        "<published>2026-11-01T09:00:00.123-05:30</published>"
        "<updated>2026-11-02T09:00:00+00:00</updated></entry>",
        '<entry xml:base="https://base.example/a/"><title>Links</title><link rel="self" href="self.atom"/>'
        '<link rel="enclosure" href="e.mp3" type="audio/mpeg"/><link rel="alternate" type="text/html" href="story"/>'
        '<link rel="related" href="other"/><id>urn:e:3</id><author><name>N</name><uri>/n</uri></author></entry>',
        '<entry><link href="/first"/><id>https://n.example/id</id><title type="text">T</title>'
        '<content>Plain content only</content><category term="x"/></entry>',
        '<entry><title>Atom xml type link</title><link rel="alternate" type="application/atom+xml" href="/x"/>'
        "<id>tag:n.example,2026:1</id></entry>",
    ],
)
def test_atom_variants_read_alike_by_the_lean_reader(entries):
    assert_read_alike(atom(entries), "application/atom+xml")


def test_rdf_feed_reads_alike_by_the_lean_reader():
    items = (
        '<item rdf:about="https://p.example/1"><title>One</title><link>https://p.example/1</link>'
        "<description>&lt;p&gt;D&lt;/p&gt;</description><dc:date>2026-11-20T14:00:00Z</dc:date></item>"
        '<item rdf:about="https://p.example/2"><title>Two</title><link>/2</link></item>'
    )
    assert_read_alike(rdf(items), "application/rdf+xml")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"\xef\xbb\xbf" + rss(CLEAN_RSS_ITEMS["non_ascii"]), RSS),  # a byte order mark
        (rss(CLEAN_RSS_ITEMS["entities"], head='<?xml version="1.0"?>'), "text/html"),  # served as HTML: not noted
        (rss(CLEAN_RSS_ITEMS["entities"]), None),  # no content type at all
        (rss(CLEAN_RSS_ITEMS["entities"]), "text/xml"),  # ASCII: us-ascii, as RFC 3023 has it, reads the same
        (rss(CLEAN_RSS_ITEMS["non_ascii"]), "application/xml; charset=iso-8859-1"),  # the header wins: mojibake
        (rss(""), RSS),  # no items
        (atom(""), "application/atom+xml"),
    ],
)
def test_served_variants_read_alike_by_the_lean_reader(content, content_type):
    assert_read_alike(content, content_type)


def test_declared_latin1_and_windows_1252_read_alike():
    # Latin-1's C1 controls stand for Windows-1252's quotes in many feeds: feedparser maps them, and so must we
    for encoding, quoted in (("iso-8859-1", "\x93owner\x94"), ("windows-1252", "\u201cowner\u201d")):
        body = rss(ITEM.format(title=f"Caf\xe9 {quoted}", link="/c", guid="c", summary="\xa312"),
                   head=f'<?xml version="1.0" encoding="{encoding}"?>').decode().encode(encoding)  # fmt: skip

        assert_read_alike(body, "application/xml")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (rss(CLEAN_RSS_ITEMS["non_ascii"]), "text/xml"),  # us-ascii overridden: feedparser notes it
        (rss(ITEM.format(title="&nbsp;", link="/", guid="g", summary="s")), RSS),  # an HTML entity: not XML
        (rss("<item><title>One</title><title>Two</title></item>"), RSS),  # a field twice
        (rss("<item><description>a</description><description>b</description></item>"), RSS),
        (rss("<item><title>T</title><description><p>markup</p></description></item>"), RSS),
        (rss("<item><title>T</title><x:y xmlns:x='https://unknown.example/'>z</x:y></item>"), RSS),
        (rss("<item><title>T</title><media:title>M</media:title></item>", namespaces=NAMESPACES), RSS),
        (rss("<item><title>T</title></item>").replace(b'"2.0"', b'"0.91"'), RSS),
        (
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "x">]><rss version="2.0"><channel><item><title>&e;</title>'
            b"</item></channel></rss>",
            RSS,
        ),
        (atom('<entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X</div></title></entry>'), RSS),
        (
            atom(
                '<entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>X</p></div></content></entry>'
            ),
            RSS,
        ),
        (atom('<entry><title>T</title><content src="/c"/></entry>'), RSS),
        ("<rss version='2.0'><channel><item><title>Ünï</title></item></channel></rss>".encode("utf-16"), RSS),
        ((FEEDS / "rss2-broken.xml").read_bytes(), RSS),
    ],
)
def test_what_the_lean_reader_does_not_mirror_goes_to_feedparser(content, content_type):
    assert_read_alike(content, content_type, lean=False)


@pytest.mark.parametrize(
    "content", [b"<html><body><p>Not a feed</p></body></html>", b"<nothing/>", b"", b"\x00garbage"]
)
def test_bodies_that_are_no_feed_go_to_feedparser_for_their_error(content):
    headers = {"content-type": "text/html"}

    assert read_clean_feed(content, URL, headers) is None
    with pytest.raises(SourceError, match="did not answer with a feed"):
        parse_feed("fixture", content, url=URL, headers=headers)


def test_malformed_feed_takes_the_fallback_and_is_noted_as_before():
    content = (FEEDS / "rss2-broken.xml").read_bytes()

    parsed = assert_read_alike(content, RSS, lean=False)

    assert [item.title for item in parsed.items] == [
        "Fish & chips van damaged in Shoeburyness",
        "Garrison cadets raise funds",
    ]
    assert parsed.notes == (
        f"{URL}: the feed has errors (not well-formed (invalid token) at line 8, column 19); read what could be parsed",
    )


# --- fixtures and demo feeds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rss2.xml", "rss2-no-guid.xml", "rss1.xml", "atom.xml"])
def test_feed_fixtures_read_alike_by_the_lean_reader(name):
    assert_read_alike((FEEDS / name).read_bytes(), "application/xml")


def test_demo_feeds_read_alike_by_the_lean_reader():
    feeds = [page for page in sample_pages("http://127.0.0.1:8000") if page.path.endswith((".xml", ".atom"))]

    assert len(feeds) == 2
    for page in feeds:
        assert_read_alike(page.body.encode(), page.content_type)


# --- dates -------------------------------------------------------------------------------------------------------


def test_dates_read_as_feedparser_reads_them():
    rng = random.Random(13)
    zones = [timezone(timedelta(minutes=minutes)) for minutes in (0, 60, -300, 330, -570, 765, -720, 840)]
    shapes = []
    for _ in range(400):
        moment = datetime(rng.randrange(1970, 2100), 1, 1, tzinfo=rng.choice(zones)) + timedelta(
            seconds=rng.randrange(366 * 86400)
        )
        shapes += [
            format_datetime(moment),
            format_datetime(moment.astimezone(UTC), usegmt=True),
            format_datetime(moment)[5:],  # no day name
            format_datetime(moment).replace(format_datetime(moment)[:3], rng.choice(["Mon", "Sun"])),  # wrong day
            moment.isoformat(),
            moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            moment.isoformat(timespec="microseconds"),
        ]
    shapes += [f"Tue, 24 Nov 2026 18:30:00 {zone}" for zone in ("UT", "Z", "UTC", "GMT", "EST", "+0000", "-0930")]
    shapes += ["Tue, 4 Nov 2026 18:30:00 +0000", "Tue, 31 Nov 2026 18:30:00 +0000", "2026-02-30T10:00:00Z"]
    shapes += ["2026-11-24T24:00:00Z", "2026-11-24T18:30:60Z", "24 Nov 26 18:30 GMT", "2026-11-24T18:30Z", ""]

    assert [parse_date(shape) for shape in shapes] == [_parse_date(shape) for shape in shapes]
