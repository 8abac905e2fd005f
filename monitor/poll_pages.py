"""A story's page as a poll reads it: fetched by one of the poll's threads, where its link leads (``monitor.links``),
then read in the pool of processes in the same trip as the story is matched and printed (``monitor.story_pages``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from monitor.config import Config
from monitor.extract import PROCESSES
from monitor.fetch import FetchError
from monitor.fetch.client import Fetcher
from monitor.items import Item
from monitor.links import PageText, open_page
from monitor.match import Matcher
from monitor.match.types import story_fields
from monitor.poll_report import UNEXPECTED
from monitor.store import ItemRecord
from monitor.story_pages import StoryRead, StoryToRead, read_story, read_story_page

log = logging.getLogger("monitor.poll")


@dataclass(frozen=True)
class PollSetup:
    """What a poll reads of the configuration. Swapped in as one value, so an item never meets new rules with old
    settings; each item reads the setup current when it is prepared, so an edit takes effect from the next story."""

    config: Config
    matcher: Matcher
    fetcher: Fetcher

    @property
    def hops(self) -> int:
        """How many times a story's link may be sent on, by HTTP redirects and again by pages that send readers on."""
        return self.config.monitor.fetch.max_redirects

    def story_to_read(self, story: Item | ItemRecord, places: tuple[str, ...]) -> StoryToRead:
        """What the pool is sent of ``story``, of a source standing for ``places``, to match and print it."""
        return StoryToRead(story_fields(story), self.matcher, places, article=story.kind == "article")


def read_page(
    setup: PollSetup, url: str, *, found_on: str | None = None, story: StoryToRead | None = None
) -> tuple[PageText, StoryRead | None]:
    """The main text of a story's page, or None and why (the feed's text is matched then); and, given ``story``, what
    the same trip to the pool made of it (``read_story_page``), None when the page never got there or tripped the
    extractor (``story_read`` makes it then).

    ``found_on``: the configured address of the source that listed the page (None: the operator typed its URL)."""
    links = setup.config.monitor.links
    try:
        page = open_page(setup.fetcher, url, found_on=found_on, links=links, max_hops=setup.hops)
    except FetchError as error:
        return PageText(None, f"page not fetched: {error.reason}", error), None
    try:
        article, read = PROCESSES.run(read_story_page, page.content, page.url, story)
    except Exception:  # a page that trips the extractor is matched on its feed text, like one not fetched
        log.exception("could not extract %s", url)
        return PageText(None, f"text not extracted: {UNEXPECTED}", address=page.url), None
    if article.text is None:
        return PageText(None, "no article text found on the page", link=article.link, address=page.url), read
    return PageText(article.text, link=article.link, address=page.url), read


def story_read(story: StoryToRead, read: StoryRead | None) -> StoryRead:
    """``read``, else ``story`` matched and printed on the text it came with, in a trip of its own: a story whose
    page was not read, or not fetched."""
    return read if read is not None else PROCESSES.run(read_story, story)
