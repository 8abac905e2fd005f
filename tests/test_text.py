"""The shared text helpers (an error in its own words among them) and the one Retry-After reader."""

from __future__ import annotations

from datetime import UTC, datetime
from http.client import RemoteDisconnected
from urllib.error import URLError

import httpx2
import pytest

from monitor.retry_after import retry_after_header, seconds_to_wait
from monitor.text import byte_size, error_words, one_line, shorten, without_bom


def test_one_line_flattens_every_kind_of_blank():
    assert one_line("  Man\n\tstabbed\u00a0in  Westcliff \r\n") == "Man stabbed in Westcliff"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Council petitions for more officers", 100, "Council petitions for more officers"),
        ("Council petitions for more officers", 20, "Council petitions…"),
        ("Council petitions for more officers", 18, "Council petitions…"),
        ("Council petitions for more officers", 17, "Council…"),
        ("Supercalifragilistic", 10, "Supercali…"),
        ("A line\nbroken", 100, "A line broken"),
    ],
)
def test_shorten_cuts_at_the_last_word_that_fits_and_never_passes_the_limit(text, limit, expected):
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_without_bom_strips_the_mark_and_blanks_before_it():
    assert without_bom(b"\xef\xbb\xbf \r\n<rss/>") == b"<rss/>"


@pytest.mark.parametrize(
    ("count", "said"), [(900, "900 bytes"), (312_000, "312 kB"), (1_500_000, "1.5 MB"), (30_000_000, "30 MB")]
)
def test_byte_size_reads_as_people_say_it(count, said):
    assert byte_size(count) == said


NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30.0),
        (" 2.5 ", 2.5),
        ("Fri, 27 Nov 2026 12:01:00 GMT", 60.0),
        ("Friday, 27-Nov-26 12:00:30 GMT", 30.0),
        ("Fri Nov 27 12:00:10 2026", 10.0),
        ("Thu, 26 Nov 2026 12:00:00 GMT", 0.0),
        ("-5", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_and_every_http_date_form(value, seconds):
    assert seconds_to_wait(value, now=NOW) == seconds


def test_retry_after_is_found_whatever_the_case_of_its_name_and_as_a_list():
    assert retry_after_header({"retry-after": "3"}) == "3"
    assert retry_after_header({"Retry-After": ["7"]}) == "7"
    assert retry_after_header({}) is None and retry_after_header(None) is None


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (URLError(ConnectionRefusedError(111, "Connection refused")), "Connection refused"),
        (URLError("unknown url type: ftp"), "unknown url type: ftp"),
        (TimeoutError("timed out"), "timed out"),
        (ConnectionResetError(104, "Connection reset by peer"), "Connection reset by peer"),
        (RemoteDisconnected("Remote end closed connection without response"), "Remote end closed connection without "
                                                                                "response"),
        (httpx2.ConnectError("[Errno 113] No route to host"), "No route to host"),
        (ConnectionResetError(), "it closed the connection"),
    ],
)  # fmt: skip
def test_an_error_is_said_in_its_own_words_without_its_class(error, words):
    assert error_words(error, "it closed the connection") == words
