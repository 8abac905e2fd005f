"""The Fetcher against a real server on 127.0.0.1: conditional GET, limits, redirects, errors, robots.txt,
politeness."""

from __future__ import annotations

import gzip
import re
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache

import pytest

from monitor.demo.server import LocalSite, Request
from monitor.fetch import FetchError, Validators
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from tests.conftest import TEST_USER_AGENT


class FakeClock:
    """Monotonic time that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def settings(**changes) -> FetchSettings:
    return FetchSettings(**{"connect_timeout": 2, "timeout": 5, "host_delay": timedelta(0), **changes})


def fetch_error(fetcher: Fetcher, url: str, **options) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url, **options)
    assert caught.value.url == url
    return caught.value


def paths(site: LocalSite) -> list[str]:
    return [request.path for request in site.requests]


@cache
def gzip_bomb() -> bytes:
    """50 MB of zeros, gzipped to about 50 kB; built in slices so the test never holds 50 MB itself."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1_000_000)
    return b"".join(packer.compress(zeros) for _ in range(50)) + packer.flush()


# --- conditional GET ----------------------------------------------------------------------------------------------


def test_conditional_get_answers_304_to_the_validators_of_the_first_answer(site, fetcher):
    site.add("/feed.xml", "<rss/>", content_type="application/rss+xml")

    first = fetcher.get(site.url("/feed.xml"))
    second = fetcher.get(site.url("/feed.xml"), validators=first.validators)

    assert (first.status, first.content, first.not_modified) == (200, b"<rss/>", False)
    assert first.validators.etag and first.validators.last_modified
    assert first.headers["content-type"] == "application/rss+xml"
    assert (second.status, second.content, second.not_modified) == (304, b"", True)
    assert second.validators == first.validators
    sent = site.requests[-1].headers
    assert sent["if-none-match"] == first.validators.etag
    assert sent["if-modified-since"] == first.validators.last_modified


def test_changed_resource_is_downloaded_again_with_new_validators(site, fetcher):
    site.add("/feed.xml", "<rss>one</rss>")
    first = fetcher.get(site.url("/feed.xml"))
    site.add("/feed.xml", "<rss>two</rss>")

    second = fetcher.get(site.url("/feed.xml"), validators=first.validators)

    assert (second.status, second.content) == (200, b"<rss>two</rss>")
    assert second.validators.etag != first.validators.etag


def test_last_modified_alone_makes_a_conditional_request(site, fetcher):
    site.add("/minutes.xml", "<minutes/>", etag=None)
    first = fetcher.get(site.url("/minutes.xml"))

    unchanged = fetcher.get(site.url("/minutes.xml"), validators=first.validators)
    site.add("/minutes.xml", "<minutes>new</minutes>", etag=None)
    changed = fetcher.get(site.url("/minutes.xml"), validators=first.validators)

    assert first.validators == Validators(etag=None, last_modified=first.validators.last_modified)
    assert unchanged.not_modified
    assert "if-none-match" not in site.requests[-2].headers
    assert site.requests[-2].headers["if-modified-since"] == first.validators.last_modified
    assert (changed.status, changed.content) == (200, b"<minutes>new</minutes>")
    assert changed.validators.last_modified != first.validators.last_modified


def test_answer_without_validators_has_empty_ones_and_asks_plainly_next_time(site, fetcher):
    site.add("/feed.xml", "<rss/>", etag=None, last_modified=None)

    first = fetcher.get(site.url("/feed.xml"))
    second = fetcher.get(site.url("/feed.xml"), validators=first.validators)

    assert first.validators == Validators()
    assert (second.status, second.content) == (200, b"<rss/>")
    assert not {"if-none-match", "if-modified-since"} & set(site.requests[-1].headers)


def test_weak_etag_goes_back_verbatim(site, fetcher):
    site.add("/feed.xml", "<rss/>", etag="weak", last_modified=None)

    first = fetcher.get(site.url("/feed.xml"))
    second = fetcher.get(site.url("/feed.xml"), validators=first.validators)

    assert first.validators.etag.startswith('W/"') and first.validators.last_modified is None
    assert site.requests[-1].headers["if-none-match"] == first.validators.etag
    assert second.not_modified and second.validators == first.validators


