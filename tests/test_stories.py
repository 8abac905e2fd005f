"""Stories in the store: copies of one story share its id, different incidents never do (issue 10, acceptance 1 and 6).

The fixture world (tests/story_world.py) is stored as polls would store it, in the order its articles appeared; the
truth of which articles are one incident is known, so every pair can be judged.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.items import CouncilEvent, CouncilReference, Item
from monitor.match.types import Match, Snippet
from monitor.store import NewItem, Store, migrations
from monitor.stories import StoryPrint, item_print
from tests.conftest import postgres_database
from tests.story_world import START, Article, build_world
from tests.test_store import EPOCH, _schema_versions, _tables, database_made_by, deliver

pytestmark = pytest.mark.both_backends


@pytest.fixture
def store(database_url: str):
    with Store(database_url) as opened:
        yield opened


def item_of(article: Article, **changes) -> Item:
    fields = {
        "source_id": article.source,
        "key": "url:" + article.url,
        "url": article.url,
        "title": article.title,
        "published": article.published,
        "body": article.text,
    } | changes
    return Item(**fields)


def store_all(store: Store, articles: list[Article], **options) -> dict[str, int]:
    """Store ``articles`` in order, each found when it was published; each one's story id by its link."""
    for article in articles:
        assert store.add_item(item_of(article), [], found_at=article.published, reported=True, **options)
    return {item.url: item.story_id for item in store.items(since=START - timedelta(days=30))}


def stories_of(articles: list[Article], story_by_url: dict[str, int]) -> dict[int, set[str]]:
    """Each story's incidents."""
    incidents: dict[int, set[str]] = defaultdict(set)
    for article in articles:
        incidents[story_by_url[article.url]].add(article.incident)
    return incidents


@pytest.mark.parametrize("seed", [10, 11])
def test_every_reworded_copy_joins_its_original_and_no_two_incidents_share_a_story(store: Store, seed: int) -> None:
    world = build_world(seed=seed)
    story_by_url = store_all(store, world)

    merged = stories_of(world, story_by_url)
    assert [incidents for incidents in merged.values() if len(incidents) > 1] == []  # no different incidents merged
    stories_by_incident: dict[str, set[int]] = defaultdict(set)
    for article in world:
        stories_by_incident[article.incident].add(story_by_url[article.url])
    assert {incident: ids for incident, ids in stories_by_incident.items() if len(ids) > 1} == {}  # nor any split
    originals = {article.incident: article for article in world if article.role in ("original", "release")}
    copies = [article for article in world if article.role in ("copy", "update")]
    assert len(copies) > 40 and all(a.title != originals[a.incident].title for a in copies)  # headlines rewritten
    look_alikes = [article for article in world if article.role in ("look-alike", "release", "brief")]
    assert len({story_by_url[a.url] for a in look_alikes}) == len({a.incident for a in look_alikes}) > 40


def test_a_shared_headline_alone_never_makes_one_story_and_a_reworded_one_over_the_same_text_does(
    store: Store,
) -> None:
    first, other_incident, *_ = [a for a in build_world(seed=12) if a.role == "original"]
    same_title = Article("bbc", "x", "copy", first.title, other_incident.text, "https://bbc.test/1", first.published)
    reworded = Article("bbc", "y", "copy", "A new headline entirely", first.text, "https://bbc.test/2", first.published)

    story_by_url = store_all(store, [first, same_title, reworded])

    assert story_by_url[same_title.url] != story_by_url[first.url]
    assert story_by_url[reworded.url] == story_by_url[first.url]


def test_a_short_text_makes_one_story_only_with_the_same_headline(store: Store) -> None:
    """A summary of a few words is often an outlet's stock line: under two headlines it is two stories."""
    when = START + timedelta(hours=1)
    stock = "Read the full story on our website."
    articles = [
        Article("nub", "a", "stock-short", "Man stabbed in Leigh", stock, "https://nub.test/1", when),
        Article("nub", "b", "stock-short", "Shop robbed in Eastwood", stock, "https://nub.test/2", when),
        Article("bbc", "a", "wire-short", "Man stabbed in Leigh", stock, "https://bbc.test/3", when),
    ]

    story_by_url = store_all(store, articles)

    assert (
        story_by_url["https://nub.test/1"] == story_by_url["https://bbc.test/3"] != story_by_url["https://nub.test/2"]
    )


