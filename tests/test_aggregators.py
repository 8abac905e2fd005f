"""Links through redirectors and aggregators (Google News, FeedBurner): followed to the publisher's page before the
story is stored, so it merges with the publisher's own copy, under the fetcher's usual limits.

One local server plays both parts: the aggregator as "localhost", the publisher as "127.0.0.1". As the two names are
two hosts, and 127.0.0.1 is a private address, the end-to-end tests allow private links (but the guard's own test).
Real Google News article links today answer with a page that needs a browser (or a consent form) rather than a plain
redirect: that case is tested too, and ends with the story matched on the feed's text under the aggregator's link.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from monitor.app import App
from monitor.config import load_config
from monitor.config_checks import rules_check
from monitor.demo.server import LocalSite
from monitor.fetch import FetchError, LinkRefused
from monitor.links import LinkSettings, open_page
from monitor.page_retry import FIRST_PAGE_RETRY
from monitor.sources.feed import parse_feed
from monitor.store import Store
from tests.e2e import NOW, STORIES, Story, article_page, publish, write_config
from tests.test_delivery import matches, succeeded
from tests.test_page_retry import Clock

Redirector = Callable[[LocalSite, Story], None]


def aggregator_address(site: LocalSite, path: str) -> str:
    return site.url(path).replace("127.0.0.1", "localhost")


def article_id(story: Story) -> str:
    return f"CBMi{story.slug.replace('-', '')}"


def google_feed(site: LocalSite, stories=STORIES, *, oc: int = 5, direct: Story | None = None) -> str:
    """An aggregator's search feed as Google News writes one: titles with the outlet's name, links through the
    aggregator, the article id as guid, a summary that is a link and the outlet's name. ``direct`` is also listed under
    the publisher's own link (an aggregator that sometimes links straight to the page)."""

    def item(guid: str, story: Story, link: str) -> str:
        summary = f'<a href="{link}">{story.title}</a>&nbsp;&nbsp;<font color="#6f6f6f">Local News</font>'
        return (
            f"<item><title>{escape(story.title)} - Local News</title><link>{escape(link)}</link>"
            f'<guid isPermaLink="false">{guid}</guid><pubDate>{format_datetime(NOW - story.age)}</pubDate>'
            f"<description>{escape(summary)}</description><source>Local News</source></item>"
        )

    items = [
        item(article_id(story), story, aggregator_address(site, f"/rss/articles/{article_id(story)}?oc={oc}"))
        for story in stories
    ]
    if direct is not None:
        items.append(item(f"direct-{direct.slug}", direct, site.url(f"/news/{direct.slug}.html")))
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>"southend" - Google News</title>
<link>{aggregator_address(site, "/")}</link><description>Google News</description>{"".join(items)}</channel></rss>"""


def publisher_page(site: LocalSite, story: Story) -> str:
    return site.url(f"/news/{story.slug}.html?utm_source=google&utm_medium=news")


def http_chain(site: LocalSite, story: Story) -> None:
    """301 to another of the aggregator's addresses, then 302 to the publisher's page."""
    hop = aggregator_address(site, f"/rss/read/{article_id(story)}")
    site.add(f"/rss/articles/{article_id(story)}", "", status=301, headers={"Location": hop})
    site.add(f"/rss/read/{article_id(story)}", "", status=302, headers={"Location": publisher_page(site, story)})


def refresh_html(target: str) -> str:
    """A page that sends the reader on: a script for browsers, and a meta refresh for readers without scripts."""
    return f"""<!doctype html><html><head><title>Google News</title>
<script>window.location.replace({json.dumps(target)});</script>
<noscript><meta http-equiv="refresh" content="0;url={escape(target)}"></noscript></head>
<body><p>Opening the article… Read more about Southend stabbing knife crime news.</p></body></html>"""


def refresh_page(site: LocalSite, story: Story) -> None:
    """The aggregator's link answers with a page that sends the reader on to the publisher's."""
    site.add(f"/rss/articles/{article_id(story)}", refresh_html(publisher_page(site, story)))


def redirect_to_refresh(site: LocalSite, story: Story) -> None:
    """A 302 to another page of the aggregator, which sends the reader on to the publisher's."""
    onward = f"/rss/go/{article_id(story)}"
    site.add(onward, refresh_html(publisher_page(site, story)))
    site.add(
        f"/rss/articles/{article_id(story)}", "", status=302, headers={"Location": aggregator_address(site, onward)}
    )


