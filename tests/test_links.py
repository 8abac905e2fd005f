"""Clean links: tracking parameters out of every link we show or store, the one list identity shares, which sites count
as one, and the address a page names as its own (rel=canonical, og:url) read from its head."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.extract import read_article
from monitor.urls import TRACKING_PARAMETERS, clean_link, identity_link, is_tracking_parameter, same_site

# --- clean_link ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "clean"),
    [
        ("https://echo.test/news/1.html?utm_source=rss&utm_medium=feed&id=7#comments", "https://echo.test/news/1.html?id=7"),
        # the others keep their order, their spelling and their repeats
        ("https://echo.test/s?page=2&utm_campaign=x&a=1&tag=b&tag=a", "https://echo.test/s?page=2&a=1&tag=b&tag=a"),
        ("https://echo.test/s?q=knife%20crime&sort=new+first", "https://echo.test/s?q=knife%20crime&sort=new+first"),
        ("https://echo.test/s?flag&utm_source", "https://echo.test/s?flag"),
        # every kind on the list, in any case, written plainly or percent-encoded
        ("https://echo.test/s?fbclid=a&gclid=b&mc_cid=c&mc_eid=d&ocid=e&at_medium=f&at_custom1=g", "https://echo.test/s"),
        ("https://echo.test/s?UTM_Source=rss&Id=7&FBCLID=x", "https://echo.test/s?Id=7"),
        ("https://echo.test/s?utm%5Fsource=rss&id=7", "https://echo.test/s?id=7"),
        # names that only look alike stay
        ("https://echo.test/s?utmost=1&attic=2&reference=3&gclid2=4", "https://echo.test/s?utmost=1&attic=2&reference=3&gclid2=4"),
        # the fragment goes whether or not there is a query; a "?" inside it is not a query
        ("https://echo.test/news/1.html#comments", "https://echo.test/news/1.html"),
        ("https://echo.test/news/1.html#a?utm_source=x", "https://echo.test/news/1.html"),
        ("https://echo.test/news/1.html", "https://echo.test/news/1.html"),
        ("https://echo.test/news/1.html?", "https://echo.test/news/1.html"),
        ("", ""),
        ("not a link at all ?utm_source=x", "not a link at all "),
        ("http://[::1/broken?utm_source=x&id=1", "http://[::1/broken?id=1"),
    ],
)  # fmt: skip
def test_clean_link_removes_tracking_parameters_and_the_fragment_and_keeps_the_rest_as_written(link, clean):
    assert clean_link(link) == clean
    assert clean_link(clean) == clean


TRACKING_NAMES = [name.replace("*", "campaign") for name in TRACKING_PARAMETERS]
OTHER_NAMES = ["id", "page", "q", "section", "Id", "utm", "at", "x_utm_source"]
names = st.sampled_from(TRACKING_NAMES + OTHER_NAMES).map(lambda name: name.upper() if len(name) % 3 == 0 else name)
values = st.text(alphabet="abc019-._~%+=", max_size=6)
queries = st.lists(st.tuples(names, values).map(lambda pair: "=".join(pair)) | names, max_size=6).map("&".join)
links = st.builds(
    lambda host, path, query, fragment: f"https://{host}/{path}{'?' + query if query else ''}{fragment}",
    st.sampled_from(["echo.test", "WWW.Echo.test", "news.echo.test:8443"]),
    st.sampled_from(["", "news/1.html", "news/1/", "a%20b"]),
    queries,
    st.sampled_from(["", "#comments", "#", "#x?utm_source=y"]),
)


@given(links)
def test_a_cleaned_link_is_still_the_same_item_to_identity(link):
    # Identity and cleaning read one list: storing the clean link never makes a known item look new.
    assert identity_link(clean_link(link)) == identity_link(link)


@given(links)
def test_a_cleaned_link_keeps_no_tracking_parameter_and_every_other_in_order(link):
    def pairs(url):
        query = url.partition("#")[0].partition("?")[2]
        return [pair for pair in query.split("&") if pair]

    kept = [pair for pair in pairs(link) if not is_tracking_parameter(pair.partition("=")[0])]
    assert pairs(clean_link(link)) == kept
    assert "#" not in clean_link(link)


# --- same_site -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://www.echo-news.co.uk/news/1", "https://echo-news.co.uk/news/1"),  # www. and bare: one site
        ("https://echo-news.co.uk/a", "https://www.echo-news.co.uk/b"),
        ("https://WWW.Echo-News.co.uk./a", "https://echo-news.co.uk/b"),  # case and a trailing dot do not count
        ("http://echo.test/a", "https://echo.test/a"),  # nor does the scheme
        ("http://echo.test:80/a", "https://echo.test:443/b"),  # a default port is no port
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b"),
        ("https://bücher.test/a", "https://xn--bcher-kva.test/b"),  # an international name and its punycode
    ],
)
def test_one_site(first, second):
    assert same_site(first, second) and same_site(second, first)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://news.echo.test/a", "https://echo.test/a"),  # a subdomain may be another outlet
        ("https://www2.echo.test/a", "https://echo.test/a"),
        ("https://democracy.southend.gov.uk/a", "https://democracy.essex.gov.uk/a"),  # two councils
        ("https://southend.gov.uk/a", "https://essex.gov.uk/a"),
        ("https://echo.co.uk/a", "https://gazette.co.uk/a"),
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8081/a"),
        ("https://wwwecho.test/a", "https://echo.test/a"),
        ("https://echo.test.evil.example/a", "https://echo.test/a"),
        ("ftp://echo.test/a", "ftp://echo.test/a"),  # not a web address
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("http://[::1/a", "http://[::1/a"),  # malformed
        ("http://echo.test:99999/a", "http://echo.test:99999/a"),
        ("/news/1", "/news/1"),  # relative
    ],
)
def test_not_one_site(first, second):
    assert not same_site(first, second) and not same_site(second, first)


# --- the address a page names as its own ---------------------------------------------------------------------------

PAGE = "https://www.echo.test/amp/news/stabbing.html?id=7"
ARTICLE = "<body><article><h1>Man stabbed</h1>" + "<p>A man was stabbed in Westcliff on Friday night.</p>" * 8


def own_link(head: str, page: str = PAGE, body: str = "") -> str | None:
    html = f"<!doctype html><html><head><title>Man stabbed</title>{head}</head>{ARTICLE}{body}</article></body></html>"
    article = read_article(html.encode(), page)
    assert article.text is not None and "stabbed in Westcliff" in article.text
    return article.link


@pytest.mark.parametrize(
    ("head", "link"),
    [
        ('<link rel="canonical" href="https://www.echo.test/news/stabbing.html">', "https://www.echo.test/news/stabbing.html"),
        ('<link rel="canonical" href="/news/stabbing.html">', "https://www.echo.test/news/stabbing.html"),
        ('<link rel="canonical" href="../../news/stabbing.html">', "https://www.echo.test/news/stabbing.html"),
        ('<link rel="canonical" href="//echo.test/news/stabbing.html">', "https://echo.test/news/stabbing.html"),
        ('<base href="https://www.echo.test/news/"><link rel="canonical" href="stabbing.html">', "https://www.echo.test/news/stabbing.html"),
        ('<LINK REL="Canonical" HREF="  /news/stabbing.html\n">', "https://www.echo.test/news/stabbing.html"),
        ('<link rel="canonical" href="/news/stabbing.html?id=7&amp;utm_source=amp">', "https://www.echo.test/news/stabbing.html?id=7&utm_source=amp"),
        # www. and bare are one site
        ('<link rel="canonical" href="https://echo.test/news/stabbing.html">', "https://echo.test/news/stabbing.html"),
        ('<link rel="canonical" href="http://www.echo.test/news/stabbing.html">', None),  # not https for http
        # og:url when there is no canonical; the canonical first when there are both
        ('<meta property="og:url" content="https://www.echo.test/news/stabbing.html">', "https://www.echo.test/news/stabbing.html"),
        ('<meta name="og:url" content="/news/stabbing.html">', "https://www.echo.test/news/stabbing.html"),
        ('<meta property="og:url" content="/og.html"><link rel="canonical" href="/canonical.html">', "https://www.echo.test/canonical.html"),
        # the same canonical twice is one; two that disagree say nothing, and og:url speaks instead
        ('<link rel="canonical" href="/a.html"><link rel="canonical" href="https://www.echo.test/a.html">', "https://www.echo.test/a.html"),
        ('<link rel="canonical" href="/a.html"><link rel="canonical" href="/b.html">', None),
        ('<link rel="canonical" href="/a"><link rel="canonical" href="/b"><meta property="og:url" content="c">',
         "https://www.echo.test/amp/news/c"),
        # another site is ignored, and then og:url on this one may speak
        ('<link rel="canonical" href="https://www.gazette.test/news/stabbing.html">', None),
        ('<link rel="canonical" href="https://news.echo.test/news/stabbing.html">', None),
        ('<link rel="canonical" href="https://www.gazette.test/x.html"><meta property="og:url" content="/og.html">', "https://www.echo.test/og.html"),
        # malformed, or no address at all
        ('<link rel="canonical" href="">', None),
        ('<link rel="canonical">', None),
        ('<link rel="canonical" href="javascript:alert(1)">', None),
        ('<link rel="canonical" href="https://www.echo.test/news/man stabbed.html">', None),
        ('<link rel="canonical" href="https://www.echo.test:99999/news/stabbing.html">', None),
        ('<link rel="canonical" href="http://[::1/news">', None),
        ('<link rel="canonical" href="mailto:news@echo.test">', None),
        # the front page or a section named on every article by a template
        ('<link rel="canonical" href="https://www.echo.test/">', None),
        ('<link rel="canonical" href="/">', None),
        ('<link rel="canonical" href="/amp/news/">', None),
        ('<link rel="canonical" href="/amp">', None),
        # but a query names a page of its own, and the page itself is not above itself
        ('<link rel="canonical" href="/amp/news/?page=2">', "https://www.echo.test/amp/news/?page=2"),
        ('<link rel="canonical" href="/amp/news/stabbing.html/">', "https://www.echo.test/amp/news/stabbing.html/"),
        ('<link rel="canonical" href="/amp/news-extra/stabbing.html">', "https://www.echo.test/amp/news-extra/stabbing.html"),
        ('<link rel="alternate" href="/news/stabbing.html"><link rel="amphtml" href="/amp.html">', None),
        ("", None),
    ],
)  # fmt: skip
def test_the_address_a_page_names_as_its_own(head, link):
    assert own_link(head) == link


def test_a_canonical_outside_the_head_is_ignored():
    assert own_link("", body='<link rel="canonical" href="/news/stabbing.html">') is None


def test_the_front_page_may_name_itself():
    assert own_link('<link rel="canonical" href="https://echo.test/">', page="https://www.echo.test/") == (
        "https://echo.test/"
    )


def test_a_page_with_no_head_or_no_html_names_nothing():
    assert read_article(b"", PAGE).link is None
    assert read_article(b"<p>x</p>", PAGE).link is None