def test_the_same_link_is_one_story_whatever_the_text(store: Store) -> None:
    first, second, *_ = [a for a in build_world(seed=12) if a.role == "original"]
    again = Article(
        "aggregator", first.incident, "copy", "Elsewhere", second.text, first.url + "?utm_source=x", first.published
    )

    story_by_url = store_all(store, [first, again])

    assert story_by_url[again.url] == story_by_url[first.url]


def test_prints_made_before_storing_as_a_poll_makes_them_give_the_stories_the_store_would(store: Store) -> None:
    world = build_world(seed=10)
    for article in world:
        item = item_of(article)
        assert store.add_items([NewItem(item, printed=item_print(item))], found_at=article.published) != [None]
    given = {item.url: item.story_id for item in store.items(since=START - timedelta(days=30))}

    with Store("sqlite://") as own:
        assert store_all(own, world) == given
    assert len(set(given.values())) < len(given)  # copies were grouped


def test_a_print_given_with_an_item_is_the_one_stored(store: Store) -> None:
    first, second, *_ = [a for a in build_world(seed=12) if a.role == "original"]
    alike = StoryPrint(band_keys=(), sure_keys=(4242,), runs=b"")  # as if the two shared a link

    for article in (first, second):
        store.add_items([NewItem(item_of(article), printed=alike)], found_at=article.published)

    assert len({item.story_id for item in store.items(since=START - timedelta(days=30))}) == 1


@pytest.mark.parametrize("batch", [2, 7, 40])
def test_items_stored_together_get_the_stories_they_get_one_at_a_time(
    database_url: str, tmp_path: Path, batch: int
) -> None:
    """A batch's stored candidates are looked up once and its own items compared as they are given stories: each
    sees what it would see had those before it been stored already, nothing more, nothing less."""
    world = build_world(seed=11)
    with Store(database_url) as one_at_a_time:
        alone = store_all(one_at_a_time, world)
        compared_alone = one_at_a_time.stories_compared
    with another_database(database_url, tmp_path) as other, Store(other) as together:
        for start in range(0, len(world), batch):
            articles = world[start : start + batch]
            at = max(article.published for article in articles)
            assert None not in together.add_items([NewItem(item_of(article)) for article in articles], found_at=at)
        stored = {item.url: item.story_id for item in together.items(since=START - timedelta(days=30))}
        compared_together = together.stories_compared
    assert len(set(alone.values())) < len(world) * 0.8  # copies were grouped
    assert stored == alone  # ids are given in the same order, so the same stories have the same ids
    assert compared_together == compared_alone