def needs_a_browser(site: LocalSite, story: Story) -> None:
    """What Google News answers today: a page of its own that goes on only by script (its text is no story)."""
    page = """<!doctype html><html><head><title>Google News</title><script src="/js/app.js"></script></head>
<body><c-wiz data-n-a-id="x"><p>Southend knife crime stabbing: top stories near you</p></c-wiz></body></html>"""
    site.add(f"/rss/articles/{article_id(story)}", page)


def news_world(site: LocalSite, tmp_path: Path, redirect: Redirector, **options) -> Path:
    """The publisher's site and feed, an aggregator listing the same stories, and the config for both feeds."""
    publish(site)
    for story in STORIES:
        redirect(site, story)
    site.add("/rss/search", google_feed(site, **options), content_type="application/rss+xml")
    extra_source = f"""  - id: google-news
    name: Google News
    type: feed
    url: {aggregator_address(site, "/rss/search?q=southend")}
"""
    extra = {"fetch": {"allow_private_links": True}, "links": {"aggregators": ["localhost"]}}
    return write_config(tmp_path / "config", site, extra_sources=extra_source, monitor_extra=extra)


def stored(tmp_path: Path) -> list:
    with Store(Store.default_url(tmp_path / "data")) as store:
        return store.items(since=NOW - timedelta(days=30))


def through_aggregator(site: LocalSite) -> int:
    return sum(request.path.startswith("/rss/articles/") for request in site.requests)


@pytest.mark.parametrize("redirect", [http_chain, refresh_page, redirect_to_refresh])
def test_an_aggregators_story_merges_with_the_publishers_copy(monitor, tmp_path, site, redirect):
    config = news_world(site, tmp_path, redirect)

    succeeded(monitor("poll", config=config))

    items = stored(tmp_path)
    by_source = {(item.source_id, item.url): item.story_id for item in items}
    for story in STORIES:
        clean = site.url(f"/news/{story.slug}.html")  # the publisher's link, without Google's campaign
        assert by_source[("google-news", clean)] == by_source[("local-news", clean)]
    digest = json.loads(monitor("digest", "--dry-run", "--json", config=config).output)
    [entry] = [entry for section in digest["sections"] for entry in section["entries"]]
    assert entry["url"] == site.url(f"/news/{STORIES[0].slug}.html")
    assert entry["also_in"] == []  # one link shown: the aggregator's copy is the publisher's page
    assert {m["url"] for m in matches(monitor, config)} == {entry["url"]}

    # Google lists the stories again under other parameters: nothing new, and no link is followed again.
    followed = through_aggregator(site)
    site.add("/rss/search", google_feed(site, STORIES[::-1], oc=6), content_type="application/rss+xml")
    succeeded(monitor("poll", config=config))
    assert len(stored(tmp_path)) == len(items) == 2 * len(STORIES)
    assert through_aggregator(site) == followed


def test_a_link_that_failed_is_followed_to_the_publisher_when_its_page_is_fetched_again(tmp_path, site):
    config = news_world(site, tmp_path, http_chain)
    story, clock = STORIES[0], Clock(NOW)
    site.add(f"/rss/articles/{article_id(story)}", "busy", status=503)
    app = App(load_config(config, checks=[rules_check]), Store(Store.default_url(tmp_path / "data")),
              data_dir=tmp_path / "data", clock=clock, stream=io.StringIO())  # fmt: skip

    def copies() -> dict[str, Any]:
        items = app.store.items(since=NOW - timedelta(days=1))
        return {item.source_id: item for item in items if item.title.startswith(story.title)}

    try:
        app.poll()
        assert copies()["google-news"].url.startswith(aggregator_address(site, "/rss/articles/"))
        clock.advance(FIRST_PAGE_RETRY)
        http_chain(site, story)
        app.poll()
        google, own = copies()["google-news"], copies()["local-news"]
    finally:
        app.close()
    assert google.url == own.url == site.url(f"/news/{story.slug}.html")
    assert google.story_id == own.story_id and google.body is not None