@pytest.mark.parametrize("style", ["rfc850", "asctime"])
def test_last_modified_in_an_obsolete_format_goes_back_verbatim(site, fetcher, style):
    site.add("/feed.xml", "<rss/>", etag=None, last_modified=style)

    first = fetcher.get(site.url("/feed.xml"))
    second = fetcher.get(site.url("/feed.xml"), validators=first.validators)

    assert not re.match(r"^\w{3}, ", first.validators.last_modified)  # not the usual "Sun, 06 Nov 1994 ..."
    assert site.requests[-1].headers["if-modified-since"] == first.validators.last_modified
    assert second.not_modified


def test_etag_that_changes_on_every_answer_gives_200_with_the_new_one(site, fetcher):
    site.add("/feed.xml", "<rss/>", etag="per-request", last_modified=None)

    first = fetcher.get(site.url("/feed.xml"))
    second = fetcher.get(site.url("/feed.xml"), validators=first.validators)

    assert (second.status, second.content) == (200, b"<rss/>")
    assert second.validators.etag not in (None, first.validators.etag)


def test_304_without_validators_keeps_the_ones_sent(site, fetcher):
    site.add("/feed.xml", "<rss/>", bare_304=True)

    first = fetcher.get(site.url("/feed.xml"))
    second = fetcher.get(site.url("/feed.xml"), validators=first.validators)

    assert second.not_modified
    assert second.validators == first.validators and first.validators.etag and first.validators.last_modified


def test_304_with_only_a_new_etag_keeps_the_date_sent(site, fetcher):
    site.add_handler("/feed.xml", lambda request: (304, {"ETag": '"v2"'}, b""))

    answer = fetcher.get(site.url("/feed.xml"), validators=Validators('"v1"', "Sun, 06 Nov 1994 08:49:37 GMT"))

    assert answer.validators == Validators('"v2"', "Sun, 06 Nov 1994 08:49:37 GMT")


def test_304_without_validators_sent_is_an_error(site, fetcher):
    site.add_handler("/odd", lambda request: (304, {}, b""))

    error = fetch_error(fetcher, site.url("/odd"))

    assert error.status == 304


# --- what we send -------------------------------------------------------------------------------------------------


def test_sends_our_user_agent_and_nothing_that_names_the_http_library(site, fetcher):
    site.add("/page.html", "<p>hi</p>")

    fetcher.get(site.url("/page.html"))

    sent = site.requests[-1].headers
    assert sent["user-agent"] == TEST_USER_AGENT
    assert "gzip" in sent["accept-encoding"]
    assert not [value for value in sent.values() if "httpx" in value.lower() or "python" in value.lower()]


def test_gzip_body_is_decoded(site, fetcher):
    site.add("/page.html", gzip.compress(b"<p>police</p>" * 100), headers={"Content-Encoding": "gzip"})

    assert fetcher.get(site.url("/page.html")).content == b"<p>police</p>" * 100


# --- size cap -----------------------------------------------------------------------------------------------------


def test_declared_length_over_the_cap_is_refused(site, fetcher):
    site.add("/big.html", b"x" * 2_000)

    error = fetch_error(fetcher, site.url("/big.html"), max_bytes=1_000)

    assert error.reason == "response is larger than the 1 kB limit"


def test_streamed_body_over_the_cap_is_cut_off(site, fetcher):
    site.add_handler("/endless", lambda request: (200, {}, (b"x" * 1_000 for _ in range(100))))

    error = fetch_error(fetcher, site.url("/endless"), max_bytes=10_000)

    assert error.reason == "response is larger than the 10 kB limit"


def test_gzip_bomb_is_cut_off_at_the_decoded_cap(site, fetcher):
    bomb = gzip_bomb()
    site.add_handler("/bomb.html", lambda request: (200, {"Content-Encoding": "gzip"}, bomb))

    error = fetch_error(fetcher, site.url("/bomb.html"))

    assert len(bomb) < 100_000
    assert error.reason == "response is larger than the 10 MB limit"


def test_body_exactly_at_the_cap_is_accepted(site, fetcher):
    site.add("/exact.html", b"x" * 1_000)

    assert len(fetcher.get(site.url("/exact.html"), max_bytes=1_000).content) == 1_000


# --- total deadline -----------------------------------------------------------------------------------------------


