"""Links found in feeds and pages never reach private addresses, however they are spelled or redirected.

Every test server runs on 127.0.0.1, which is itself private: links there work because they are on the same host (name
and port) as the source they came from. The canary listens on 127.0.0.2, another loopback address, and counts what
reaches it.
"""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import Iterator
from datetime import timedelta
from ipaddress import ip_address

import pytest

from monitor.app import App
from monitor.config import load_config
from monitor.config_checks import rules_check
from monitor.demo.server import LocalSite
from monitor.fetch import FetchError, LinkRefused
from monitor.fetch.client import Fetcher
from monitor.fetch.guard import is_public_address
from monitor.store import Store
from tests.conftest import TEST_USER_AGENT
from tests.e2e import NOW, STORIES, article_page, publish, rss_feed, write_config
from tests.test_cmis import FIXTURES as CMIS_FIXTURES
from tests.test_cmis import CmisSite, cmis
from tests.test_cmis import meeting_path as cmis_meeting_path
from tests.test_cmis import month_path as cmis_month_path
from tests.test_fetch import fetch_error, settings
from tests.test_moderngov import ModernGovSite, moderngov

# 127.0.0.2 as a link may write it: decimal, hexadecimal, octal, short forms, IPv4-mapped IPv6
CANARY_SPELLINGS = [
    "127.0.0.2",
    "2130706434",
    "0x7f000002",
    "0x7f.0.0.2",
    "017700000002",
    "127.2",
    "127.0.2",
    "[::ffff:127.0.0.2]",
    "[::ffff:7f00:2]",
]
INTRANET_NOTE = "which Beatwatch does not follow; set fetch.allow_private_links if this is your intranet"


@pytest.fixture
def canary() -> Iterator[LocalSite]:
    with LocalSite(host="127.0.0.2", keep_alive=True) as site:
        site.add("/secret.html", article_page(STORIES[0]))
        yield site


def spelled(canary: LocalSite, spelling: str, path: str = "/secret.html") -> str:
    return f"http://{spelling}:{canary.base_url.rsplit(':', 1)[1]}{path}"


def refused(fetcher: Fetcher, url: str, **options) -> LinkRefused:
    with pytest.raises(LinkRefused) as caught:
        fetcher.get(url, **options)
    return caught.value


# --- links and redirects -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", CANARY_SPELLINGS)
def test_a_found_link_to_another_private_host_is_refused_in_every_spelling(site, canary, fetcher, spelling):
    error = refused(fetcher, spelled(canary, spelling), found_on=site.url("/feed.xml"))

    assert error.reason.startswith("the link points at ")
    assert error.reason.endswith(f"a private address (127.0.0.2), {INTRANET_NOTE}")
    assert error.status is None and isinstance(error, FetchError)
    assert canary.requests == []  # not even robots.txt


@pytest.mark.parametrize("spelling", CANARY_SPELLINGS)
def test_a_redirect_to_another_private_host_is_refused_for_links_and_for_sources(site, canary, fetcher, spelling):
    site.add("/go", "", status=302, headers={"Location": spelled(canary, spelling)})

    from_link = refused(fetcher, site.url("/go"), found_on=site.url("/feed.xml"))
    from_source = refused(fetcher, site.url("/go"))

    named = "" if spelling == "127.0.0.2" else f"{spelling.strip('[]')}, "
    assert from_link.reason == f"it redirected to {named}a private address (127.0.0.2), {INTRANET_NOTE}"
    assert from_source.reason == from_link.reason
    assert canary.requests == []


def test_links_and_redirects_on_the_sources_own_host_are_followed(site, fetcher):
    site.add("/page.html", "<p>news</p>")
    site.add("/moved", "", status=301, headers={"Location": "/page.html"})

    direct = fetcher.get(site.url("/page.html"), found_on=site.url("/feed.xml"))
    redirected = fetcher.get(site.url("/moved"), found_on=site.url("/feed.xml"))

    assert direct.content == redirected.content == b"<p>news</p>"


def test_another_port_or_another_name_for_the_same_host_is_another_host(site, fetcher):
    site.add("/page.html", "<p>news</p>")
    named = site.url("/page.html").replace("127.0.0.1", "localhost")

    other_port = refused(fetcher, site.url("/page.html"), found_on="http://127.0.0.1/feed.xml")
    other_name = refused(fetcher, named, found_on=site.url("/feed.xml"))

    assert other_port.reason.startswith("the link points at a private address (127.0.0.1)")
    assert other_name.reason.startswith("the link points at localhost, a private address (")
    assert site.requests == []