def test_a_feed_listing_a_story_through_the_aggregator_and_directly_stores_it_once(monitor, tmp_path, site):
    config = news_world(site, tmp_path, http_chain, direct=STORIES[0])

    succeeded(monitor("poll", config=config))

    google = [item for item in stored(tmp_path) if item.source_id == "google-news"]
    assert sorted(item.url for item in google) == sorted(site.url(f"/news/{story.slug}.html") for story in STORIES)


def test_without_full_text_the_aggregators_link_is_still_followed(monitor, tmp_path, site):
    config = news_world(site, tmp_path, http_chain)
    sources = config / "sources.yaml"
    sources.write_text(sources.read_text() + "    full_text: false\n")  # for google-news, the last source

    succeeded(monitor("poll", config=config))

    google = {item.url: item for item in stored(tmp_path) if item.source_id == "google-news"}
    assert sorted(google) == sorted(site.url(f"/news/{story.slug}.html") for story in STORIES)
    assert all(item.body is None and item.body_note == "" for item in google.values())


def test_an_aggregator_page_that_needs_a_browser_is_not_the_story(monitor, tmp_path, site):
    config = news_world(site, tmp_path, needs_a_browser)

    succeeded(monitor("poll", config=config))

    google = [item for item in stored(tmp_path) if item.source_id == "google-news"]
    assert len(google) == len(STORIES)
    for item in google:
        assert item.url.startswith(aggregator_address(site, "/rss/articles/"))  # kept: nothing better is known
        assert item.body is None and item.page_retry_at is None  # not tried again: it will not lead anywhere
        assert item.body_note.startswith("page not fetched: did not lead to the publisher's page (it ended at")
    assert not any(m["source"] == "google-news" for m in matches(monitor, config))  # Google's own words match nothing


def test_robots_txt_of_the_aggregator_is_obeyed(monitor, tmp_path, site):
    config = news_world(site, tmp_path, http_chain)
    site.add("/robots.txt", "User-agent: *\nDisallow: /rss/articles/\n", content_type="text/plain")

    succeeded(monitor("poll", config=config))

    google = [item for item in stored(tmp_path) if item.source_id == "google-news"]
    assert all("robots.txt" in item.body_note for item in google)
    assert through_aggregator(site) == 0


@pytest.mark.parametrize("style", ["redirect", "refresh"])
def test_an_aggregator_leading_to_another_private_host_is_refused(monitor, tmp_path, site, style):
    with LocalSite(host="127.0.0.2") as canary:
        canary.add("/secret.html", article_page(STORIES[0]))
        target = canary.url("/secret.html")
        story = STORIES[0]
        if style == "redirect":
            site.add(f"/rss/articles/{article_id(story)}", "", status=302, headers={"Location": target})
        else:
            refresh = f'<html><head><meta http-equiv="refresh" content="0;url={target}"></head></html>'
            site.add(f"/rss/articles/{article_id(story)}", refresh)
        site.add("/rss/search", google_feed(site, [story]), content_type="application/rss+xml")
        sources = config_for_aggregator_only(tmp_path, site)

        succeeded(monitor("poll", config=sources))

        [item] = stored(tmp_path)
        assert "a private address (127.0.0.2), which Beatwatch does not follow" in item.body_note
        assert item.url.startswith(aggregator_address(site, "/rss/articles/"))
        assert canary.requests == []


def config_for_aggregator_only(tmp_path: Path, site: LocalSite) -> Path:
    config = write_config(tmp_path / "config", site, monitor_extra={"links": {"aggregators": ["localhost"]}})
    sources = config / "sources.yaml"
    sources.write_text(sources.read_text().replace(site.url("/news/rss.xml"), aggregator_address(site, "/rss/search")))
    return config


# --- following a link, piece by piece -----------------------------------------------------------------------------


