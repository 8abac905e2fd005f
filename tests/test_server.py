"""LocalSite on its own, spoken to with the standard library's http.client so a Fetcher bug cannot hide a server bug."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest

from monitor.demo.server import LocalSite


def get(site: LocalSite, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(urlsplit(site.base_url).netloc, timeout=5)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {name.lower(): value for name, value in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_static_resource_has_validators_and_answers_conditional_requests(site):
    site.add("/feed.xml", "<rss/>", content_type="application/rss+xml")

    status, headers, body = get(site, "/feed.xml")
    by_etag = get(site, "/feed.xml", {"If-None-Match": headers["etag"]})
    by_date = get(site, "/feed.xml", {"If-Modified-Since": headers["last-modified"]})
    other_etag = get(site, "/feed.xml", {"If-None-Match": '"something-else"'})

    assert (status, body, headers["content-type"]) == (200, b"<rss/>", "application/rss+xml")
    assert headers["etag"].startswith('"') and headers["last-modified"].endswith("GMT")
    assert (by_etag[0], by_etag[2], by_etag[1]["etag"]) == (304, b"", headers["etag"])
    assert by_date[0] == 304
    assert other_etag[0] == 200


def test_body_bytes_sent_are_counted_and_a_304_sends_none(site):
    site.add("/feed.xml", "<rss>twelve</rss>", content_type="application/rss+xml")
    site.add_handler("/streamed", lambda request: (200, {}, iter([b"ab", b"cde"])))

    _, headers, _ = get(site, "/feed.xml")
    get(site, "/feed.xml", {"If-None-Match": headers["etag"]})
    get(site, "/streamed")

    assert site.bytes_sent == len(b"<rss>twelve</rss>") + 5


def test_re_adding_a_path_moves_last_modified_forward(site):
    site.add("/page.html", "one", etag=None)
    first = get(site, "/page.html")[1]["last-modified"]
    site.add("/page.html", "two", etag=None)

    status, headers, body = get(site, "/page.html", {"If-Modified-Since": first})

    assert (status, body) == (200, b"two")
    assert headers["last-modified"] != first
    assert "etag" not in headers


def test_handler_gets_the_request_and_may_stream_its_body(site):
    seen = []

    def handler(request):
        seen.append(request)
        return 201, {"X-Test": "yes"}, (part for part in (b"a", b"b", b"c"))

    site.add_handler("/made", handler)

    status, headers, body = get(site, "/made?x=1", {"X-Asked": "please"})

    assert (status, headers["x-test"], body) == (201, "yes", b"abc")
    assert (seen[0].method, seen[0].path, seen[0].headers["x-asked"]) == ("GET", "/made?x=1", "please")


def test_query_string_counts_only_for_routes_added_with_one(site):
    site.add("/search", "any query")
    site.add("/search?page=2", "page two")

    assert get(site, "/search?page=1")[2] == b"any query"
    assert get(site, "/search?page=2")[2] == b"page two"


def test_unknown_paths_404_and_removed_paths_too(site):
    site.add("/gone.html", "here for now")
    site.remove("/gone.html")

    assert get(site, "/gone.html")[0] == 404
    assert get(site, "/robots.txt")[0] == 404
    with pytest.raises(KeyError):
        site.remove("/never-there.html")


def test_failing_handler_answers_500(site):
    site.add_handler("/bug", lambda request: 1 / 0)

    status, _headers, body = get(site, "/bug")

    assert status == 500 and b"ZeroDivisionError" in body


def test_requests_are_logged_in_order_with_lower_case_headers(site):
    get(site, "/first", {"User-Agent": "Probe/1"})
    get(site, "/second")

    method, path, headers, _connection = site.requests[0]
    assert (method, path, headers["user-agent"]) == ("GET", "/first", "Probe/1")
    assert [request.path for request in site.requests] == ["/first", "/second"]


def test_url_is_absolute_on_127_0_0_1(site):
    assert site.url("/a/b.html") == f"{site.base_url}/a/b.html"
    assert site.url("a") == site.url("/a")
    assert site.base_url.startswith("http://127.0.0.1:")


# --- validators as real servers send them ----------------------------------------------------------------------------


def test_a_resource_can_go_without_validators(site):
    site.add("/bare.xml", "<rss/>", etag=None, last_modified=None)

    status, headers, body = get(site, "/bare.xml")
    asked_anyway = get(site, "/bare.xml", {"If-Modified-Since": "Sun, 06 Nov 2094 08:49:37 GMT"})

    assert (status, body) == (200, b"<rss/>")
    assert "etag" not in headers and "last-modified" not in headers
    assert asked_anyway[0] == 200  # nothing to compare with, so never "not modified"


def test_weak_etag_matches_weakly(site):
    site.add("/feed.xml", "<rss/>", etag="weak", last_modified=None)

    tag = get(site, "/feed.xml")[1]["etag"]
    as_sent = get(site, "/feed.xml", {"If-None-Match": tag})
    stripped = get(site, "/feed.xml", {"If-None-Match": tag.removeprefix("W/")})

    assert tag.startswith('W/"')
    assert (as_sent[0], as_sent[1]["etag"]) == (304, tag)
    assert stripped[0] == 304


def test_per_request_etag_changes_every_time_and_never_matches(site):
    site.add("/feed.xml", "<rss/>", etag="per-request")

    first = get(site, "/feed.xml")[1]
    again = get(site, "/feed.xml", {"If-None-Match": first["etag"], "If-Modified-Since": first["last-modified"]})

    assert again[0] == 200 and again[2] == b"<rss/>"  # If-None-Match wins over the date, and never matches
    assert again[1]["etag"] != first["etag"]


def test_bare_304_carries_no_validators(site):
    site.add("/feed.xml", "<rss/>", bare_304=True)

    first = get(site, "/feed.xml")[1]
    status, headers, _body = get(site, "/feed.xml", {"If-None-Match": first["etag"]})

    assert status == 304
    assert "etag" not in headers and "last-modified" not in headers


@pytest.mark.parametrize(
    ("style", "shape"),
    [
        ("imf", r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$"),
        ("rfc850", r"^[A-Z][a-z]+day, \d\d-[A-Z][a-z]{2}-\d\d \d\d:\d\d:\d\d GMT$"),
        ("asctime", r"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$"),
    ],
)
def test_last_modified_in_each_legal_date_format_is_honoured(site, style, shape):
    site.add("/feed.xml", "<rss/>", etag=None, last_modified=style)

    stamp = get(site, "/feed.xml")[1]["last-modified"]
    unchanged = get(site, "/feed.xml", {"If-Modified-Since": stamp})

    assert re.match(shape, stamp), stamp
    assert unchanged[0] == 304


# --- where it listens and how it keeps connections ----------------------------------------------------------------


def test_a_site_can_listen_on_another_loopback_address():
    with LocalSite(host="127.0.0.2") as other:
        other.add("/here", "on .2")

        assert other.base_url.startswith("http://127.0.0.2:")
        assert get(other, "/here")[2] == b"on .2"


def test_kept_alive_connection_carries_several_requests_and_says_which():
    with LocalSite(keep_alive=True) as kept:
        kept.add("/a", "a")
        kept.add_handler("/stream", lambda request: (200, {}, iter([b"x", b"y"])))
        connection = http.client.HTTPConnection(urlsplit(kept.base_url).netloc, timeout=5)
        try:
            answers = []
            for path in ("/a", "/a", "/stream"):
                connection.request("GET", path)
                answer = connection.getresponse()
                answers.append((answer.status, answer.read(), answer.getheader("connection")))
        finally:
            connection.close()
        get(kept, "/a")  # a new connection: the streamed answer closed the first one

    assert answers == [(200, b"a", None), (200, b"a", None), (200, b"xy", "close")]
    assert [request.connection for request in kept.requests] == [1, 1, 1, 2]


def test_without_keep_alive_every_request_has_its_own_connection(site):
    site.add("/a", "a")
    get(site, "/a")
    get(site, "/a")

    assert [request.connection for request in site.requests] == [1, 2]
