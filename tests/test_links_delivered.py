"""Clean links end to end: a feed whose links carry tracking parameters, and pages that name their own address
(rel=canonical), polled from a local site and delivered to the console, a Slack-compatible server and an SMTP server;
what every output and `monitor matches --json` show (issue 10, point 7)."""

from __future__ import annotations

import io
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from monitor.app import App
from monitor.config import load_config
from monitor.config_checks import rules_check
from monitor.demo.server import LocalSite
from monitor.items import Item, identity_keys
from monitor.match.types import Hit, Match, Snippet
from monitor.store import Store
from tests.e2e import NOW, STORIES, Story, article_page, write_config
from tests.slack_server import SlackServer
from tests.smtp_server import Inbox
from tests.test_delivery import CHANNEL, email_settings, links, matches, slack_settings, succeeded

TRACKING = "?utm_source=rss&utm_medium=feed&id=7#comments"


@pytest.fixture
def slack(monkeypatch):
    with SlackServer(channels={CHANNEL}) as server:
        monkeypatch.setenv("SLACK_BOT_TOKEN", server.token)
        yield server


def rss(entries: list[tuple[Story, str]]) -> str:
    """A feed of (story, link) entries without guids, so each item is known by its feed link."""
    items = "".join(
        f"<item><title>{escape(story.title)}</title><link>{escape(link)}</link>"
        f"<description>{escape(story.summary)}</description>"
        f"<pubDate>{format_datetime(NOW - story.age)}</pubDate></item>"
        for story, link in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local News</title>{items}</channel></rss>'


def with_head(story: Story, head: str) -> str:
    return article_page(story).replace("</head>", f"{head}</head>", 1)


def all_outputs(tmp_path: Path, slack_server, smtp_port: int) -> dict:
    extra = slack_settings(slack_server)
    extra["outputs"] |= {"console": True, "email": email_settings(smtp_port)}
    return extra


def delivered_texts(slack_server, inbox: Inbox, data: Path) -> list[str]:
    """Everything the outputs delivered: Slack messages as sent, both parts of every email, the console's files."""
    texts = [message.raw.decode() for message in slack_server.messages]
    texts += [part.get_content() for _, message in inbox.received for part in message.get_payload()]
    texts += [path.read_text() for path in sorted((data / "digests").iterdir())]
    return texts


def test_tracking_parameters_reach_no_digest_alert_or_matches_json(monitor, tmp_path, news_site, slack, smtp_server):
    inbox, story = Inbox(), STORIES[0]  # the High Street stabbing: knife crime, found in its page's text
    page = news_site.url(f"/news/{story.slug}.html")
    news_site.add("/news/rss.xml", rss([(story, page + TRACKING)]), content_type="application/rss+xml")
    extra = all_outputs(tmp_path, slack, smtp_server(inbox))
    config = write_config(tmp_path / "config", news_site, urgent=True, monitor_extra=extra)

    succeeded(monitor("poll", config=config))  # stores the match and sends its alert
    digest = monitor("digest", config=config)

    succeeded(digest)
    clean = page + "?id=7"
    assert [m["url"] for m in matches(monitor, config)] == [clean]
    alert, sent_digest = slack.messages
    assert links(alert) == links(sent_digest) == [clean]
    assert len(inbox.received) == 2  # the alert and the digest, each as plain text and HTML
    texts = [digest.output, *delivered_texts(slack, inbox, tmp_path / "data")]
    assert len(texts) == 1 + 2 + 4 + 2  # printed, Slack, email parts, the console's .md and .html
    for text in texts:
        assert clean in text
        assert "utm_" not in text and "#comments" not in text
    # The item is stored under the clean link, and its page was fetched by it: no campaign is credited with our visit.
    with Store(Store.default_url(tmp_path / "data")) as store:
        assert [item.url for item in store.items(since=NOW - timedelta(days=1))] == [clean]
    assert [r.path for r in news_site.requests if r.path.startswith("/news/high")] == [f"/news/{story.slug}.html?id=7"]


def test_stories_stored_before_links_were_cleaned_show_clean_links(monitor, tmp_path, news_site, slack, smtp_server):
    inbox = Inbox()
    config = write_config(
        tmp_path / "config", news_site, urgent=True, monitor_extra=all_outputs(tmp_path, slack, smtp_server(inbox))
    )
    dirty = news_site.url("/news/old-story.html") + TRACKING
    clean = news_site.url("/news/old-story.html?id=7")
    with Store(Store.default_url(tmp_path / "data")) as store:
        key, *aliases = identity_keys("old-story", dirty, "Man stabbed in Southend", NOW)
        item = Item("local-news", key, dirty, "Man stabbed in Southend", aliases=tuple(aliases), published=NOW)
        snippet = Snippet("Man stabbed in Southend", marks=((4, 11),))
        match = Match("knife-crime", ("stabbed",), (Hit("stabbed", "title", 4, 11),), snippet, urgent=True)
        store.add_item(item, [match], found_at=NOW, reported=True)  # as a poll before this change stored it
        app = App(load_config(config, checks=[rules_check]), store, data_dir=tmp_path / "data", stream=io.StringIO())
        try:
            app.delivery.after_poll([])  # its urgent alert
        finally:
            app.close()

    digest = monitor("digest", config=config)

    succeeded(digest)
    assert [m["url"] for m in matches(monitor, config)] == [clean]
    assert [links(message) for message in slack.messages] == [[clean], [clean]]
    for text in [digest.output, *delivered_texts(slack, inbox, tmp_path / "data")]:
        assert clean in text and "utm_" not in text and "#comments" not in text


# Pages that name an address of their own, each with the link its story is shown under. The site is addressed as
# "localhost", so that "www.localhost" and "news.localhost" can be named without being fetched.
CANONICAL_CASES = (
    # an AMP copy naming the full article by a relative link: shown under it
    ("amp/1.html?utm_source=rss", '<link rel="canonical" href="/news/1.html">', "news/1.html"),
    # another site's address (a syndicated copy): ignored
    ("news/2.html", '<link rel="canonical" href="https://www.echo-news.co.uk/news/2.html">', "news/2.html"),
    # www. and the bare host are one site
    (
        "news/3.html",
        '<link rel="canonical" href="http://www.localhost:{port}/news/3-full.html">',
        "www:news/3-full.html",
    ),
    # a subdomain is not
    ("news/4.html", '<link rel="canonical" href="http://news.localhost:{port}/news/4.html">', "news/4.html"),
    # no canonical: og:url speaks
    ("news/5.html#top", '<meta property="og:url" content="/news/5.html?id=5&amp;utm_campaign=x">', "news/5.html?id=5"),
)
CANONICAL_TITLES = (
    "Man stabbed on Southend High Street",
    "Woman stabbed in Westcliff park",
    "Teenager stabbed near Leigh-on-Sea station",
    "Machete found after Southend fight",
    "Bladed article seized in Southend raid",
)


def test_a_page_is_shown_under_the_address_it_names_on_its_own_site(monitor, tmp_path, site):
    base = site.base_url.replace("127.0.0.1", "localhost")
    port = base.rsplit(":", 1)[1]
    stories = [
        Story(f"page-{n}", title, "Police were called.", f"{title}. Officers attended.", age=timedelta(minutes=n))
        for n, title in enumerate(CANONICAL_TITLES, 1)
    ]
    for story, (path, head, _) in zip(stories, CANONICAL_CASES, strict=True):
        site.add("/" + path.partition("?")[0].partition("#")[0], with_head(story, head.format(port=port)))
    entries = [(story, f"{base}/{path}") for story, (path, _, _) in zip(stories, CANONICAL_CASES, strict=True)]
    site.add("/news/rss.xml", rss(entries), content_type="application/rss+xml")
    config = write_config(tmp_path / "config", site)
    sources = config / "sources.yaml"
    sources.write_text(sources.read_text().replace(site.base_url, base))

    succeeded(monitor("poll", config=config))

    def shown(expected: str) -> str:
        return f"http://www.localhost:{port}/{expected[4:]}" if expected.startswith("www:") else f"{base}/{expected}"

    expected = {story.title: shown(case[2]) for story, case in zip(stories, CANONICAL_CASES, strict=True)}
    assert {m["title"]: m["url"] for m in matches(monitor, config)} == expected
    dry_run = monitor("digest", "--dry-run", config=config)
    assert all(url in dry_run.output for url in expected.values())
    assert "echo-news.co.uk" not in dry_run.output and "news.localhost" not in dry_run.output

    # The items stay known by their feed links: the feed again, in another order, brings nothing new.
    site.add("/news/rss.xml", rss(entries[::-1]), content_type="application/rss+xml")
    succeeded(monitor("poll", config=config))
    assert len(matches(monitor, config)) == len(stories)
    assert sum(r.path == "/news/rss.xml" for r in site.requests) == 2


def test_after_a_redirect_the_site_is_the_one_the_page_came_from(monitor, tmp_path, site):
    # A feed whose links go through a redirector on its own host (a click counter, a link shortener) to the publisher:
    # a reader lands on the publisher's site, so the address the page names there is shown, else where the link led
    # (cleaned); a canonical on the redirector's site is not the page's own.
    with LocalSite(host="127.0.0.2") as publisher:
        stories = [Story(f"redirected-{n}", title, "", f"{title}.") for n, title in enumerate(CANONICAL_TITLES[:2])]
        own = '<link rel="canonical" href="/news/0.html">'
        redirector = f'<link rel="canonical" href="{site.url("/news/1.html")}">'  # the redirector's site: ignored
        for n, (story, head) in enumerate(zip(stories, (own, redirector), strict=True)):
            publisher.add(f"/amp/{n}.html", with_head(story, head))
            target = publisher.url(f"/amp/{n}.html?utm_source=counter")
            site.add_handler(f"/go/{n}", lambda _request, target=target: (302, {"Location": target}, b""))
        site.add("/news/rss.xml", rss([(story, site.url(f"/go/{n}")) for n, story in enumerate(stories)]))
        extra = {"fetch": {"allow_private_links": True}}  # 127.0.0.2 is private, as a second loopback site must be
        config = write_config(tmp_path / "config", site, monitor_extra=extra)

        succeeded(monitor("poll", config=config))

    shown = {m["title"]: m["url"] for m in matches(monitor, config)}
    assert shown == {stories[0].title: publisher.url("/news/0.html"), stories[1].title: publisher.url("/amp/1.html")}