@contextmanager
def another_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the backend of ``database_url``."""
    if database_url.startswith("sqlite"):
        yield Store.default_url(tmp_path / "another")
    else:
        with postgres_database() as url:
            yield url


def test_copies_are_looked_for_within_the_window_only(store: Store) -> None:
    original = next(a for a in build_world(seed=12) if a.role == "original")
    late = Article("bbc", original.incident, "copy", "Looking back", original.text, "https://bbc.test/late",
                   original.published + timedelta(hours=80))  # fmt: skip
    early = Article("yellow", original.incident, "copy", "Soon after", original.text, "https://yellow.test/early",
                    original.published + timedelta(hours=2))  # fmt: skip

    story_by_url = store_all(store, [original, late, early], story_window=timedelta(hours=72))

    assert story_by_url[early.url] == story_by_url[original.url] != story_by_url[late.url]


def test_a_report_whose_page_is_read_later_joins_its_story_then(store: Store) -> None:
    original, copy = _original_and_copy()
    store_all(store, [original])
    waiting = store.add_item(
        item_of(copy, body=None, summary="Officers were called."),
        [],
        found_at=copy.published,
        reported=True,
        page_tries=1,
        page_retry_at=copy.published,
    )
    assert waiting is not None
    stories = {item.id: item.story_id for item in store.items(since=START)}
    assert stories[waiting] == waiting  # its summary alone is no copy of anything

    assert store.record_page_text(waiting, tries=1, body=copy.text, note="", matches=[]) == []

    assert {item.id: item.story_id for item in store.items(since=START)}[waiting] == stories[1]


def _original_and_copy() -> tuple[Article, Article]:
    world = build_world(seed=12)
    copy = next(a for a in world if a.role == "copy" and a.words >= 120)
    return next(a for a in world if a.incident == copy.incident and a.role == "original"), copy


def test_council_material_is_never_grouped_by_its_text(store: Store) -> None:
    """A document changed, the minutes after the agenda: council items repeat their text, and each is news."""
    text = " ".join(f"paragraph {n} of the community safety partnership report on knife crime" for n in range(30))
    reference = CouncilReference(event=CouncilEvent.DOCUMENT_ADDED, committee="Cabinet")
    for number in (1, 2):
        item = Item("council", f"doc:{number}", f"https://council.test/doc/{number}", "CSP report", body=text,
                    kind="document", council=reference)  # fmt: skip
        store.add_item(item, [], found_at=START, reported=True)

    assert [item.story_id for item in store.items(since=START)] == [1, 2]


def test_one_outlet_rewriting_its_template_is_two_stories_and_its_republished_update_is_one(store: Store) -> None:
    world = build_world(seed=13)
    update = next(a for a in world if a.role == "update")
    original = next(a for a in world if a.incident == update.incident and a.role == "original")
    look_alikes = [a for a in world if a.role == "release"][:3]

    story_by_url = store_all(store, [original, update, *look_alikes])

    assert story_by_url[update.url] == story_by_url[original.url]
    assert len({story_by_url[a.url] for a in look_alikes}) == 3


def random_story(rng: random.Random, words: list[str]) -> str:
    return " ".join(rng.choice(words) for _ in range(160))


def compared_for(stories: int) -> int:
    """Candidates compared while storing ``stories`` stories of three copies each, all within one window."""
    rng = random.Random(stories)
    vocabulary = [f"word{n}" for n in range(3000)]
    with Store("sqlite://") as store:
        for number in range(stories):
            text = random_story(rng, vocabulary)
            for copy, source in enumerate(("echo", "bbc", "yellow")):
                when = START + timedelta(minutes=number + copy)
                item = Item(source, f"{number}", f"https://{source}.test/{number}", f"Story {number}", body=text,
                            published=when)  # fmt: skip
                store.add_item(item, [], found_at=when, reported=True)
        return store.stories_compared


def test_the_candidates_compared_grow_with_the_stories_not_with_their_pairs() -> None:
    small, large = compared_for(25), compared_for(100)

    assert small >= 25 * 3  # each copy is compared with the copies before it: 1 + 2 for each story
    assert large <= small * 4 * 1.25  # four times the stories, about four times the work
    assert large < (100 * 3) ** 2 / 2 / 20  # far from every pair


def test_a_match_carries_its_story(store: Store) -> None:
    original, copy = _original_and_copy()
    match = Match("knife-crime", ("stabbed",), (), Snippet("stabbed", ((0, 7),)))
    for article in (original, copy):
        store.add_item(item_of(article), [match], found_at=article.published, reported=True)

    assert [m.story_id for m in store.matches()] == [1, 1]


def test_a_database_made_by_schema_version_5_is_upgraded_with_the_stories_of_its_recent_articles(
    tmp_path: Path,
) -> None:
    url = database_made_by("schema-v5.sql", tmp_path / "old")
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

    with Store(url) as store:
        stories = {item.id: item.story_id for item in store.items(since=now - timedelta(days=30))}
        # The copy joins its original; the old report (found before the week the step looks back on), the other
        # incident and the council document are stories of their own.
        assert stories == {1: 1, 2: 2, 3: 2, 4: 4, 5: 5}
        # Slack #crime had the story in a digest: the copy's matches count as delivered there, and are not offered.
        assert (
            store.cover_received_stories("slack", "#crime", topics=["knife-crime", "drugs"], since=EPOCH, at=now) == 2
        )
        assert [m.id for m in store.matches(undelivered_to=("slack", "#crime"))] == [6, 5]
        assert len(store.matches(undelivered_to=("email", "desk@example.org"))) == 6  # another destination: all
        copy_text = next(item.body for item in store.items(since=EPOCH) if item.id == 3)
        later = Item("yellow", "id:6", "https://yellow.example.test/news/6", "Yet another headline", body=copy_text)
        added = store.add_item(later, [], found_at=now, reported=True)
        assert {item.id: item.story_id for item in store.items(since=EPOCH)}[added] == 2

    assert _schema_versions(url) == list(range(5, len(migrations.MIGRATIONS) + 1))
    new_url = Store.default_url(tmp_path / "new")
    Store(new_url).close()
    assert _tables(url) == _tables(new_url)  # upgraded to what a new database is made with


def test_text_forgotten_after_the_retention_period_takes_its_story_keys_with_it(store: Store) -> None:
    original, copy = _original_and_copy()
    store_all(store, [original])

    assert store.forget_bodies(before=original.published + timedelta(minutes=1)) == 1
    later = replace(copy, published=original.published + timedelta(hours=1))
    story_by_url = store_all(store, [later])

    assert story_by_url[later.url] != story_by_url[original.url]  # nothing is left to find the old one by


def test_copies_stored_at_once_by_several_processes_are_one_story(database_url: str) -> None:
    """Several daemons on one database: each copy's story is decided seeing every copy stored before it."""
    original, _ = _original_and_copy()
    stores = [Store(database_url) for _ in range(4)]  # like four processes: their own connections, one database
    start, errors = threading.Barrier(8), []

    def store_copies(worker: int) -> None:
        try:
            start.wait()
            for number in range(3):
                source = f"outlet-{worker}"
                copy = replace(original, source=source, url=f"https://{source}.test/{number}", title=f"Take {number}")
                stores[worker % 4].add_item(item_of(copy), [], found_at=original.published, reported=True)
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=store_copies, args=(n,)) for n in range(8)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert errors == []
        assert len({item.story_id for item in stores[0].items(since=START)}) == 1
    finally:
        for store in stores:
            store.close()