def trickling(stop: threading.Event, content_type: str = "text/html"):
    """A handler whose body comes a byte every 50 ms until ``stop`` is set (10 s at most, so it ends by itself)."""

    def trickle(request: Request):
        def one_byte_at_a_time():
            for _ in range(200):
                yield b" "
                if stop.wait(0.05):
                    return

        return 200, {"Content-Type": content_type}, one_byte_at_a_time()

    return trickle


def test_trickling_server_is_cut_off_at_the_total_timeout(site, fetcher):
    stop = threading.Event()
    site.add_handler("/slow", trickling(stop))
    started = time.monotonic()
    try:
        error = fetch_error(fetcher, site.url("/slow"), timeout=0.5)
    finally:
        stop.set()

    assert error.reason == "timed out after 0.5 s"
    assert time.monotonic() - started < 2.0


def test_unreachable_server_is_a_connection_error():
    with LocalSite() as gone:
        url = gone.url("/feed.xml")
    with Fetcher(settings(robots_txt=False), TEST_USER_AGENT) as fetcher:
        error = fetch_error(fetcher, url)

    assert error.reason.startswith("could not connect: ")
    assert error.status is None


# --- redirects ----------------------------------------------------------------------------------------------------


def test_redirect_chain_within_the_limit_is_followed(site, fetcher):
    site.add("/old", "", status=301, headers={"Location": "/moved"})
    site.add("/moved", "", status=302, headers={"Location": site.url("/final.xml")})
    site.add("/final.xml", "<rss/>")

    response = fetcher.get(site.url("/old"))

    assert (response.url, response.content) == (site.url("/final.xml"), b"<rss/>")
    assert paths(site)[-3:] == ["/old", "/moved", "/final.xml"]


def test_redirect_chain_over_the_limit_is_an_error(site, fetcher):
    for hop in range(6):
        site.add(f"/hop{hop}", "", status=302, headers={"Location": f"/hop{hop + 1}"})
    site.add("/hop6", "too far")

    error = fetch_error(fetcher, site.url("/hop0"))

    assert error.reason.startswith("was redirected more than 5 times")
    assert "/hop6" not in paths(site)


def test_redirect_to_another_scheme_is_refused(site, fetcher):
    site.add("/away", "", status=302, headers={"Location": "ftp://files.example.org/feed.xml"})

    error = fetch_error(fetcher, site.url("/away"))

    assert error.reason.startswith("only http and https addresses can be fetched")
    assert "ftp://files.example.org/feed.xml" in error.reason


@pytest.mark.parametrize("url", ["ftp://example.org/feed.xml", "file:///etc/passwd", "javascript:alert(1)"])
def test_only_http_and_https_are_fetched(fetcher, url):
    assert fetch_error(fetcher, url).reason == "only http and https addresses can be fetched"


# --- error statuses -----------------------------------------------------------------------------------------------


def test_404_says_what_the_server_answered(site, fetcher):
    error = fetch_error(fetcher, site.url("/missing.xml"))

    assert (error.reason, error.status, error.retry_after) == ("answered 404 Not Found", 404, None)


def test_503_with_retry_after_in_seconds(site, fetcher):
    site.add_handler("/busy", lambda request: (503, {"Retry-After": "120"}, b"come back later"))

    error = fetch_error(fetcher, site.url("/busy"))

    assert (error.reason, error.status, error.retry_after) == ("answered 503 Service Unavailable", 503, 120.0)


def test_500_with_retry_after_as_a_date(site, fetcher):
    in_an_hour = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    site.add_handler("/broken", lambda request: (500, {"Retry-After": in_an_hour}, b"oops"))

    error = fetch_error(fetcher, site.url("/broken"))

    assert error.status == 500
    assert 3500 < error.retry_after <= 3600


# --- robots.txt ---------------------------------------------------------------------------------------------------


def test_robots_txt_disallow_for_our_bot_is_obeyed(site, fetcher):
    site.add("/robots.txt", "User-agent: BeatwatchTest\nDisallow: /private/\n", content_type="text/plain")
    site.add("/private/page.html", "secret")
    site.add("/public/page.html", "news")

    error = fetch_error(fetcher, site.url("/private/page.html"))
    allowed = fetcher.get(site.url("/public/page.html"))

    host = site.base_url.removeprefix("http://")
    assert error.reason == f"robots.txt of {host} asks bots like ours not to fetch this page"
    assert allowed.content == b"news"
    assert paths(site) == ["/robots.txt", "/public/page.html"]


