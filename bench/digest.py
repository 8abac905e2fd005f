"""Benchmark of a big digest: 3,000 matches, grouped into stories, built into one digest and rendered.

Stores the articles of a fixture world (``tests/story_world.py``: syndicated copies, updates, look-alike incidents,
short items) of about three weeks into a fresh SQLite database, as polls would, each article matching one or two
topics; then builds the digest of every match, as `monitor digest` does for one destination: the matches read with
the stories already received left out, the stories grouped and laid out, and the digest rendered as Markdown.

Prints the time to store (story grouping included, with the candidates compared), the time to build the digest
(target under 5 s) and its size. Speed is measured here, never in timed tests.

    .venv/bin/python bench/digest.py [--matches 3000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# Run from a checkout, installed or not; the checkout's root also makes the fixture world in tests/ importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.deliver.render import render_markdown
from monitor.digest import build_digest
from monitor.items import Item
from monitor.match.settings import TopicConfig
from monitor.match.types import Hit, Match, Snippet
from monitor.store import Store
from tests.story_world import OUTLETS, Article, build_world

TARGET_SECONDS = 5
TOPICS = [
    TopicConfig(id="knife-crime", name="Knife crime", any=["stabbed"]),
    TopicConfig(id="robbery", name="Robbery", any=["robbed"]),
    TopicConfig(id="drugs", name="Drugs", any=["cannabis"]),
    TopicConfig(id="burglary", name="Burglary", any=["burglary"]),
    TopicConfig(id="appeals", name="Police appeals", any=["Crimestoppers"]),
]
KIND_TOPIC = {"stabbing": "knife-crime", "robbery": "robbery", "cannabis": "drugs", "burglary": "burglary"}


def matches_of(article: Article) -> list[Match]:
    """Its kind's topic, and police appeals when it carries the appeal."""
    topics = [KIND_TOPIC[article.incident.rsplit("-", 1)[0]]]
    if "Crimestoppers" in article.text:
        topics.append("appeals")
    snippet = Snippet(article.text[:200], ((0, 10),))
    return [Match(topic, (topic,), (Hit(topic, "body", 0, 10),), snippet) for topic in topics]


def world_of(matches: int) -> list[Article]:
    """Enough days of the fixture world for ``matches`` matches (the last article's matches may pass it)."""
    articles: list[Article] = []
    days = 1
    while sum(len(matches_of(article)) for article in articles) < matches:
        days += 1
        articles = build_world(seed=1, incidents_per_day=25, days=days)
    total, kept = 0, []
    for article in articles:
        if total >= matches:
            break
        kept.append(article)
        total += len(matches_of(article))
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matches", type=int, default=3000, help="matches in the digest (default 3000)")
    options = parser.parse_args()
    articles = world_of(options.matches)
    with tempfile.TemporaryDirectory() as folder, Store(Store.default_url(Path(folder))) as store:
        started = time.perf_counter()
        for article in articles:
            item = Item(article.source, article.url, article.url, article.title, body=article.text,
                        published=article.published)  # fmt: skip
            store.add_item(item, matches_of(article), found_at=article.published, reported=True)
        stored = time.perf_counter() - started
        now = articles[-1].published + timedelta(hours=1)
        since = now - timedelta(days=30)

        started = time.perf_counter()
        store.cover_received_stories("console", "-", topics=[t.id for t in TOPICS], since=since, at=now)
        records = store.matches(since=since, undelivered_to=("console", "-"))
        digest = build_digest(records, topics=TOPICS, source_names=OUTLETS, zone=ZoneInfo("Europe/London"), now=now,
                              max_items_per_topic=15)  # fmt: skip
        markdown = render_markdown(digest)
        built = time.perf_counter() - started

    print(f"{len(articles)} articles, {len(records)} matches, {digest.total} stories")
    compared = store.stories_compared
    print(
        f"stored in {stored:.1f} s ({stored / len(articles) * 1000:.1f} ms an article, story grouping included); "
        f"{compared} candidates compared ({compared / len(articles):.1f} an article)"
    )
    print(f"digest built in {built:.2f} s (target under {TARGET_SECONDS} s): {len(markdown):,} characters of Markdown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