def test_a_destination_that_has_a_story_counts_its_later_copies_as_delivered_and_is_not_offered_them(
    store: Store,
) -> None:
    original, copy = _original_and_copy()
    knife = Match("knife-crime", ("stabbed",), (), Snippet("stabbed", ((0, 7),)))
    drugs = Match("drugs", ("cannabis",), (), Snippet("cannabis", ((0, 8),)))
    store.add_item(item_of(original), [knife], found_at=original.published, reported=True)
    deliver(store, [1], "slack", "#crime", at=original.published)  # the story reaches #crime, as a digest
    deliver(store, [1], "email", "desk@example.org", at=original.published, kind="alert")  # and the desk, as an alert
    store.add_item(item_of(copy), [knife, drugs], found_at=copy.published, reported=True)
    everything = ["knife-crime", "drugs"]
    at = copy.published + timedelta(hours=1)

    assert [m.id for m in store.matches(undelivered_to=("slack", "#crime"))] == []  # the story is there already
    assert store.cover_received_stories("slack", "#crime", topics=["knife-crime"], since=START, at=at) == 1
    assert store.cover_received_stories("slack", "#crime", topics=everything, since=START, at=at) == 1  # drugs now
    assert store.cover_received_stories("slack", "#crime", topics=everything, since=START, at=at) == 0
    assert {m.id: m.delivered_to for m in store.matches()} == {
        1: (("slack", "#crime"),),
        2: (("slack", "#crime"),),
        3: (("slack", "#crime"),),
    }
    # The desk had the story as an alert only: its digest still offers the whole story, and no alert again.
    assert store.cover_received_stories("email", "desk@example.org", topics=everything, since=START, at=at) == 2
    assert sorted(m.id for m in store.matches(undelivered_to=("email", "desk@example.org"))) == [1, 2, 3]
    assert store.matches(undelivered_to=("email", "desk@example.org"), kind="alert") == []
    assert all(m.alerted for m in store.matches())