def test_http_and_https_on_their_default_ports_are_one_site(fetcher):
    # nothing listens on 127.0.0.2:443, so the attempt fails at once: what matters is that it was made
    upgraded = fetch_error(fetcher, "https://127.0.0.2/news.html", found_on="http://127.0.0.2/feed.xml")
    elsewhere = fetch_error(fetcher, "https://127.0.0.2/news.html", found_on="http://127.0.0.3/feed.xml")

    assert not isinstance(upgraded, LinkRefused) and "could not reach 127.0.0.2" in upgraded.reason
    assert isinstance(elsewhere, LinkRefused)


def test_a_configured_source_may_itself_be_at_a_private_address(canary, fetcher):
    canary.add("/moved", "", status=301, headers={"Location": "/secret.html"})

    assert b"stabbed" in fetcher.get(canary.url("/moved")).content
    assert [request.path for request in canary.requests] == ["/robots.txt", "/moved", "/secret.html"]


def test_a_refused_link_leaves_the_site_readable_for_the_source_that_lives_there(site, canary, fetcher):
    refused(fetcher, spelled(canary, "127.0.0.2"), found_on=site.url("/feed.xml"))

    assert b"stabbed" in fetcher.get(canary.url("/secret.html")).content  # robots.txt was not cached as unreachable


def test_a_kept_alive_connection_opened_for_a_source_does_not_carry_a_refused_link(site, canary, fetcher):
    fetcher.get(canary.url("/secret.html"))
    fetcher.get(canary.url("/secret.html"))
    refused(fetcher, canary.url("/secret.html?from-a-link"), found_on=site.url("/feed.xml"))

    robots, *pages = canary.requests
    assert robots.path == "/robots.txt"
    assert [request.path for request in pages] == ["/secret.html", "/secret.html"]
    assert pages[0].connection == pages[1].connection  # the source's connection was kept in the pool


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.5",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # shared (carrier-grade NAT)
        "169.254.169.254",  # link-local: cloud metadata services
        "[fe80::1]",
        "[fc00::1]",
        "[::1]",
        "0.0.0.0",  # reaches this machine on Linux
        "[::]",
        "224.0.0.1",
        "[ff02::1]",
        "240.0.0.1",
        "255.255.255.255",
        "[64:ff9b::7f00:1]",  # 127.0.0.1 behind the NAT64 prefix
        "[2002:7f00:1::]",  # 127.0.0.1 inside a 6to4 address
    ],
)
def test_every_kind_of_non_public_address_is_refused_without_a_connection(site, fetcher, host):
    error = refused(fetcher, f"http://{host}/admin", found_on=site.url("/feed.xml"))

    assert error.reason.endswith(f"a private address ({ip_address(host.strip('[]'))}), {INTRANET_NOTE}")


