"""Whatever goes wrong inside a source is said in words (issue 11, acceptance 3).

Every hostile answer the other tests meet one at a time (an HTML page, garbage, an empty or cut-off feed, a gzip bomb, a
body that trickles in, a redirect loop, a refused connection, an unreadable robots.txt, error statuses, a link to a
private address, council sites that answer nonsense, a listing page that is not one) and the failures nobody planned
for (a source, the extractor or the store raising) are polled together through `monitor poll`. The poll table,
`monitor status`, the digest's list of sources with problems and the log's warnings then say what happened to each
source, and none of them names a Python exception or shows a traceback: those are in the log, with the error that a bug
logs, and nowhere else.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator

import pytest

from monitor.demo.server import LocalSite
from monitor.sources.feed import FeedSource
from monitor.store import Store
from tests.e2e import STORIES, Story, publish, rss_feed, write_config
from tests.test_fetch import gzip_bomb, trickling

EXCEPTION_NAME = re.compile(r"\b[A-Z]\w+(Error|Exception)\b")
TRACEBACK = re.compile(r"Traceback|File \"|line \d+, in ")
MACHINE_TALK = re.compile(r"<unknown>|<string>|\[Errno|\w+\(")  # a parser's or the system's notation, a repr
TRUNCATED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut off</title><item><title>Half'
BROKEN_JSON = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "title": "Cut'
PRIVATE_LINK = Story("private-link", "Story behind a private address", "A summary.", "never read")
TRIPS_EXTRACTOR = Story("trips-extractor", "A page that trips the extractor", "A summary.", "A man was stabbed.")

# id -> (what its url is, relative to the hostile site unless absolute, and extra YAML lines)
HOSTILE = {
    "html-page": "/news/budget-vote.html",
    "garbage": "/garbage.bin",
    "empty-body": "/empty.xml",
    "truncated": "/truncated.xml",
    "broken-json": "/broken.json",
    "gzip-bomb": "/bomb.xml",
    "trickle": "/slow.xml",
    "redirect-loop": "/loop.xml",
    "other-scheme": "/away.xml",
    "not-found": "/missing.xml",
    "server-error": "/broken.xml",
    "busy": "/busy.xml",
    "gone": "/gone.xml",
    "buggy": "/news/rss.xml",
    "unstorable": "/unstorable.xml",
}
PAGE_PROBLEMS = {"links": "/links.xml"}  # a feed that works, whose story pages do not


@pytest.fixture
def hostile(site: LocalSite) -> Iterator[LocalSite]:
    """``site`` serving the local news, and every hostile answer of HOSTILE and PAGE_PROBLEMS."""
    publish(site)
    stop = threading.Event()
    bomb = gzip_bomb()
    site.add("/garbage.bin", b"\x00\x01garbage bytes\xff", content_type="application/octet-stream")
    site.add("/empty.xml", b"", content_type="application/rss+xml")
    site.add("/truncated.xml", TRUNCATED, content_type="application/rss+xml")
    site.add("/broken.json", BROKEN_JSON, content_type="application/feed+json")
    site.add_handler("/bomb.xml", lambda _request: (200, {"Content-Encoding": "gzip"}, bomb))
    site.add_handler("/slow.xml", trickling(stop, "application/rss+xml"))
    site.add("/loop.xml", "", status=302, headers={"Location": "/loop.xml"})
    site.add("/away.xml", "", status=302, headers={"Location": "ftp://files.example.org/feed.xml"})
    site.add("/broken.xml", "oops", status=500)
    site.add("/busy.xml", "busy", status=503, headers={"Retry-After": "120"})
    site.add("/gone.xml", "", status=410)
    site.add("/unstorable.xml", rss_feed(site, STORIES[:1]), content_type="application/rss+xml")
    links = rss_feed(site, (PRIVATE_LINK, TRIPS_EXTRACTOR)).replace(
        site.url("/news/private-link.html"), "http://10.0.0.5/news/private-link.html"
    )
    site.add("/links.xml", links, content_type="application/rss+xml")
    site.add("/news/trips-extractor.html", "<html><body><p>A man was stabbed.</p></body></html>")
    site.add("/council/mgWebService.asmx/GetCommittees", b"\x00 not XML at all", content_type="text/xml")
    site.add("/cmis/CalendarofMeetings.aspx", "<html><body>No calendar here</body></html>")
    try:
        yield site
    finally:
        stop.set()


@pytest.fixture
def unreachable() -> str:
    """The address of a site that is gone: its port refuses connections."""
    with LocalSite() as gone:
        return gone.url("/feed.xml")


@pytest.fixture
def robots_broken() -> Iterator[LocalSite]:
    """A site on another loopback address whose robots.txt answers 503, and one whose robots.txt says no."""
    with LocalSite(host="127.0.0.2") as other:
        other.add("/robots.txt", "down for maintenance", status=503, content_type="text/plain")
        yield other


def sources_yaml(site: LocalSite, unreachable: str, robots_broken: LocalSite) -> str:
    entries = {name: site.url(path) for name, path in {**HOSTILE, **PAGE_PROBLEMS}.items()}
    entries |= {"refused": unreachable, "robots-unreadable": robots_broken.url("/feed.xml")}
    entry = "  - id: {}\n    name: {}\n    type: {}\n    url: {}\n"
    lines = [entry.format(name, name.title(), "feed", url) for name, url in entries.items()]
    lines.append(entry.format("council", "Council", "moderngov", site.url("/council")))
    lines.append(entry.format("panel", "Panel", "cmis", site.url("/cmis")) + "    committees: [127]\n")
    lines.append(entry.format("listing", "Listing", "page", site.url("/garbage.bin")) + "    item_selector: h2 a\n")
    return "".join(lines)


def faults(monkeypatch) -> None:
    """Failures nobody planned for: a source that raises, an extractor that raises, a store that cannot write."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from monitor.extract import ProcessPool
    from monitor.story_pages import read_story_page

    real_discover, real_add = FeedSource.discover, Store.add_items

    def discover(self, fetcher, state):
        if self.config.id == "buggy":
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        return real_discover(self, fetcher, state)

    def run(self, work, *args, **kwargs):  # in this process, so that the fault reaches it
        if work is read_story_page and "trips-extractor" in args[1]:
            raise KeyError("lxml-node")
        return work(*args, **kwargs)

    def add_items(self, new, *args, **kwargs):
        if any(each.item.source_id == "unstorable" for each in new):
            raise OperationalError("INSERT INTO items", {}, sqlite3.OperationalError("database is locked"))
        return real_add(self, new, *args, **kwargs)

    monkeypatch.setattr(FeedSource, "discover", discover)
    monkeypatch.setattr(ProcessPool, "run", run)
    monkeypatch.setattr(Store, "add_items", add_items)