def test_robots_txt_rules_for_other_bots_do_not_apply(site, fetcher):
    site.add("/robots.txt", "User-agent: OtherBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n", content_type="text/plain")
    site.add("/page.html", "news")

    assert fetcher.get(site.url("/page.html")).content == b"news"


def test_redirect_into_a_disallowed_path_is_refused(site, fetcher):
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.add("/go", "", status=302, headers={"Location": "/private/page.html"})
    site.add("/private/page.html", "secret")

    error = fetch_error(fetcher, site.url("/go"))

    assert "asks bots like ours not to fetch this page" in error.reason
    assert "/private/page.html" not in paths(site)


def test_missing_robots_txt_allows_everything_and_is_asked_once(site, fetcher):
    site.add("/a.html", "a")
    site.add("/b.html", "b")

    fetcher.get(site.url("/a.html"))
    fetcher.get(site.url("/b.html"))

    assert paths(site) == ["/robots.txt", "/a.html", "/b.html"]


def test_robots_txt_server_error_disallows_the_whole_site(site, fetcher):
    site.add("/robots.txt", "", status=500)
    site.add("/page.html", "news")

    error = fetch_error(fetcher, site.url("/page.html"))

    assert "robots.txt of" in error.reason and "answered 500 Internal Server Error" in error.reason
    assert "/page.html" not in paths(site)


def test_robots_txt_is_asked_again_after_24_hours():
    clock = FakeClock()
    with LocalSite() as site, Fetcher(settings(), TEST_USER_AGENT, clock=clock, sleep=clock.sleep) as fetcher:
        site.add("/page.html", "news")
        fetcher.get(site.url("/page.html"))
        clock.now += 23 * 3600
        fetcher.get(site.url("/page.html"))
        clock.now += 2 * 3600
        fetcher.get(site.url("/page.html"))

    assert paths(site).count("/robots.txt") == 2


def test_robots_txt_can_be_switched_off(site):
    site.add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    site.add("/page.html", "news")

    with Fetcher(settings(robots_txt=False), TEST_USER_AGENT) as fetcher:
        assert fetcher.get(site.url("/page.html")).content == b"news"
    assert paths(site) == ["/page.html"]


# --- politeness ---------------------------------------------------------------------------------------------------


def test_no_more_than_per_host_requests_reach_a_host_at_once(site):
    inside = threading.Condition()
    release = threading.Event()
    counts = {"active": 0, "peak": 0}

    def hold_until_released(request: Request):
        with inside:
            counts["active"] += 1
            counts["peak"] = max(counts["peak"], counts["active"])
            inside.notify_all()
        release.wait(5)
        with inside:
            counts["active"] -= 1
        return 200, {}, b"done"

    site.add_handler("/slow", hold_until_released)
    with Fetcher(settings(per_host=2, robots_txt=False), TEST_USER_AGENT) as fetcher, ThreadPoolExecutor(5) as pool:
        futures = [pool.submit(fetcher.get, site.url("/slow")) for _ in range(5)]
        try:
            with inside:
                assert inside.wait_for(lambda: counts["active"] == 2, timeout=5)
                # three more requests are waiting to go; give any of them the chance to slip past the limit
                assert not inside.wait_for(lambda: counts["active"] > 2, timeout=0.3)
        finally:
            release.set()
        answers = [future.result(timeout=5) for future in futures]

    assert [answer.content for answer in answers] == [b"done"] * 5
    assert counts["peak"] == 2


def test_requests_to_one_host_start_at_least_host_delay_apart():
    clock = FakeClock()
    polite = settings(host_delay=timedelta(seconds=1), robots_txt=False)
    with LocalSite() as site, Fetcher(polite, TEST_USER_AGENT, clock=clock, sleep=clock.sleep) as fetcher:
        site.add("/page.html", "news")
        fetcher.get(site.url("/page.html"))
        fetcher.get(site.url("/page.html"))
        clock.now += 0.25
        fetcher.get(site.url("/page.html"))
        fetcher.get(site.url("/page.html").replace("127.0.0.1", "localhost"))  # another host name: no wait

    assert clock.sleeps == [1.0, 0.75]
    assert len(site.requests) == 4