def test_a_name_with_any_private_address_is_refused_before_connecting(site, fetcher, monkeypatch):
    resolve, asked = socket.getaddrinfo, []

    def resolver(host, port, *args, **kwargs):  # a name with one public and one private address
        if host != "mixed.example":
            return resolve(host, port, *args, **kwargs)
        asked.append(host)
        stream = (socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
        return [(socket.AF_INET, *stream, ("8.8.8.8", port)), (socket.AF_INET, *stream, ("10.1.2.3", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    error = refused(fetcher, "http://mixed.example/page", found_on=site.url("/feed.xml"))

    assert error.reason.startswith("the link points at mixed.example, a private address (10.1.2.3)")
    assert asked == ["mixed.example"]  # resolved once: the address checked is the address that would be used


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_public_addresses_in_any_form_are_public(address):
    assert is_public_address(ip_address(address))


def test_allow_private_links_lets_every_spelling_through(site, canary):
    site.add("/go", "", status=302, headers={"Location": spelled(canary, "2130706434")})
    with Fetcher(settings(allow_private_links=True), TEST_USER_AGENT) as fetcher:
        links = [spelled(canary, spelling) for spelling in CANARY_SPELLINGS]
        pages = [fetcher.get(link, found_on=site.url("/feed.xml")) for link in links]
        redirected = fetcher.get(site.url("/go"), found_on=site.url("/feed.xml"))

    assert all(b"stabbed" in page.content for page in (*pages, redirected))
    assert [request.path for request in canary.requests].count("/secret.html") == len(CANARY_SPELLINGS) + 1


# --- every caller of the fetcher -----------------------------------------------------------------------------------


@pytest.fixture
def news_app(tmp_path, site, canary, caplog):
    """``build(**monitor_yaml)``: an App polling the e2e news site, whose first story links to the canary (spelled in
    decimal) instead of its own page. ``caplog`` holds what it logged."""
    caplog.set_level(logging.INFO)
    publish(site)
    link = spelled(canary, "2130706434")
    site.add("/news/rss.xml", rss_feed(site).replace(site.url(f"/news/{STORIES[0].slug}.html"), link),
             content_type="application/rss+xml")  # fmt: skip
    opened = []

    def build(**monitor_extra) -> App:
        config = load_config(write_config(tmp_path / "config", site, monitor_extra=monitor_extra), checks=[rules_check])
        store = Store(Store.default_url(tmp_path / "data"))
        opened.append((App(config, store, data_dir=tmp_path / "data", stream=io.StringIO()), store))
        return opened[-1][0]

    yield build
    for app, store in opened:
        app.close()
        store.close()


def stored_by_title(app: App) -> dict:
    return {item.title: item for item in app.store.items(since=NOW - timedelta(days=1))}


def test_a_poll_stores_a_refused_page_with_a_note_and_reads_the_rest(news_app, site, canary, caplog):
    app = news_app()
    [report] = app.poll()

    stored = stored_by_title(app)
    assert report.error is None and report.new_items == len(STORIES)
    refused_item = stored[STORIES[0].title]
    assert refused_item.body is None
    assert refused_item.body_note == (
        f"page not fetched: the link points at 2130706434, a private address (127.0.0.2), {INTRANET_NOTE}"
    )
    assert all(stored[story.title].body for story in STORIES[1:])  # same-host pages are read as before
    assert canary.requests == []
    assert not [record for record in caplog.records if record.exc_info]  # a refused link is a note, not an error
    assert report.pages_failed == 1 and "2130706434" in report.page_error


def test_allow_private_links_in_monitor_yaml_lets_the_poll_read_the_page(news_app, canary):
    app = news_app(fetch={"allow_private_links": True})
    [report] = app.poll()

    assert report.new_matches == 1  # "stabbed" is only in the page's text
    assert "stabbed" in stored_by_title(app)[STORIES[0].title].body
    assert "/secret.html" in [request.path for request in canary.requests]


def test_test_rules_reads_a_private_url_the_operator_typed(monitor, tmp_path, site, canary):
    config = write_config(tmp_path / "config", site)

    result = monitor("test-rules", "--url", canary.url("/secret.html"), config=config)

    assert "MATCHED" in result.output and "stabbed" in result.output


def test_a_council_document_link_to_a_private_host_is_reported_without_text_at_once(site, canary, fetcher):
    council = ModernGovSite(site)
    council.replacements[site.url("mgConvert2PDF.aspx?ID=60001")] = spelled(canary, "0x7f.0.0.2")

    found = {item.key: item for item in moderngov(site).discover(fetcher, {}).items}

    document = found["doc:60001"]
    assert document.body is None
    assert document.body_note == (
        f"document not fetched: the link points at 0x7f.0.0.2, a private address (127.0.0.2), {INTRANET_NOTE}"
    )
    assert found["doc:60002"].body  # documents on the council's own host are read
    assert canary.requests == []


def test_a_council_meeting_link_to_a_private_host_is_not_read(site, canary, fetcher):
    CmisSite(site)
    month = (CMIS_FIXTURES / "month_2026-10.html").read_text().replace("{{BASE}}", site.base_url)
    meeting = site.url(cmis_meeting_path("3701"))
    moved = spelled(canary, "[::ffff:127.0.0.2]", cmis_meeting_path("3701"))
    site.add(cmis_month_path("2026-10"), month.replace(meeting, moved))

    discovery = cmis(site).discover(fetcher, {})

    assert "doc:r3701" not in {item.key for item in discovery.items}
    assert any(
        "meeting 3701 not read (the link points at ::ffff:127.0.0.2, a private address (127.0.0.2)" in note
        for note in discovery.notes
    )
    assert canary.requests == []
