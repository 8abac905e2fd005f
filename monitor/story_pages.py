"""A story's page read in a process of the pool (``monitor.extract.pool``): its article, and the print of its text
made there as well (``monitor.stories.text_print``), so that a new story's page costs one trip to the pool, not one to
read it and another to print it."""

from __future__ import annotations

from monitor.extract.html import Article, read_article
from monitor.stories import TextPrint, text_print


def read_story_page(html_bytes: bytes, url: str) -> tuple[Article, TextPrint | None]:
    """``read_article`` of the page fetched from ``url``, and the print of its text when it has one."""
    article = read_article(html_bytes, url)
    return article, None if article.text is None else text_print(article.text)
