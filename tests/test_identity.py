"""One identity per link: links in w3lib's canonical form, more parameters dropped by configuration, the page's own
address as a key, feeds whose guids change on every fetch, and databases whose keys an older version made."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.config import ConfigErrors, load_config
from monitor.items import LINK_KEY, Item, identity_keys, link_key, link_keys_without
from monitor.store import Store, migrations
from monitor.store.relink import _old_form
from monitor.urls import clean_link, identity_link
from tests.e2e import NOW, STORIES, Story, article_page, write_config
from tests.test_delivery import matches, succeeded
from tests.test_store import _schema_versions, database_made_by

# --- the identity form ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("HTTPS://WWW.Echo.TEST/news/1.html", "https://www.echo.test/news/1.html"),  # scheme and host case
        ("https://echo.test:443/news/1.html", "https://echo.test/news/1.html"),  # default ports
        ("http://echo.test:80/news/1.html", "http://echo.test/news/1.html"),
        ("https://echo.test/news/1.html#comments", "https://echo.test/news/1.html"),  # fragments
        ("https://echo.test/news/1.html?utm_source=rss&id=7&fbclid=x", "https://echo.test/news/1.html?id=7"),
        ("https://echo.test/news/1.html?b=2&a=1", "https://echo.test/news/1.html?a=1&b=2"),  # parameter order
        ("https://echo.test/news/1/", "https://echo.test/news/1"),  # a trailing slash
        ("https://echo.test/news/./a/../1.html", "https://echo.test/news/1.html"),  # dot segments
        ("https://echo.test/s?q=knife%20crime", "https://echo.test/s?q=knife+crime"),  # percent-encoding
        ("https://echo.test/news/caf%c3%a9.html", "https://echo.test/news/café.html"),
        ("https://user:secret@echo.test/news/1.html", "https://echo.test/news/1.html"),
        ("  https://echo.test/news/1.html\n", "https://echo.test/news/1.html"),
    ],
)
def test_links_to_one_page_have_one_identity(first, second):
    assert identity_link(first) == identity_link(second)
    assert link_key(first) == link_key(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://echo.test/news/1.html", "https://echo.test/news/2.html"),
        ("https://echo.test/news?id=1", "https://echo.test/news?id=2"),
        ("https://echo.test/news?id=1", "https://echo.test/news?id=1&page=2"),
        ("https://echo.test/s?tag=a&tag=b", "https://echo.test/s?tag=a"),  # a repeated parameter counts
        ("https://echo.test:8443/news/1.html", "https://echo.test/news/1.html"),  # another port
        ("http://echo.test/news/1.html", "https://echo.test/news/1.html"),  # another scheme
        ("https://www.echo.test/news/1.html", "https://echo.test/news/1.html"),  # another host name
        ("https://echo.test/News/1.html", "https://echo.test/news/1.html"),  # paths are case-sensitive
    ],
)
def test_links_to_two_pages_have_two(first, second):
    assert identity_link(first) != identity_link(second)


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        # the publisher's order, spelling and repeats stay in the link staff see
        ("HTTPS://WWW.Echo.TEST:443/News/1.html?b=2&utm_source=x&a=1&a=0#top", "https://www.echo.test/News/1.html?b=2&a=1&a=0"),
        ("http://Echo.test:8080/s?q=knife%20crime", "http://echo.test:8080/s?q=knife%20crime"),
        ("https://user:secret@echo.test/news/1.html", "https://echo.test/news/1.html"),
        ("https://[::1]:443/news", "https://[::1]/news"),
    ],
)  # fmt: skip
def test_the_link_staff_see_keeps_the_publishers_order(link, shown):
    assert clean_link(link) == shown


names = st.sampled_from(
    ["utm_source", "UTM_Medium", "id", "page", "q", "ref", "fbclid", "tag", "%75tm_source", "a%20b"]
)
values = st.lists(st.sampled_from([*"abAB09-._~+=/:?*é", "%C3%A9", "%20", "%2F", "%7E", "%3D", "%26"]), max_size=6)
queries = st.lists(st.tuples(names, values.map("".join)).map("=".join) | names, max_size=5).map("&".join)
links = st.builds(
    lambda scheme, host, path, query, fragment: f"{scheme}://{host}{path}{'?' + query if query else ''}{fragment}",
    st.sampled_from(["http", "https", "HTTPS"]),
    st.sampled_from(["echo.test", "WWW.Echo.test", "echo.test:443", "news.echo.test:8443", "Bücher.test", "[::1]:80"]),
    st.sampled_from(["", "/", "/news/1.html", "/news/1/", "/a%20b", "/a/./b/../c/", "/café", "/a%7e"]),
    queries,
    st.sampled_from(["", "#x", "#a?b"]),
)


@given(links)
def test_the_identity_of_a_link_is_that_of_its_older_form_and_of_itself(link):
    # What lets schema step 7 give stored keys their form of today from the form an older version stored.
    assert identity_link(_old_form(link)) == identity_link(link)
    assert identity_link(identity_link(link)) == identity_link(link)
    assert identity_link(clean_link(link)) == identity_link(link)


@given(st.text() | st.builds("http://{}/{}".format, st.text(), st.text()))
def test_any_text_has_an_identity_and_a_clean_form(text):
    assert isinstance(identity_link(text), str) and isinstance(clean_link(text), str)


def test_configured_parameters_add_keys_and_never_take_one_away():
    keys = identity_keys("guid-1", "https://echo.test/a?sid=9&id=1", "Man stabbed", None)

    assert link_keys_without(keys, ("sid",)) == ("url:https://echo.test/a?id=1",)
    assert link_keys_without(keys, ("s*",)) == ("url:https://echo.test/a?id=1",)
    assert link_keys_without(keys, ("other",)) == ()  # nothing to drop: no new key
    assert link_keys_without(keys, ()) == ()


@given(links, st.sampled_from([("page",), ("p*",), ("tag", "q"), ("a b",), ("a*",), ("utm_*",)]))
def test_a_link_key_is_made_again_only_when_a_configured_parameter_changes_it(link, drop):
    key = link_key(link)
    made_again = link_key(key.removeprefix(LINK_KEY), drop)  # what every key went through before

    assert link_keys_without((key,), drop) == tuple(each for each in (made_again,) if each != key)


# --- links.drop_parameters in monitor.yaml -------------------------------------------------------------------------


def configured(tmp_path: Path, site, links_yaml: str) -> Path:
    config = write_config(tmp_path / "config", site)
    with (config / "monitor.yaml").open("a") as monitor_yaml:
        monitor_yaml.write(links_yaml)
    return config


def test_drop_parameters_are_names_in_lower_case(tmp_path, news_site):
    config = configured(tmp_path, news_site, "links:\n  drop_parameters: [SessionID, sess_*]\n")

    assert load_config(config).monitor.links.drop_parameters == ("sessionid", "sess_*")


@pytest.mark.parametrize("name", ["'*'", "session id", "'a=b'", "'page#2'", "'x*y'", "''"])
def test_a_drop_parameter_that_is_not_a_name_is_refused_with_its_line(tmp_path, news_site, name):
    config = configured(tmp_path, news_site, f"links:\n  drop_parameters:\n    - sid\n    - {name}\n")

    with pytest.raises(ConfigErrors) as caught:
        load_config(config)

    line = (config / "monitor.yaml").read_text().splitlines().index(f"    - {name}") + 1
    assert str(caught.value).startswith(f"monitor.yaml:{line}:7: ")
    assert "is not a query parameter name" in str(caught.value) and "e.g. sessionid" in str(caught.value)


@pytest.mark.parametrize("host", ["https://news.google.com", "news.google.com/rss", "bad host", "-x.test"])
def test_an_aggregator_that_is_not_a_host_name_is_refused(tmp_path, news_site, host):
    config = configured(tmp_path, news_site, f"links:\n  aggregators: ['{host}']\n")

    with pytest.raises(ConfigErrors) as caught:
        load_config(config)

    line = len((config / "monitor.yaml").read_text().splitlines())
    assert str(caught.value).startswith(f"monitor.yaml:{line}:")
    assert "is not a host name; write the host alone, e.g. news.google.com" in str(caught.value)


def rss(entries: list[tuple[str | None, Story, str]]) -> str:
    """A feed of (guid, story, link) entries; an entry without a guid is known by its link."""
    items = "".join(
        f"<item><title>{escape(story.title)}</title><link>{escape(link)}</link>"
        + (f'<guid isPermaLink="false">{guid}</guid>' if guid else "")
        + f"<description>{escape(story.summary)}</description><pubDate>{format_datetime(NOW - story.age)}</pubDate>"
        "</item>"
        for guid, story, link in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local News</title>{items}</channel></rss>'


def serve_feed_per_request(site, make_entries) -> None:
    """The feed at /news/rss.xml made again for every request (``make_entries(n)``, n = 0, 1, ...)."""
    counter = itertools.count()

    def answer(_request):
        body = rss(make_entries(next(counter))).encode()
        return 200, {"Content-Type": "application/rss+xml"}, body

    site.add_handler("/news/rss.xml", answer)


def stored_items(tmp_path: Path) -> list:
    with Store(Store.default_url(tmp_path / "data")) as store:
        return store.items(since=NOW - timedelta(days=365))


def page_requests(site, story: Story) -> int:
    return sum(request.path.startswith(f"/news/{story.slug}") for request in site.requests)


def test_a_session_parameter_in_drop_parameters_makes_every_poll_the_same_story(monitor, tmp_path, news_site):
    story = STORIES[0]
    link = news_site.url(f"/news/{story.slug}.html")
    serve_feed_per_request(news_site, lambda n: [(None, story, f"{link}?sessionid=s{n}&id=7")])
    config = configured(tmp_path, news_site, "links:\n  drop_parameters: [sessionid]\n")

    for _ in range(3):
        succeeded(monitor("poll", config=config))

    [item] = stored_items(tmp_path)
    assert item.url == f"{link}?id=7"  # shown and fetched without it
    assert [m["url"] for m in matches(monitor, config)] == [f"{link}?id=7"]
    assert page_requests(news_site, story) == 1


def test_adding_a_parameter_to_drop_later_makes_no_known_story_look_new(monitor, tmp_path, news_site):
    story = STORIES[0]
    link = news_site.url(f"/news/{story.slug}.html?sid=abc&id=7")
    news_site.add("/news/rss.xml", rss([(None, story, link)]), content_type="application/rss+xml")
    config = write_config(tmp_path / "config", news_site)
    succeeded(monitor("poll", config=config))
    with (config / "monitor.yaml").open("a") as monitor_yaml:
        monitor_yaml.write("links:\n  drop_parameters: [sid]\n")
    news_site.add("/news/rss.xml", rss([(None, story, link + "&utm_source=x")]), content_type="application/rss+xml")

    succeeded(monitor("poll", config=config))

    assert len(stored_items(tmp_path)) == 1


# --- feeds whose guids change on every fetch -----------------------------------------------------------------------


def test_a_guid_that_changes_on_every_fetch_with_a_link_that_varies_only_in_tracking_and_order_is_one_story(
    monitor, tmp_path, news_site
):
    story = STORIES[0]
    page = news_site.url(f"/news/{story.slug}.html")
    orders = ["id=7&section=crime", "section=crime&id=7"]

    def entries(n: int) -> list:
        return [(f"urn:uuid:{n}-random", story, f"{page}?{orders[n % 2]}&utm_source=rss&utm_campaign=day{n}#top")]

    serve_feed_per_request(news_site, entries)
    config = write_config(tmp_path / "config", news_site)

    for _ in range(3):
        succeeded(monitor("poll", config=config))

    [item] = stored_items(tmp_path)
    assert item.url == f"{page}?id=7&section=crime"  # as first listed, in its order
    assert page_requests(news_site, story) == 1  # the later copies were known before any page was fetched
    assert len(matches(monitor, config)) == 1


def test_a_guid_and_a_link_that_change_on_every_fetch_are_one_story_by_the_pages_canonical(monitor, tmp_path, site):
    # The link carries a session id nobody configured; the page names its own address, which is then a key.
    story = STORIES[0]
    head = '<link rel="canonical" href="/news/stabbing.html">'
    site.add("/news/page.html", article_page(story).replace("</head>", head + "</head>"))
    serve_feed_per_request(site, lambda n: [(f"guid-{n}", story, site.url(f"/news/page.html?s={n}"))])
    config = write_config(tmp_path / "config", site)

    for _ in range(3):
        succeeded(monitor("poll", config=config))

    [item] = stored_items(tmp_path)
    assert item.url == site.url("/news/stabbing.html")
    assert len(matches(monitor, config)) == 1


def test_a_later_entry_under_the_pages_canonical_link_is_known_without_fetching_it(monitor, tmp_path, site):
    story = STORIES[0]
    site.add("/amp/1.html", article_page(story).replace("</head>", '<link rel="canonical" href="/news/1.html"></head>'))
    site.add("/news/rss.xml", rss([("amp-1", story, site.url("/amp/1.html"))]), content_type="application/rss+xml")
    config = write_config(tmp_path / "config", site)
    succeeded(monitor("poll", config=config))
    later = [("news-1", story, site.url("/news/1.html?utm_source=rss"))]
    site.add("/news/rss.xml", rss(later), content_type="application/rss+xml")

    succeeded(monitor("poll", config=config))

    assert len(stored_items(tmp_path)) == 1
    assert not any(request.path.startswith("/news/1.html") for request in site.requests)


# --- databases whose keys an older version made --------------------------------------------------------------------

# The items of tests/fixtures/store/schema-v6-links.sql as the feed lists them later: other tracking parameters, case,
# ports, order and encodings; item 6 under a new guid. {BASE} is the local site the fixture's feed was polled from.
RELISTED = [
    (None, "Man stabbed on High Street", "https://www.echo.test/news/1.html?id=7&utm_medium=email"),
    (None, "Knife amnesty bins go in", "https://ECHO.test/news/2?a=1&b=2"),
    (None, "Knife crime search results", "https://echo.test/search?sort=new+first&q=knife+crime"),
    (None, "Cafe robbed in Leigh", "https://echo.test/news/café.html?tag=a&tag=b"),
    (None, "Police appeal after Westcliff fight", "http://echo.test:80/news/5.html?fbclid=zzz&page=1#x"),
    ("gen-2", "Teenager arrested in Southend", "https://echo.test/news/6.html?a=2&b=1&utm_source=y"),
    (None, "Machete found in park", "{BASE}/news/7.html"),
    (None, "Knife seized at Southend station", "https://echo.test/news/8.html"),  # the one new story
]
FIXTURE_TIME = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_database_whose_links_an_older_version_keyed_reports_none_of_them_again(monitor, tmp_path, site):
    url = database_made_by("schema-v6-links.sql", tmp_path / "data", base_url=site.base_url)
    entries = [(guid, Story(f"s{n}", title, "Police were called.", ""), link.format(BASE=site.base_url))
               for n, (guid, title, link) in enumerate(RELISTED)]  # fmt: skip
    site.add("/news/rss.xml", rss(entries), content_type="application/rss+xml")
    config = write_config(tmp_path / "config", site, full_text=False)

    succeeded(monitor("poll", config=config))

    items = stored_items(tmp_path)
    assert len(items) == 8 and items[-1].title == "Knife seized at Southend station"
    with Store(url) as store:
        # The story keys of the links were made again: a copy from another outlet under the same link joins its story
        # (item 2 was stored from https://echo.test:443/news/2/?b=2&a=1: its old story key was made with the port).
        copy = Item("gazette", "id:g1", "https://echo.test/news/2?b=2&a=1#x", "Another headline",
                    summary="Different words altogether.", published=FIXTURE_TIME)  # fmt: skip
        added = store.add_item(copy, [], found_at=FIXTURE_TIME, reported=True)
        assert {item.id: item.story_id for item in store.items(since=FIXTURE_TIME)}[added] == 2
    assert _schema_versions(url) == list(range(6, len(migrations.MIGRATIONS) + 1))
