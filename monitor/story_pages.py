"""A new story's work in a process of the pool (``monitor.extract.pool``), all in one trip: its page read, its fields
matched with the page's text as their body, and the print of its text (``monitor.stories.text_print``). A trip costs
the pickling of what goes and comes back and a wake-up of both processes, and the parent's share of that runs under
its GIL: one trip a story rather than one to read, one to match and one to print."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.extract.html import Article, read_article
from monitor.stories import TextPrint, text_print

if TYPE_CHECKING:
    from monitor.match import Match, Matcher


@dataclass(frozen=True)
class StoryToRead:
    """What the pool is sent of a story besides its page: its fields as its source gave them (``story_fields``), the
    matcher (it travels as its rules, and is compiled once in each process) and its source's places, and whether it is
    an article (only articles have story prints)."""

    fields: dict[str, str]
    matcher: Matcher
    places: Collection[str]
    article: bool


@dataclass(frozen=True)
class StoryRead:
    """A story's matches, and the print of its text (its page's text, else its own body, else its summary; None for a
    story that is not an article)."""

    matches: list[Match]
    text_print: TextPrint | None


def read_story_page(html_bytes: bytes, url: str, story: StoryToRead | None = None) -> tuple[Article, StoryRead | None]:
    """``read_article`` of the page fetched from ``url`` and, given ``story``, ``read_story`` of it with the page's
    text as its body (the body it came with when the page has none; None without ``story``: `monitor test-rules
    --url` reads a page for its text alone)."""
    article = read_article(html_bytes, url)
    return article, None if story is None else read_story(story, article.text)


def read_story(story: StoryToRead, body: str | None = None) -> StoryRead:
    """``story`` matched and printed, with ``body`` as its body when there is one."""
    fields = story.fields if body is None else {**story.fields, "body": body}
    matches = story.matcher.match(fields, story.places)
    return StoryRead(matches, text_print(fields["body"] or fields["summary"]) if story.article else None)