def readable(text: str) -> None:
    assert not EXCEPTION_NAME.search(text), EXCEPTION_NAME.search(text)
    assert not TRACEBACK.search(text), TRACEBACK.search(text)
    assert not MACHINE_TALK.search(text), MACHINE_TALK.search(text)


def row_of(output: str, source_id: str) -> str:
    """The lines of a table row, from the line naming ``source_id`` to the next rule or row, cells run together."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if f" {source_id} " in line)
    end = next((n for n in range(start + 1, len(lines)) if re.match(r"^[│┃]\s\S", lines[n])), len(lines))
    return " ".join(" ".join(lines[start:end]).replace("│", " ").split())


def test_every_hostile_source_ends_in_words_in_the_poll_table_status_digest_and_log(
    monitor, tmp_path, hostile, unreachable, robots_broken, monkeypatch, caplog
):
    caplog.set_level(logging.INFO)
    faults(monkeypatch)
    config = write_config(
        tmp_path / "config",
        hostile,
        extra_sources=sources_yaml(hostile, unreachable, robots_broken),
        monitor_extra={"fetch": {"timeout": 1}},
    )

    poll = monitor("poll", config=config)
    status = monitor("status", config=config)
    digest = monitor("digest", "--dry-run", config=config)

    assert poll.exit_code == status.exit_code == digest.exit_code == 0, poll.output + status.output + digest.output
    failing = [*HOSTILE, "refused", "robots-unreadable", "council", "panel", "listing"]
    for source_id in [*failing, *PAGE_PROBLEMS]:
        remark = row_of(poll.output, source_id)
        assert not remark.endswith(" -"), remark  # something is said about it
        readable(remark)
    for source_id in failing:
        row = row_of(status.output, source_id)
        assert " 1 " in row, row  # one failure in a row, with its error
        readable(row)
    problems = digest.output.split("Sources with problems", 1)[1]
    for source_id in failing:
        assert f"{source_id.title()}: failing since" in problems
    readable(poll.output)
    readable(status.output)
    readable(digest.output)

    said = [record for record in caplog.records if record.levelno >= logging.WARNING and not record.exc_info]
    assert {record.getMessage().split(" ")[1] for record in said if "failed after" in record.getMessage()} >= set(
        failing
    )
    for record in said:
        readable(record.getMessage())
    bugs = [record for record in caplog.records if record.exc_info]
    assert {type(record.exc_info[1]).__name__ for record in bugs} == {
        "UnicodeDecodeError",
        "KeyError",
        "OperationalError",
    }  # the tracebacks are in the log
