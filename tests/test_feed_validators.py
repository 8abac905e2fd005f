"""Feeds polled end to end against servers that send validators of every kind, or none.

Each server is polled three times with no change and once after a story is added: every story is stored once, the
validators it sent go back where it sent any, an unchanged feed is "unchanged" (no parsing, no store look-ups), and
nothing is logged as an error on the way.
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest

from monitor.app import App
from monitor.config import load_config
from monitor.config_checks import rules_check
from monitor.store import Store
from tests.e2e import NOW, STORIES, Story, publish, rss_feed, write_config

FEED = "/news/rss.xml"
LATER = Story(
    "pier-arrest", "Arrest after pier fight", "A man was arrested on the pier.", "He was stabbed on the pier."
)

SERVERS = {
    "no validators": dict(etag=None, last_modified=None),
    "strong ETag only": dict(etag="strong", last_modified=None),
    "weak ETag only": dict(etag="weak", last_modified=None),
    "Last-Modified only": dict(etag=None, last_modified="imf"),
    "Last-Modified only, RFC 850 date": dict(etag=None, last_modified="rfc850"),
    "Last-Modified only, asctime date": dict(etag=None, last_modified="asctime"),
    "both": dict(etag="strong", last_modified="imf"),
    "weak ETag and an asctime date": dict(etag="weak", last_modified="asctime"),
    "a new ETag every time": dict(etag="per-request", last_modified=None),
    "a new ETag every time and a date": dict(etag="per-request", last_modified="imf"),
    "304 without validators, both sent before": dict(etag="strong", last_modified="imf", bare_304=True),
    "304 without validators, weak ETag sent before": dict(etag="weak", last_modified=None, bare_304=True),
    "304 without validators, RFC 850 date sent before": dict(etag=None, last_modified="rfc850", bare_304=True),
}


def serve_feed(site, stories, validators) -> None:
    site.add(FEED, rss_feed(site, stories), content_type="application/rss+xml", **validators)


@pytest.fixture
def polled(tmp_path, site, caplog):
    """The whole app, reading the site's feed only (``full_text: false``); ``caplog`` holds what it logged."""
    caplog.set_level(logging.INFO)
    publish(site)
    config = load_config(write_config(tmp_path / "config", site, full_text=False), checks=[rules_check])
    store = Store(Store.default_url(tmp_path / "data"))
    app = App(config, store, data_dir=tmp_path / "data", stream=io.StringIO())
    yield app
    app.close()
    store.close()


@pytest.mark.parametrize("validators", SERVERS.values(), ids=SERVERS.keys())
def test_each_story_is_stored_once_whatever_validators_the_server_sends(polled, site, caplog, validators):
    serve_feed(site, STORIES, validators)
    [source] = polled.config.sources.sources
    reports = [polled.poller.poll_source(source) for _ in range(3)]
    serve_feed(site, (*STORIES, LATER), validators)
    reports.append(polled.poller.poll_source(source))

    assert [report.error for report in reports] == [None] * 4
    assert [report.new_items for report in reports] == [len(STORIES), 0, 0, 1]
    assert [report.unchanged for report in reports] == [False, True, True, False]
    stored = polled.store.items(since=NOW - timedelta(days=1))
    assert sorted(item.title for item in stored) == sorted(story.title for story in (*STORIES, LATER))

    feed_requests = [request.headers for request in site.requests if request.path == FEED]
    assert len(feed_requests) == 4
    assert not {"if-none-match", "if-modified-since"} & set(feed_requests[0])
    for headers in feed_requests[1:]:
        assert ("if-none-match" in headers) == (validators["etag"] is not None)
        assert ("if-modified-since" in headers) == (validators["last_modified"] is not None)

    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
