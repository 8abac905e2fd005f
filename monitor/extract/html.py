"""HTML to plain text: the main text of an article page (trafilatura), and short HTML fragments (BeautifulSoup).

Matching runs on this text, so what must stay out matters as much as what gets in: menus, "most read" sidebars, reader
comments and footers name other crimes and other places, and would make a story match topics it is not about.
"""

from __future__ import annotations

import html
import logging
import re

import trafilatura
import trafilatura.meta
from bs4 import BeautifulSoup, Tag
from trafilatura.metadata import Document

from monitor.text import one_line

# Elements whose content is a separate line of text. <br> is handled on its own: it is a break, not a box.
_BLOCK_ELEMENTS = (
    "address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "tbody", "thead", "tfoot", "tr", "ul",
)  # fmt: skip
_CELL_ELEMENTS = ("td", "th")
_INVISIBLE_ELEMENTS = ("script", "style", "template", "noscript", "head")
_BLANK_LINES = re.compile(r"\n[ \t\xa0]*(?:\n[ \t\xa0]*)+")
_TRAILING_SPACE = re.compile(r"[ \t\xa0]+\n")


def extract_article(html_bytes: bytes, url: str) -> str | None:
    """The article body of a downloaded page, without navigation, sidebars, comments or footer; None if there is none.

    ``url`` is the address the page was fetched from (after redirects), for trafilatura's log messages. The page's own
    title, date and other metadata are not asked for: nothing reads them, and finding the date (htmldate) was nearly
    half the time of an extraction (bench/extract.py).
    """
    document = trafilatura.bare_extraction(
        html_bytes,
        url=url,
        include_comments=False,  # reader comments would make stories match what readers say, not what they report
        include_tables=True,
        deduplicate=False,
    )
    if not isinstance(document, Document):  # None when there is no article (a dict only if asked for one)
        return None
    return _tidy_paragraphs(document.text or "") or None


def reset_caches() -> None:
    """Free trafilatura's and htmldate's caches, which only grow; call it after each poll in a long-running process."""
    # htmldate logs an ERROR when this charset_normalizer release has no cache to clear; nothing is wrong, so hush it.
    noisy = logging.getLogger("htmldate.meta")
    level = noisy.level
    noisy.setLevel(logging.CRITICAL)
    try:
        trafilatura.meta.reset_caches()
    finally:
        noisy.setLevel(level)


def html_to_text(fragment: str) -> str:
    """Plain text of a short piece of HTML (a feed summary, a title, a table of minutes).

    Block elements and ``<br>`` become line breaks, entities are unescaped, runs of spaces collapse to one, and empty
    lines go (Word's ``<p>&nbsp;</p>`` spacer paragraphs among them). Text without markup passes through unescaped.
    """
    if "<" not in fragment:
        return _tidy_lines(html.unescape(fragment))
    soup = BeautifulSoup(fragment, "lxml")
    for element in soup.find_all(_INVISIBLE_ELEMENTS):
        element.decompose()
    for element in soup.find_all("br"):
        element.replace_with("\n")
    for element in soup.find_all(_BLOCK_ELEMENTS):
        element.insert_before("\n")
        element.insert_after("\n")
    for element in soup.find_all(_CELL_ELEMENTS):
        element.insert_after(" ")
    return _tidy_lines(soup.get_text())


def fragment_text(fragment: str) -> str:
    """Plain text of HTML from a council system: Word markup, hard-wrapped mid-sentence.

    Line breaks inside HTML text are spaces; collapsing them first keeps Word's wrapped lines one paragraph.
    """
    return html_to_text(" ".join(fragment.split()))


def attribute(tag: Tag, name: str) -> str:
    """The value of an attribute as written, "" when absent; bs4 gives multi-valued ones (``class``) as space-joined."""
    value = tag.get(name)
    return value if isinstance(value, str) else " ".join(value or ())


def _tidy_lines(text: str) -> str:
    lines = (one_line(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _tidy_paragraphs(text: str) -> str:
    text = _TRAILING_SPACE.sub("\n", text.replace("\r\n", "\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()