def test_pages_that_send_the_reader_on_are_followed_up_to_the_redirect_limit(site, fetcher):
    for hop in range(4):
        site.add(f"/r/{hop}", f'<meta http-equiv="refresh" content="0; url=/r/{hop + 1}">')
    site.add("/r/4", "<p>Here at last</p>")

    assert open_page(fetcher, site.url("/r/0"), found_on=None, links=LinkSettings(), max_hops=4).url == site.url("/r/4")
    with pytest.raises(FetchError, match=r"sent the reader on more than 3 times"):
        open_page(fetcher, site.url("/r/0"), found_on=None, links=LinkSettings(), max_hops=3)


def test_a_page_sending_the_reader_on_to_another_private_host_is_refused_even_at_a_typed_address(site, fetcher):
    with LocalSite(host="127.0.0.2") as canary:
        canary.add("/secret.html", "<p>secret</p>")
        site.add("/typed.html", f'<meta http-equiv="refresh" content="0; url={canary.url("/secret.html")}">')

        with pytest.raises(LinkRefused):
            open_page(fetcher, site.url("/typed.html"), found_on=None, links=LinkSettings(), max_hops=5)

        assert canary.requests == []


@pytest.mark.parametrize(
    "head",
    [
        '<meta http-equiv="refresh" content="300">',  # a page that reloads itself for its readers
        '<meta http-equiv="refresh" content="60; url=/elsewhere">',  # not at once
        '<meta http-equiv="refresh" content="0; url=/page.html#top">',  # itself
        '<meta http-equiv="refresh" content="0; url=javascript:alert(1)">',
        '<script>document.write(\'<meta http-equiv="refresh" content="0; url=/elsewhere">\')</script>',
    ],
)
def test_a_page_that_does_not_send_the_reader_on_at_once_is_the_page(site, fetcher, head):
    site.add("/page.html", f"<html><head>{head}</head><body><p>The story</p></body></html>")

    page = open_page(fetcher, site.url("/page.html"), found_on=None, links=LinkSettings(), max_hops=5)

    assert page.url == site.url("/page.html") and b"The story" in page.content


@pytest.mark.parametrize(
    ("link", "end", "led_off"),
    [
        ("https://news.google.com/rss/articles/CBMi", "https://www.echo-news.co.uk/news/1", True),
        ("https://news.google.com/rss/articles/CBMi", "https://consent.google.com/m?continue=x", False),
        ("https://news.google.com/rss/articles/CBMi", "https://news.google.com/articles/CBMi", False),
        ("https://news.google.com/rss/articles/CBMi", "https://google.com/", False),
        ("https://news.google.co.uk/rss/articles/CBMi", "https://www.echo-news.co.uk/news/1", True),
        ("http://feedproxy.google.com/~r/echo/~3/abc/", "https://www.echo-news.co.uk/news/1", True),
        ("https://feeds.feedburner.com/~r/echo/~3/abc/", "https://feeds.feedburner.com/echo", False),
        ("http://localhost:8080/a", "http://127.0.0.1:8080/a", True),
    ],
)
def test_a_link_through_an_aggregator_counts_when_it_leads_off_its_site(link, end, led_off):
    assert LinkSettings().led_off_aggregator(link, end) is led_off


def test_google_news_and_feedburner_are_aggregators_and_more_can_be_named():
    links = LinkSettings(aggregators=("T.co",))

    assert links.aggregators == ("t.co",)
    assert all(
        links.through_aggregator(url)
        for url in ("https://news.google.com/rss/articles/x", "http://feedproxy.google.com/~r/a", "https://t.co/x")
    )
    assert not links.through_aggregator("https://www.google.com/url?q=x")


def test_feedburner_gives_the_publishers_link_and_keeps_its_own_as_a_key():
    feed = b"""<?xml version="1.0"?><rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
<channel><title>Echo</title><item><title>Man stabbed</title><link>http://feedproxy.google.com/~r/echo/~3/abc/</link>
<feedburner:origLink>https://www.echo.test/news/1.html?utm_source=feedburner</feedburner:origLink></item></channel></rss>"""

    [item] = parse_feed("echo", feed, url="https://feeds.feedburner.com/echo").items

    assert item.url == "https://www.echo.test/news/1.html?utm_source=feedburner"  # cleaned by the poll
    assert item.keys == ("url:https://www.echo.test/news/1.html", "url:http://feedproxy.google.com/~r/echo/~3/abc")
