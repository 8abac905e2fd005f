"""Page sources: news listings without a feed. Only the stories the item selector picks are items (never the listing's
menus, "most read" boxes, pagination or cookie banner); their pages are read in full and matched like feed items; a
listing polled again reports nothing twice; selectors are checked when the configuration loads, and one that finds
nothing on the page is a readable problem of that source."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from monitor.config import ConfigErrors, load_config
from monitor.sources.base import SourceError
from monitor.sources.council.dates import london_time, london_today
from monitor.sources.page import PageSource, read_listing
from monitor.sources.page_dates import listing_date
from monitor.sources.page_settings import PageConfig
from monitor.terminal import poll_remarks
from tests.e2e import NOW, STORIES, Story, write_config
from tests.listing_site import (
    COUNCIL_NEWSROOM,
    POLICE_LISTING,
    council_newsroom,
    council_story_url,
    police_listing,
    police_story_url,
    publish_council_newsroom,
    publish_police_listing,
)

POLICE = "https://police.example/news/essex/news/"
COUNCIL = "https://council.example/newsroom/home"
POLICE_SELECTORS = {
    "item_selector": "article.news-card",
    "title_selector": "h3 a",
    "date_selector": "time",
    "summary_selector": ".news-card__summary",
}
COUNCIL_SELECTORS = {
    "item_selector": "#content .featured, .press-release",
    "title_selector": ".featured__headline, .press-release > a",
    "date_selector": ".featured__when, .press-release__date",
    "summary_selector": "p",
}


def page_config(url: str, **selectors: str) -> PageConfig:
    return PageConfig(id="listing", name="Listing", type="page", url=url, **selectors)


def listing_items(html: str, url: str, **selectors: str):
    return read_listing(page_config(url, **selectors), html.encode(), url=url, now=NOW).items


# --- reading a listing ---------------------------------------------------------------------------------------------


def test_a_police_listing_gives_its_cards_and_nothing_of_its_menus_pagination_or_most_read_box():
    items = listing_items(police_listing(STORIES), POLICE, **POLICE_SELECTORS)

    assert [item.url for item in items] == [
        f"https://police.example/news/essex/news/news/2026/{story.slug}/" for story in STORIES
    ]  # the headline's link, not the tag link before it in the card
    assert [item.title for item in items] == [story.title for story in STORIES]
    assert [item.summary for item in items] == [story.summary for story in STORIES]
    assert [item.published for item in items] == [NOW - story.age for story in STORIES]  # <time datetime>, in UTC
    assert [item.key for item in items] == [f"url:{item.url.rstrip('/')}" for item in items]
    assert {item.kind for item in items} == {"article"} and {item.body for item in items} == {None}


def test_without_title_date_or_summary_selectors_the_heading_and_the_time_element_are_used():
    items = listing_items(police_listing(STORIES), POLICE, item_selector="article.news-card")

    assert [(item.title, item.published, item.summary) for item in items] == [
        (story.title, NOW - story.age, "") for story in STORIES
    ]


def test_an_item_selector_that_picks_the_links_themselves_gives_the_same_stories():
    by_card = listing_items(police_listing(STORIES), POLICE, item_selector="article.news-card")
    by_link = listing_items(police_listing(STORIES), POLICE, item_selector=".news-card__title a")

    assert [(item.url, item.title) for item in by_link] == [(item.url, item.title) for item in by_card]


def test_a_council_newsroom_resolves_links_against_its_base_and_reads_its_own_dates():
    featured, *releases = STORIES
    html = council_newsroom(featured, releases)

    items = listing_items(html, COUNCIL, **COUNCIL_SELECTORS)

    assert [item.url for item in items] == [f"https://council.example/newsroom/news/{s.slug}" for s in STORIES]
    assert [item.title for item in items] == [story.title for story in STORIES]  # not the featured card's "2 hours ago"
    assert items[0].published == NOW - timedelta(hours=2)  # "2 hours ago", from when the listing was read
    assert items[0].summary == ""
    for item, story in zip(items[1:], releases, strict=True):  # "Published 27 November 2026": midnight in London
        assert item.published == london_time((NOW - story.age).date())
        assert item.summary == story.summary


def test_the_link_around_a_selected_element_is_its_story():
    featured, *releases = STORIES
    (item,) = listing_items(council_newsroom(featured, releases), COUNCIL, item_selector=".featured__headline")

    assert (item.url, item.title) == (f"https://council.example/newsroom/news/{featured.slug}", featured.title)


def test_a_story_shown_twice_is_one_item_and_elements_without_a_web_link_are_skipped_with_a_note():
    html = """<html><body><div class="lead"><a href="/news/one">Lead story</a></div>
    <ul><li class="story"><a href="/news/one">Lead story</a></li><li class="story"><a href="/news/two">Second</a></li>
    <li class="story"><a href="mailto:press@example.org">Press office</a></li><li class="story">No link here</li></ul>
    </body></html>"""

    listing = read_listing(page_config(POLICE, item_selector=".lead, .story"), html.encode(), url=POLICE, now=NOW)

    assert [item.url for item in listing.items] == [
        "https://police.example/news/one",
        "https://police.example/news/two",
    ]
    assert listing.notes == ("2 of the 5 elements item_selector matched hold no link to a story; skipped",)


def test_a_date_that_cannot_be_read_leaves_the_story_undated_and_says_so():
    html = """<html><body><div class="story"><a href="/a">First</a><span class="when">Sometime last week</span></div>
    <div class="story"><a href="/b">Second</a><span class="when">27 November</span></div>
    <div class="story"><a href="/c">Third</a><span class="when">Yesterday at 9.30am</span></div></body></html>"""

    listing = read_listing(
        page_config(POLICE, item_selector=".story", date_selector=".when"), html.encode(), url=POLICE, now=NOW
    )

    assert [item.published for item in listing.items[:2]] == [None, None]  # a date without a year is not guessed
    assert listing.items[2].published == london_time(london_today(NOW) - timedelta(days=1), time(9, 30))
    assert listing.notes == (
        "the date of 2 stories could not be read (e.g. 'Sometime last week'); they are undated "
        "(see 'Page sources' in the README for the dates Beatwatch reads)",
    )


def test_an_item_selector_that_matches_nothing_is_a_readable_error():
    with pytest.raises(SourceError) as error:
        read_listing(page_config(POLICE, item_selector="article h2 a"), police_listing(STORIES).encode(), url=POLICE,
                     now=NOW)  # fmt: skip

    assert str(error.value) == (
        f"item_selector 'article h2 a' matched nothing on the page {POLICE}; check it against the page's HTML "
        "(see 'Page sources' in the README)"
    )


def test_an_item_selector_that_matches_only_elements_without_links_is_a_readable_error():
    with pytest.raises(SourceError, match=r"^item_selector '\.news-card__date' matched 3 elements on the page "):
        read_listing(page_config(POLICE, item_selector=".news-card__date"), police_listing(STORIES).encode(),
                     url=POLICE, now=NOW)  # fmt: skip


# --- dates as listings write them -----------------------------------------------------------------------------------

WINTER_AFTERNOON = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # London is on GMT
SUMMER_AFTERNOON = datetime(2026, 7, 3, 15, 0, tzinfo=UTC)  # London is on BST, an hour ahead


@pytest.mark.parametrize(
    ("text", "now", "meant"),
    [
        ("2026-11-27", WINTER_AFTERNOON, datetime(2026, 11, 27, 0, 0, tzinfo=UTC)),
        ("2026-11-27T14:05:00Z", WINTER_AFTERNOON, datetime(2026, 11, 27, 14, 5, tzinfo=UTC)),
        ("2026-07-01T14:05:00+01:00", WINTER_AFTERNOON, datetime(2026, 7, 1, 13, 5, tzinfo=UTC)),
        ("2026-07-01 14:05", WINTER_AFTERNOON, datetime(2026, 7, 1, 13, 5, tzinfo=UTC)),  # no zone: London (BST)
        ("Published: 27 November 2026", WINTER_AFTERNOON, datetime(2026, 11, 27, 0, 0, tzinfo=UTC)),
        ("Fri 27th Nov, 2026", WINTER_AFTERNOON, datetime(2026, 11, 27, 0, 0, tzinfo=UTC)),
        ("November 27, 2026", WINTER_AFTERNOON, datetime(2026, 11, 27, 0, 0, tzinfo=UTC)),
        ("27 November 2026, 2.05pm", WINTER_AFTERNOON, datetime(2026, 11, 27, 14, 5, tzinfo=UTC)),
        ("1 July 2026", WINTER_AFTERNOON, datetime(2026, 6, 30, 23, 0, tzinfo=UTC)),  # midnight in London, BST
        ("27/11/2026", WINTER_AFTERNOON, datetime(2026, 11, 27, 0, 0, tzinfo=UTC)),
        ("03/04/2026", WINTER_AFTERNOON, datetime(2026, 4, 2, 23, 0, tzinfo=UTC)),  # 3 April: day first
        ("27.11.26", WINTER_AFTERNOON, datetime(2026, 11, 27, 0, 0, tzinfo=UTC)),
        ("10:20 25/11/2026", WINTER_AFTERNOON, datetime(2026, 11, 25, 10, 20, tzinfo=UTC)),
        ("27/11/2026 14:05", WINTER_AFTERNOON, datetime(2026, 11, 27, 14, 5, tzinfo=UTC)),
        ("just now", WINTER_AFTERNOON, WINTER_AFTERNOON),
        ("Updated 5 minutes ago", WINTER_AFTERNOON, WINTER_AFTERNOON - timedelta(minutes=5)),
        ("an hour ago", WINTER_AFTERNOON, WINTER_AFTERNOON - timedelta(hours=1)),
        ("2 hrs ago", WINTER_AFTERNOON, WINTER_AFTERNOON - timedelta(hours=2)),
        ("3 days ago", WINTER_AFTERNOON, WINTER_AFTERNOON - timedelta(days=3)),
        ("1 week ago", WINTER_AFTERNOON, WINTER_AFTERNOON - timedelta(weeks=1)),
        ("Today", SUMMER_AFTERNOON, datetime(2026, 7, 2, 23, 0, tzinfo=UTC)),
        ("Yesterday at 9.30am", SUMMER_AFTERNOON, datetime(2026, 7, 2, 8, 30, tzinfo=UTC)),
        ("27 November", WINTER_AFTERNOON, None),  # no year: not guessed
        ("31/02/2026", WINTER_AFTERNOON, None),
        ("Sometime last week", WINTER_AFTERNOON, None),
        ("", WINTER_AFTERNOON, None),
    ],
)
def test_listing_dates_are_read_in_the_forms_the_readme_lists(text, now, meant):
    assert listing_date(text, now=now) == meant


# --- the configuration ---------------------------------------------------------------------------------------------


def page_source_yaml(url: str, **keys: str) -> str:
    lines = [f"  - id: essex-police-news\n    name: Essex Police news\n    type: page\n    url: {url}"]
    lines += [f"    {key}: {value}" for key, value in keys.items()]
    return "sources:\n" + "\n".join(lines) + "\n"


def configured(tmp_path, site, **keys: str):
    """The e2e configuration for ``site`` with one source: the police listing read with ``keys``."""
    directory = write_config(tmp_path / "config", site)
    (directory / "sources.yaml").write_text(page_source_yaml(site.url(POLICE_LISTING), **keys))
    return directory


def test_a_broken_selector_is_a_config_error_with_its_line_column_and_a_hint(tmp_path, site):
    directory = configured(tmp_path, site, item_selector="'article.news-card h3 a[href'", date_selector="'a::before'")

    with pytest.raises(ConfigErrors) as raised:
        load_config(directory)

    assert [str(error) for error in raised.value.errors] == [
        "sources.yaml:6:20: 'article.news-card h3 a[href' is not a CSS selector: malformed attribute selector (at "
        "character 23); copy it from your browser's inspector, e.g. article.news-item h2 a (see 'Page sources' in "
        "the README)",
        "sources.yaml:7:20: 'a::before' selects no element (pseudo-element found); copy it from your browser's "
        "inspector, e.g. article.news-item h2 a (see 'Page sources' in the README)",
    ]


def test_a_page_source_without_an_item_selector_is_a_config_error(tmp_path, site):
    with pytest.raises(ConfigErrors) as raised:
        load_config(configured(tmp_path, site, title_selector="h3"))

    (error,) = raised.value.errors
    assert str(error) == (
        "sources.yaml:2:5: source 'essex-police-news' is missing 'item_selector'; add a line 'item_selector: ...'"
    )


# --- polled over HTTP ------------------------------------------------------------------------------------------------


def story_pages_read(site) -> list[str]:
    return [request.path for request in site.requests if request.path.startswith("/news/essex/news/news/")]


def test_a_page_source_reports_the_stories_it_links_to_read_in_full_and_matched_and_a_new_card_once(
    tmp_path, site, poll_with
):
    publish_police_listing(site)
    directory = configured(tmp_path, site, **POLICE_SELECTORS)

    (first,) = poll_with(directory)
    assert (first.error, first.new_items, first.new_matches) == (None, 3, 1)
    stored = {item.url: item for item in poll_with.store.items(since=NOW - timedelta(days=30))}
    assert set(stored) == {police_story_url(site, story) for story in STORIES}  # no menu, box or pagination link
    attack = stored[police_story_url(site, STORIES[0])]
    assert attack.topics == ("knife-crime",)  # "stabbed" and "machete" are only in the story's own page
    assert "machete" in (attack.body or "") and "Most read" not in (attack.body or "")
    assert sorted(story_pages_read(site)) == sorted(f"/news/essex/news/news/2026/{s.slug}/" for s in STORIES)

    (second,) = poll_with(directory)
    assert (second.error, second.new_items, second.new_matches, second.unchanged) == (None, 0, 0, True)
    assert site.requests[-1].headers.get("if-none-match")  # a conditional request, answered 304

    newer = Story("leigh-stabbing", "Man arrested in Leigh-on-Sea", "Officers made an arrest on Broadway.",
                  "A man was stabbed on Broadway in Leigh-on-Sea. A 30-year-old has been arrested.",
                  age=timedelta(minutes=20))  # fmt: skip
    publish_police_listing(site, (newer, *STORIES))
    pages_before = len(story_pages_read(site))
    (third,) = poll_with(directory)
    (fourth,) = poll_with(directory)

    assert (third.new_items, third.new_matches, fourth.new_items, fourth.new_matches) == (1, 1, 0, 0)
    assert story_pages_read(site)[pages_before:] == [f"/news/essex/news/news/2026/{newer.slug}/"]


def test_a_listing_that_changed_around_the_same_stories_reports_nothing_new(tmp_path, site, poll_with):
    publish_police_listing(site, etag=None, last_modified=None)
    directory = configured(tmp_path, site, **POLICE_SELECTORS)
    poll_with(directory)

    site.add(POLICE_LISTING, police_listing(STORIES).replace("Page 1 of 40", "Page 1 of 41"))
    (again,) = poll_with(directory)

    assert (again.error, again.unchanged, again.new_items, again.new_matches) == (None, False, 0, 0)


def test_edited_selectors_read_an_unchanged_listing_again(tmp_path, site, fetcher):
    publish_police_listing(site)
    by_card = PageSource(page_config(site.url(POLICE_LISTING), item_selector="article.news-card"))
    first = by_card.discover(fetcher, {})
    same = by_card.discover(fetcher, first.checkpoint.document())

    edited = PageSource(page_config(site.url(POLICE_LISTING), **POLICE_SELECTORS))
    reread = edited.discover(fetcher, same.checkpoint.document())

    assert same.unchanged and not reread.unchanged
    assert "if-none-match" not in site.requests[-1].headers
    assert [item.summary for item in reread.items] == [story.summary for story in STORIES]


def test_relative_links_resolve_against_the_listings_address_after_redirects(site, fetcher):
    site.add("/news/latest/", '<ul><li class="story"><a href="2026/first.html">First</a></li></ul>')
    site.add_handler("/police-news", lambda request: (301, {"Location": site.url("/news/latest/")}, b""))

    found = PageSource(page_config(site.url("/police-news"), item_selector=".story")).discover(fetcher, {})

    assert [item.url for item in found.items] == [site.url("/news/latest/2026/first.html")]


def test_a_selector_that_matches_nothing_is_the_sources_problem_in_the_poll_table_and_status(tmp_path, site, poll_with):
    publish_police_listing(site)
    directory = configured(tmp_path, site, item_selector="'article h2 a'")

    (report,) = poll_with(directory)
    rows = poll_with.status(directory)

    said = (
        f"item_selector 'article h2 a' matched nothing on the page {site.url(POLICE_LISTING)}; check it against the "
        "page's HTML (see 'Page sources' in the README)"
    )
    assert (report.error, poll_remarks(report), report.new_items) == (said, said, 0)
    assert (rows[0].health.last_error, rows[0].health.consecutive_failures) == (said, 1)
    assert story_pages_read(site) == []


def test_the_council_newsroom_is_polled_with_its_stories_read_in_full(tmp_path, site, poll_with):
    featured, *releases = STORIES
    publish_council_newsroom(site, featured, releases)
    directory = write_config(tmp_path / "config", site)
    keys = {key: f"'{value}'" for key, value in COUNCIL_SELECTORS.items()}
    (directory / "sources.yaml").write_text(page_source_yaml(site.url(COUNCIL_NEWSROOM), **keys))

    (report,) = poll_with(directory)

    assert (report.error, report.new_items, report.new_matches) == (None, 3, 1)
    stored = {item.url: item for item in poll_with.store.items(since=NOW - timedelta(days=30))}
    assert set(stored) == {council_story_url(site, story) for story in STORIES}
    assert stored[council_story_url(site, featured)].topics == ("knife-crime",)


# --- the README's worked example -------------------------------------------------------------------------------------


def readme_example() -> tuple[str, PageConfig]:
    """The README's example card (its ```html block) and the page source it configures."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    (card,) = re.findall(r"```html\n(.*?)```", readme, flags=re.S)
    blocks = [YAML(typ="safe").load(body) for body in re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)]
    sources = [source for block in blocks for source in (block or {}).get("sources", []) if source["type"] == "page"]
    (source,) = sources
    return card, PageConfig.model_validate(source)


def test_the_readme_example_reads_its_card_and_a_whole_listing_of_that_shape():
    card, config = readme_example()

    (item,) = read_listing(config, card.encode(), url=config.url, now=NOW).items
    assert item.url == "https://www.essex.police.uk/news/essex/news/news/2026/man-charged-after-southend-stabbing/"
    assert item.title == "Man charged after Southend stabbing"
    assert item.published == datetime(2026, 11, 27, 10, 20, tzinfo=UTC)
    assert item.summary == "A 19-year-old has been charged after a man was hurt in Southend High Street."

    listed = read_listing(config, police_listing(STORIES).encode(), url=config.url, now=NOW).items
    assert [item.title for item in listed] == [story.title for story in STORIES]
