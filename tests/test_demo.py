"""`monitor demo` works offline, its digest holds the sample's true stories (from two feeds and a listing without
one) and none of its decoys, and its sample site is made from one table of stories."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser

from monitor.config import load_config
from monitor.demo.run import run_demo, write_demo_config
from monitor.demo.sample_site import sample_pages, serve_sample_site
from monitor.demo.stories import STORIES, Story
from monitor.sources.page import PageSource

TRUE_STORIES = (
    "Man taken to hospital after disorder in Southend High Street",
    "Forty more officers for Southend as commissioner sets out policing plan",
    "Three arrested in Westcliff county lines operation",
    "Dispersal order in place in Leigh-on-Sea this weekend",
    "Seafront rules to stay for three more years",  # from the council's newsroom, which has no feed
)
DECOYS = (
    "Councillors face knife-edge vote on Southend budget",
    "Southend United lack killer instinct in goalless draw",
    "Teenager stabbed in Manchester city centre",
    "Knife skills: a Leigh-on-Sea chef's guide to winter vegetables",
)


def test_demo_prints_the_true_stories_and_none_of_the_decoys(tmp_path):
    printed: list[str] = []
    preview = run_demo(printed.append, workdir=tmp_path)
    output = "\n".join(printed)
    for title in TRUE_STORIES:
        assert title in output
    for title in DECOYS:
        assert title not in output
    html = preview.read_text(encoding="utf-8")
    assert preview.parent == tmp_path and all(title in html for title in TRUE_STORIES)
    assert str(preview) in output


def test_a_story_added_to_the_table_gets_a_page_a_feed_entry_and_an_index_line():
    added = Story(
        slug="pier-closed",
        outlet="police",
        title='Pier closed after "suspicious" package found',
        published=datetime(2026, 11, 26, 8, 5, tzinfo=UTC),
        summary="Officers cordoned off the pier entrance.",
        text="The pier was closed on Thursday morning\nwhile officers examined a bag.\n\nIt reopened at noon.",
    )
    pages = {page.path: page.body for page in sample_pages("http://demo.example", (*STORIES, added))}

    assert '<a href="http://demo.example/articles/pier-closed.html">' in pages["/"]
    police, echo = feedparser.parse(pages["/police/news.atom"]), feedparser.parse(pages["/echo/rss.xml"])
    assert police.entries[-1].title == added.title and police.entries[-1].link.endswith("/articles/pier-closed.html")
    assert police.entries[-1].updated_parsed[:5] == (2026, 11, 26, 8, 5)
    assert added.title not in [entry.title for entry in echo.entries]
    page = pages["/articles/pier-closed.html"]
    assert "<p>The pier was closed on Thursday morning while officers examined a bag.</p>" in page
    assert "08:05 26/11/2026" in page


def test_a_council_story_added_to_the_table_is_on_the_newsroom_listing_and_in_no_feed():
    added = Story(
        slug="library-hours",
        outlet="council",
        title="Library opening hours & winter events",
        published=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        summary="Longer hours at the Forum from December.",
        text="The Forum will open until 8pm on weekdays.",
    )
    pages = {page.path: page.body for page in sample_pages("http://demo.example", (*STORIES, added))}

    newsroom = pages["/council/newsroom.html"]
    link = '<a href="http://demo.example/articles/library-hours.html">Library opening hours &amp; winter events</a>'
    assert link in newsroom
    assert "Published 27 November 2026, 9.30am" in newsroom
    assert added.title not in pages["/police/news.atom"] and added.title not in pages["/echo/rss.xml"]
    assert (
        "<title>Library opening hours &amp; winter events | Southend-on-Sea City Council (demo)</title>"
        in (pages["/articles/library-hours.html"])
    )


def test_the_demos_page_source_reads_exactly_the_council_stories_off_the_newsroom(tmp_path, site, fetcher):
    serve_sample_site(site)
    config_dir = write_demo_config(tmp_path / "config", site.base_url)
    (page,) = [source for source in load_config(config_dir).sources.sources if source.type == "page"]

    found = PageSource(page).discover(fetcher, {})

    council = [story for story in STORIES if story.outlet == "council"]
    assert [item.url for item in found.items] == [site.url(f"/articles/{story.slug}.html") for story in council]
    assert [(item.title, item.summary, item.published) for item in found.items] == [
        (story.title, story.summary, story.published) for story in council
    ]
