"""A changed feed costs its new entries: entries read before (by their fingerprints in the checkpoint) are not read
again, and whatever could make an entry give another item than before makes it read again."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.demo.server import LocalSite
from monitor.sources.feed import FeedCheckpoint, FeedSource
from monitor.sources.feed_prints import ENTRIES_KEPT
from monitor.sources.feed_settings import FeedConfig
from monitor.store import Store
from tests.conftest import Polls
from tests.e2e import NOW, STORIES, Story, publish, rss_feed, write_config

pytestmark = [pytest.mark.both_backends]

FEED = "/news/rss.xml"
NEW = Story(
    "leigh-burglary", "Burglars target homes in Leigh", "Police ask residents to lock doors.", "Burglary in Leigh."
)
EDITED = replace(STORIES[1], summary="Councillors in Southend approved the budget by a single vote, after midnight.")


def feed_source(url: str) -> FeedSource:
    return FeedSource(FeedConfig(id="local-news", name="Local News", type="feed", url=url))


def serve(site: LocalSite, stories: tuple[Story, ...], path: str = FEED) -> None:
    site.add(path, rss_feed(site, stories), content_type="application/rss+xml")


def titles(discovery) -> list[str]:
    return [item.title for item in discovery.items]


# --- what a look at a changed feed gives ---------------------------------------------------------------------------


def test_a_changed_feed_gives_its_new_and_edited_entries_only(site, fetcher):
    serve(site, STORIES)
    source = feed_source(site.url(FEED))
    first = source.discover(fetcher, {})
    serve(site, (NEW, STORIES[0], EDITED, STORIES[2]))

    second = source.discover(fetcher, first.checkpoint.document())

    assert titles(first) == [story.title for story in STORIES] and len(first.checkpoint.entry_prints) == 3
    assert titles(second) == [NEW.title, EDITED.title]
    assert second.items[1].summary == EDITED.summary and second.items[1].key == first.items[1].key
    assert len(second.checkpoint.entry_prints) == 4  # the seen ones are kept too: the next body may list them


def test_entries_reordered_or_dropped_give_no_items(site, fetcher):
    serve(site, STORIES)
    source = feed_source(site.url(FEED))
    first = source.discover(fetcher, {})
    serve(site, (STORIES[2], STORIES[0]))

    second = source.discover(fetcher, first.checkpoint.document())

    assert not second.unchanged and second.items == ()
    assert set(second.checkpoint.entry_prints) < set(first.checkpoint.entry_prints)


def test_a_checkpoint_without_fingerprints_reads_every_entry_as_before(site, fetcher):
    serve(site, STORIES)
    source = feed_source(site.url(FEED))
    old = {"etag": '"gone"', "last_modified": None, "body_hash": "abc"}  # as the code before fingerprints saved it

    found = source.discover(fetcher, old)

    assert titles(found) == [story.title for story in STORIES] and found.notes == ()
    assert FeedCheckpoint.restore(found.checkpoint.document()) == found.checkpoint


def test_the_same_document_at_another_address_is_read_again(site, fetcher):
    relative = rss_feed(site, STORIES).replace(site.url("/news/"), "")  # links relative to the feed's address
    for path in ("/news/rss.xml", "/moved/rss.xml"):  # the same entries, in bodies that differ
        site.add(path, relative.replace("the patch", path), content_type="application/rss+xml")
    first = feed_source(site.url("/news/rss.xml")).discover(fetcher, {})

    moved = feed_source(site.url("/moved/rss.xml")).discover(fetcher, first.checkpoint.document())

    assert [item.url for item in first.items] == [site.url(f"/news/{story.slug}.html") for story in STORIES]
    assert [item.url for item in moved.items] == [site.url(f"/moved/{story.slug}.html") for story in STORIES]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<channel><link>https://a.example/</link>", "<channel><link>https://b.example/</link>"),  # a linkless entry's
        ('<channel xml:base="https://a.example/">', '<channel xml:base="https://b.example/">'),  # a relative link's
    ],
)
def test_an_entry_is_read_again_when_what_it_is_read_against_changes(site, fetcher, before, after):
    entries = "<item><title>Linkless</title><guid isPermaLink='false'>g</guid></item><item><link>r.html</link></item>"
    document = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{entries}</channel></rss>'
    site.add(FEED, document.replace("<channel>", before), content_type="application/rss+xml")
    source = feed_source(site.url(FEED))
    first = source.discover(fetcher, {})
    site.add(FEED, document.replace("<channel>", after), content_type="application/rss+xml")

    second = source.discover(fetcher, first.checkpoint.document())

    assert second.items == source.discover(fetcher, {}).items and second.items != first.items


def test_a_body_feedparser_reads_keeps_no_fingerprints_so_the_next_reads_every_entry(site, fetcher):
    serve(site, STORIES)
    source = feed_source(site.url(FEED))
    first = source.discover(fetcher, {})
    odd = rss_feed(site, (NEW, *STORIES)).replace("<title>Local News</title>", "<title>Local <b>News</b></title>")
    site.add(FEED, odd, content_type="application/rss+xml")  # markup in a field: the lean reader leaves it

    by_feedparser = source.discover(fetcher, first.checkpoint.document())
    serve(site, (NEW, *STORIES))
    after = source.discover(fetcher, by_feedparser.checkpoint.document())

    assert len(by_feedparser.items) == 4 and by_feedparser.checkpoint.entry_prints == ()
    assert len(after.items) == 4 and len(after.checkpoint.entry_prints) == 4


def test_entries_without_anything_are_noted_at_every_read(site, fetcher):
    empty = "<item><description></description></item></channel>"
    site.add(FEED, rss_feed(site, STORIES[:1]).replace("</channel>", empty), content_type="application/rss+xml")
    source = feed_source(site.url(FEED))
    first = source.discover(fetcher, {})
    site.add(FEED, rss_feed(site, STORIES[:2]).replace("</channel>", empty), content_type="application/rss+xml")

    second = source.discover(fetcher, first.checkpoint.document())

    skipped = f"{site.url(FEED)}: skipped 1 entries with no id, link, title or summary"
    assert (titles(first), first.notes) == ([STORIES[0].title], (skipped,))
    assert (titles(second), second.notes) == ([STORIES[1].title], (skipped,))


def test_a_json_feed_is_read_for_its_new_and_edited_items(site, fetcher):
    def json_feed(summaries: dict[str, str]) -> bytes:
        items = [{"id": key, "url": f"/{key}", "title": key, "summary": text} for key, text in summaries.items()]
        return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}).encode()

    site.add("/feed.json", json_feed({"a": "one", "b": "two"}), content_type="application/feed+json")
    source = feed_source(site.url("/feed.json"))
    first = source.discover(fetcher, {})
    site.add("/feed.json", json_feed({"c": "three", "a": "one", "b": "two, edited"}), content_type="application/json")

    second = source.discover(fetcher, first.checkpoint.document())

    assert titles(first) == ["a", "b"] and titles(second) == ["c", "b"]


def test_a_feed_of_thousands_of_entries_keeps_a_bounded_checkpoint(site, fetcher):
    many = tuple(Story(f"s{n}", f"Story {n}", "S.", "B.", age=timedelta(days=n)) for n in range(ENTRIES_KEPT + 200))
    serve(site, many)
    source = feed_source(site.url(FEED))
    first = source.discover(fetcher, {})
    serve(site, (NEW, *many[:-1]))

    second = source.discover(fetcher, first.checkpoint.document())

    assert len(first.items) == len(many) and len(first.checkpoint.entry_prints) == ENTRIES_KEPT
    assert titles(second) == [NEW.title, *(story.title for story in many[ENTRIES_KEPT:-1])]  # past the kept ones
    assert len(json.dumps(second.checkpoint.document())) < 25 * ENTRIES_KEPT  # about 20 KB as JSON


# --- a poll: what is stored, and what the poll table and `monitor status` say -----------------------------------------


@pytest.fixture
def polls(database_url: str, tmp_path: Path):
    with Store(database_url) as store:
        yield Polls(store, tmp_path / "data")


def test_a_poll_of_a_changed_feed_stores_exactly_its_new_entry(tmp_path, site, polls):
    publish(site, STORIES[:2])
    directory = write_config(tmp_path / "config", site)
    (first,) = polls(directory)
    publish(site, (NEW, STORIES[0], EDITED))

    (second,) = polls(directory)
    (row,) = polls.status(directory)

    stored = polls.store.items(since=NOW - timedelta(days=30))
    assert (first.error, first.new_items, second.error, second.new_items) == (None, 2, None, 1)
    assert sorted(item.title for item in stored) == sorted(story.title for story in (NEW, *STORIES[:2]))
    assert [item.summary for item in stored if item.title == EDITED.title] == [STORIES[1].summary]  # not stored again
    assert (row.health.last_error, row.health.last_new_items, len(row.health.checkpoint["entry_prints"])) == (
        None,
        1,
        3,
    )
