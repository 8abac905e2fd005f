"""Feed autodiscovery: a ``type: feed`` source whose address is a web page that advertises a feed reads that feed, says
so in the poll table and `monitor status`, remembers it so later polls go straight there, and looks at the page again
only when that feed is gone."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.fetch import FetchError
from monitor.sources.base import SourceError
from monitor.sources.feed import FeedSource
from monitor.sources.feed_settings import FeedConfig
from monitor.sources.html_head import advertised_feeds
from monitor.sources.kinds import describe_state
from monitor.terminal import poll_remarks
from tests.e2e import NOW, STORIES, publish, rss_feed, write_config

PAGE = "/news/"
LONDON = ZoneInfo("Europe/London")


def news_page(*links: str, base: str = "") -> str:
    """A newspaper's front page whose head advertises ``links`` (each a whole ``<link>`` element)."""
    head = (f'<base href="{base}">' if base else "") + "".join(links)
    return f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Local News</title>
<link rel="stylesheet" href="/style.css"><link rel="alternate" hreflang="cy" href="/cy/news/">{head}</head>
<body><nav><a href="/">Home</a></nav><h1>Latest news</h1><ul><li><a href="/news/budget-vote.html">Budget</a></li></ul>
</body></html>"""


def rss_link(href: str, media_type: str = "application/rss+xml") -> str:
    return f'<link rel="alternate" type="{media_type}" title="Local News" href="{href}">'


def feed_source(url: str) -> FeedSource:
    return FeedSource(FeedConfig(id="local-news", name="Local News", type="feed", url=url))


def paths(site) -> list[str]:
    return [request.path for request in site.requests]


# --- which feed a page advertises ------------------------------------------------------------------------------------


def test_the_feeds_a_page_advertises_come_best_first_resolved_against_its_base():
    page = news_page(
        rss_link("https://feeds.elsewhere.example/local.rss"),
        rss_link("/feed.json", "application/feed+json"),
        rss_link("atom.xml", "Application/Atom+XML; charset=utf-8"),
        rss_link("mailto:news@example.org"),
        '<link rel="ALTERNATE feed" type="application/rss+xml" href=" /rss\n/all ">',
        base="/sections/",
    )

    assert advertised_feeds(page.encode(), "https://www.news.example/news/") == [
        "https://www.news.example/sections/atom.xml",  # this site's, RSS or Atom, in the page's order
        "https://www.news.example/rss/all",
        "https://www.news.example/feed.json",  # JSON Feed after them
        "https://feeds.elsewhere.example/local.rss",  # another site's last
    ]


def test_a_page_with_no_head_or_no_feed_advertises_none():
    assert advertised_feeds(news_page().encode(), "https://news.example/") == []
    assert advertised_feeds(b"plain text, not a page", "https://news.example/") == []


# --- following it ----------------------------------------------------------------------------------------------------


def test_a_page_that_advertises_a_feed_is_read_through_it_and_later_looks_go_straight_to_the_feed(site, fetcher):
    publish(site)
    site.add(PAGE, news_page(rss_link("rss.xml")))
    source = feed_source(site.url(PAGE))

    first = source.discover(fetcher, {})
    assert [item.title for item in first.items] == [story.title for story in STORIES]
    assert first.notes == (f"reading the feed the page advertises: {site.url('/news/rss.xml')}",)
    assert (first.checkpoint.feed_url, first.checkpoint.page_url) == (site.url("/news/rss.xml"), site.url(PAGE))
    assert describe_state(source.config, first.checkpoint.document(), zone=LONDON) == first.notes[0]

    requests_before = len(site.requests)
    second = source.discover(fetcher, first.checkpoint.document())
    assert second.unchanged and second.checkpoint == first.checkpoint
    assert paths(site)[requests_before:] == ["/news/rss.xml"]  # the page is not asked again
    assert site.requests[-1].headers["if-none-match"] == first.checkpoint.etag


def test_a_feed_that_is_gone_sends_the_source_back_to_the_page_for_the_feed_it_advertises_now(site, fetcher):
    publish(site)
    site.add(PAGE, news_page(rss_link("rss.xml")))
    source = feed_source(site.url(PAGE))
    first = source.discover(fetcher, {})

    site.remove("/news/rss.xml")
    site.add("/feeds/all.xml", rss_feed(site, STORIES[:1]), content_type="application/rss+xml")
    site.add(PAGE, news_page(rss_link("/feeds/all.xml")))
    moved = source.discover(fetcher, first.checkpoint.document())

    assert moved.notes == (
        f"the feed the page advertised could not be read any more ({site.url('/news/rss.xml')}: answered 404 Not "
        "Found); looked at the page again",
        f"reading the feed the page advertises: {site.url('/feeds/all.xml')}",
    )
    assert [item.title for item in moved.items] == [STORIES[0].title]
    assert moved.checkpoint.feed_url == site.url("/feeds/all.xml")


def test_a_feed_that_fails_for_a_while_is_an_error_and_the_page_is_not_read_again(site, fetcher):
    publish(site)
    site.add(PAGE, news_page(rss_link("rss.xml")))
    source = feed_source(site.url(PAGE))
    first = source.discover(fetcher, {})
    site.add("/news/rss.xml", "busy", status=503, content_type="text/plain")
    requests_before = len(site.requests)

    with pytest.raises(FetchError, match="answered 503"):
        source.discover(fetcher, first.checkpoint.document())

    assert paths(site)[requests_before:] == ["/news/rss.xml"]


def test_an_advertised_feed_that_is_no_feed_is_a_readable_error(site, fetcher):
    site.add(PAGE, news_page(rss_link("/not-really.rss")))
    site.add("/not-really.rss", news_page(rss_link("/news/")))  # a page again, advertising the first: no loop

    with pytest.raises(SourceError) as error:
        feed_source(site.url(PAGE)).discover(fetcher, {})

    assert str(error.value) == (
        f"{site.url(PAGE)} is a web page; the feed it advertises could not be read: {site.url('/not-really.rss')} did "
        f"not answer with a feed (got an HTML page); check the address: the page links to a feed at {site.url(PAGE)}"
    )


def test_a_new_address_in_the_configuration_is_read_itself_not_through_the_feed_found_before(site, fetcher):
    publish(site)
    site.add(PAGE, news_page(rss_link("rss.xml")))
    found = feed_source(site.url(PAGE)).discover(fetcher, {}).checkpoint
    site.add("/other.xml", rss_feed(site, STORIES[:1]), content_type="application/rss+xml")

    edited = feed_source(site.url("/other.xml"))
    again = edited.discover(fetcher, found.document())

    assert paths(site)[-1] == "/other.xml" and "if-none-match" not in site.requests[-1].headers
    assert [item.title for item in again.items] == [STORIES[0].title] and again.notes == ()
    assert (again.checkpoint.feed_url, again.checkpoint.page_url) == (None, None)  # nothing of the page's feed
    assert describe_state(edited.config, found.document(), zone=LONDON) == ""


# --- what the poll table and `monitor status` say ---------------------------------------------------------------


def test_the_poll_table_and_status_say_which_feed_the_page_led_to(tmp_path, site, poll_with):
    publish(site)
    site.add(PAGE, news_page(rss_link("rss.xml")))
    directory = write_config(tmp_path / "config", site)
    sources = directory / "sources.yaml"
    sources.write_text(sources.read_text().replace(site.url("/news/rss.xml"), site.url(PAGE)))

    (first,) = poll_with(directory)
    (second,) = poll_with(directory)
    (row,) = poll_with.status(directory)

    said = f"reading the feed the page advertises: {site.url('/news/rss.xml')}"
    assert (first.error, first.new_items, first.new_matches, poll_remarks(first)) == (None, 3, 1, said)
    assert (second.new_items, poll_remarks(second)) == (0, "not modified")
    assert row.read_by == said
    stored = poll_with.store.items(since=NOW - timedelta(days=30))
    assert {item.title for item in stored if item.topics} == {STORIES[0].title}
