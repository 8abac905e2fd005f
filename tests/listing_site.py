"""News listings without a feed, served on a ``LocalSite``, for the page source's tests.

Two house styles, written for these tests on the shapes such pages have:
- a police force's news listing: a cookie banner, a header menu, a breadcrumb, a filter form, cards (a tag link before
  the headline link, a ``<time>`` showing "10:20 27/11/2026", a teaser), pagination, a "most read" box and a footer;
- a council newsroom: a ``<base href>``, a featured story whose whole card is one link (no heading, a "2 hours ago"
  date), then press releases as plain blocks ("Published 27 November 2026"), and a "popular pages" box.

Every link outside the stories leads to a page that would match the knife-crime topic if it were ever read as a
story (a Southend stabbing), so a listing's boilerplate taken for a story shows up as a wrong match.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from html import escape
from typing import Any

from monitor.demo.server import LocalSite
from tests.e2e import NOW, STORIES, Story, article_page

POLICE_LISTING = "/news/essex/news/"
COUNCIL_NEWSROOM = "/newsroom/home"
_POLICE_STORY = "/news/essex/news/news/2026/{slug}/"
_COUNCIL_STORY = "/newsroom/news/{slug}"  # relative to the newsroom's <base href="/newsroom/">: news/{slug}
_BAIT = Story(
    "old-southend-stabbing",
    "Boy stabbed in Southend town centre",
    "A boy was stabbed in Southend.",
    "A 15-year-old boy was stabbed with a machete near Southend Victoria station.",
)
# Links every page of both sites carries outside its stories: menus, pagination, "most read", the cookie banner.
_BAIT_PATHS = (
    "/cookies/",
    "/report/",
    "/advice/",
    "/news/essex/news/news/2026/old-southend-stabbing/",
    "/accessibility/",
    "/newsroom/popular/knife-crime",
)


def police_card(story: Story) -> str:
    when = NOW - story.age
    return f"""
      <li class="news-list__item"><article class="news-card">
        <span class="news-card__tag"><a href="{POLICE_LISTING}?tag=Southend">Southend</a></span>
        <h3 class="news-card__title"><a href="{_POLICE_STORY.format(slug=story.slug)}">{escape(story.title)}</a></h3>
        <p class="news-card__date">Published: <time datetime="{when.isoformat()}">{when:%H:%M %d/%m/%Y}</time></p>
        <p class="news-card__summary">{escape(story.summary)}</p>
      </article></li>"""


def police_listing(stories: Sequence[Story]) -> str:
    cards = "".join(police_card(story) for story in stories)
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>News | Essex Police (test)</title>
<link rel="canonical" href="{POLICE_LISTING}"></head>
<body>
<div class="cookie-banner" role="region" aria-label="Cookies"><h2>Cookies on this website</h2>
  <p>We use essential cookies to make this site work.</p>
  <a href="/cookies/">Read about cookies</a><button>OK</button></div>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header"><a class="logo" href="/">Essex Police</a>
  <nav aria-label="Main"><ul><li><a href="/report/">Report</a></li><li><a href="{POLICE_LISTING}">News</a></li>
  <li><a href="/advice/">Advice</a></li><li><a href="mailto:web@example.org">Email us</a></li></ul></nav></header>
<main id="main">
  <nav class="breadcrumb"><ol><li><a href="/">Home</a></li><li>News</li></ol></nav>
  <h1>News</h1>
  <form class="news-filter" action="{POLICE_LISTING}"><label>Search news <input name="q"></label></form>
  <section class="news-results" aria-label="News results"><ul class="news-list">{cards}
  </ul></section>
  <nav class="pagination" aria-label="Pages"><span>Page 1 of 40</span> <a href="{POLICE_LISTING}?page=2">Next</a></nav>
  <aside class="most-read"><h2>Most read</h2><ul>
    <li><a href="/news/essex/news/news/2026/old-southend-stabbing/">{escape(_BAIT.title)}</a></li></ul></aside>
</main>
<footer><ul><li><a href="/accessibility/">Accessibility</a></li><li><a href="javascript:void(0)">Back to top</a></li>
</ul><p>In an emergency call 999.</p></footer>
</body></html>"""


def council_newsroom(featured: Story, releases: Sequence[Story]) -> str:
    blocks = "".join(
        f"""
    <div class="press-release">
      <a href="news/{story.slug}">{escape(story.title)}</a>
      <span class="press-release__date">Published {(NOW - story.age).astimezone(UTC):%d %B %Y}</span>
      <p>{escape(story.summary)}</p>
    </div>"""
        for story in releases
    )
    return f"""<!DOCTYPE html>
<html><head><title>Newsroom - Southend-on-Sea City Council (test)</title><base href="/newsroom/"></head>
<body>
<div id="cookie-notice"><p>Can we use cookies? <a href="/cookies/">Find out more</a></p></div>
<div class="council-header"><a href="/">Home</a> <a href="/report/">Report it</a></div>
<div id="content">
  <a class="featured" href="news/{featured.slug}"><img src="/img/{featured.slug}.jpg" alt="">
    <span class="featured__headline">{escape(featured.title)}</span>
    <span class="featured__when">2 hours ago</span></a>
  <div class="releases">{blocks}
  </div>
  <div class="popular"><h2>Popular pages</h2><a href="popular/knife-crime">Knife crime in Southend</a></div>
</div>
</body></html>"""


def publish_police_listing(site: LocalSite, stories: Sequence[Story] = STORIES, **options: Any) -> None:
    """The listing at ``POLICE_LISTING`` with a card per story, each story's page, and the pages the listing's other
    links lead to. ``options`` go to ``LocalSite.add`` for the listing (e.g. ``etag=None``)."""
    _publish_stories(site, stories, _POLICE_STORY)
    site.add(POLICE_LISTING, police_listing(stories), **options)


def publish_council_newsroom(site: LocalSite, featured: Story, releases: Sequence[Story]) -> None:
    _publish_stories(site, (featured, *releases), _COUNCIL_STORY)
    site.add(COUNCIL_NEWSROOM, council_newsroom(featured, releases))


def _publish_stories(site: LocalSite, stories: Sequence[Story], pattern: str) -> None:
    for story in stories:
        site.add(pattern.format(slug=story.slug), article_page(story))
    for path in _BAIT_PATHS:  # the pagination's ?page=2 is the listing itself: the site ignores the query
        site.add(path, article_page(_BAIT))


def police_story_url(site: LocalSite, story: Story) -> str:
    return site.url(_POLICE_STORY.format(slug=story.slug))


def council_story_url(site: LocalSite, story: Story) -> str:
    return site.url(_COUNCIL_STORY.format(slug=story.slug))
