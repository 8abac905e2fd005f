"""A new story costs one trip to the pool of processes: its page read, its fields matched and its text printed there
together, and so does a story whose page is not read; a page read on a later try is matched and printed in the pool
too, never again in the command's process (where it would hold the GIL, inside the store's write transaction).

Trips are counted by running the pool's work in the test's process (``ProcessPool.run`` patched), each by name."""

from __future__ import annotations

import pickle
from collections import Counter
from dataclasses import replace

import pytest

import monitor.store.stories
from monitor.config import load_config
from monitor.extract import ProcessPool
from monitor.match import Matcher
from monitor.page_retry import FIRST_PAGE_RETRY
from monitor.store import Store
from monitor.stories import story_print
from monitor.story_pages import StoryToRead
from tests.e2e import NOW, Clock, article_page, write_config
from tests.pool_imports import imported_by_a_story
from tests.test_page_retry import ATTACK, ATTACK_PAGE, EPOCH, answer, attack_item, make_app
from tests.test_story_prints import prints_stored


@pytest.fixture
def trips(monkeypatch) -> Counter[str]:
    counted: Counter[str] = Counter()

    def run(self, work, *args, **kwargs):
        counted[work.__name__] += 1
        return work(*args, **kwargs)

    monkeypatch.setattr(ProcessPool, "run", run)
    return counted


@pytest.fixture
def prints_made_by_the_store(monkeypatch) -> list[str]:
    made: list[str] = []
    real = monitor.store.stories.story_print

    def counted(**fields):
        made.append(fields["url"])
        return real(**fields)

    monkeypatch.setattr(monitor.store.stories, "story_print", counted)
    return made


@pytest.mark.parametrize("full_text", [True, False])
def test_each_new_story_costs_one_trip_to_the_pool(tmp_path, news_site, trips, prints_made_by_the_store, full_text):
    app = make_app(tmp_path, news_site, Clock(NOW), full_text=full_text)

    [report] = app.poll()

    stored = app.store.items(since=EPOCH)
    assert report.new_items == len(stored) == 3
    story_work = "read_story_page" if full_text else "read_story"
    assert trips == {"parse_feed": 1, story_work: 3}
    assert all(bool(item.body) == full_text for item in stored)
    assert prints_made_by_the_store == []
    assert_prints_are_of_the_items_as_stored(app.store, tmp_path)


def test_a_page_read_on_a_later_try_is_matched_and_printed_in_its_trip_to_the_pool(
    tmp_path, news_site, trips, prints_made_by_the_store
):
    clock = Clock(NOW)
    news_site.add_handler(ATTACK_PAGE, answer(503))
    app = make_app(tmp_path, news_site, clock)
    app.poll()
    clock.advance(FIRST_PAGE_RETRY)
    news_site.add(ATTACK_PAGE, article_page(ATTACK))
    trips.clear()

    [report] = app.poll()

    assert (report.pages_read_late, report.new_matches) == (1, 1)
    assert trips == {"read_story_page": 1}  # the feed did not change
    assert prints_made_by_the_store == []
    assert "was stabbed in the leg" in attack_item(app).body
    assert_prints_are_of_the_items_as_stored(app.store, tmp_path)


def assert_prints_are_of_the_items_as_stored(store: Store, tmp_path) -> None:
    """Each item's stored runs and story keys are those of the print of its text, link and headline as stored."""
    prints = prints_stored(Store.default_url(tmp_path / "data"))
    for item in store.items(since=EPOCH):
        printed = story_print(kind=item.kind, url=item.url, title=item.title, text=item.body or item.summary)
        assert printed is not None
        runs, keys, _story = prints[item.id]
        assert (runs, {key for key, _at in keys}) == (printed.runs or None, set(printed.keys))


def test_a_process_of_the_pool_has_imported_what_a_story_needs_before_its_first_one(tmp_path, news_site):
    """The fork server imports it once for every process, rather than each process after it replaces one."""
    config = load_config(write_config(tmp_path, news_site))
    story = StoryToRead({"title": ATTACK.title, "summary": "", "body": ""}, Matcher.compile(config.keywords), (), True)
    long_report = replace(ATTACK, body=". ".join(f"{ATTACK.body} Witness {n} saw it" for n in range(12)))
    page = article_page(long_report).encode()  # long enough to be compared with others: its print is a MinHash
    pool = ProcessPool(1)
    try:
        imported = pool.run(imported_by_a_story, pickle.dumps((page, "https://a.test/", story)))
    finally:
        pool.close()

    assert imported == []
