"""HTML to plain text: the main text of an article page (trafilatura) with the address the page names as its own, and
short HTML fragments (BeautifulSoup).

Matching runs on this text, so what must stay out matters as much as what gets in: menus, "most read" sidebars, reader
comments and footers name other crimes and other places, and would make a story match topics it is not about.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from monitor.text import one_line
from monitor.urls import check_web_address, same_site

if TYPE_CHECKING:
    from bs4 import Tag
    from lxml.html import HtmlElement

# trafilatura is imported where an article is read: a command that reads none (`monitor check`) does without it, and a
# poll reads its pages in other processes (``monitor.extract.pool``). bs4 likewise, where a fragment has markup: a poll
# of feeds that answer "not modified" reads none.

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


@dataclass(frozen=True)
class Article:
    """What an article page gives: its main text, and the address it names as its own on its own site."""

    text: str | None  # None when the page holds no article
    link: str | None  # from rel=canonical, else og:url; None when the page names none we can trust


def read_article(html_bytes: bytes, url: str) -> Article:
    """The article of a downloaded page: its body without navigation, sidebars, comments or footer, and the address
    the page names as its own (see ``_own_address``).

    ``url`` is the address the page was fetched from (after redirects). The page is parsed once, and its head read
    from that tree. Trafilatura's metadata (title, date, its own canonical URL) is not asked for: finding the date
    (htmldate) was nearly half the time of an extraction (bench/extract.py).
    """
    import trafilatura

    tree = trafilatura.load_html(html_bytes)
    if tree is None:  # empty, or not HTML at all
        return Article(None, None)
    return Article(_article_text(tree, url), _own_address(tree, url))


def _article_text(tree: HtmlElement, url: str) -> str | None:
    import trafilatura
    from trafilatura.metadata import Document

    document = trafilatura.bare_extraction(
        tree,  # trafilatura works on a copy: the head stays as it was
        url=url,
        include_comments=False,  # reader comments would make stories match what readers say, not what they report
        include_tables=True,
        deduplicate=False,
    )
    if not isinstance(document, Document):  # None when there is no article (a dict only if asked for one)
        return None
    return _tidy_paragraphs(document.text or "") or None


def _own_address(tree: HtmlElement, url: str) -> str | None:
    """The address the page fetched from ``url`` names as its own: its ``<link rel="canonical">``, else its
    ``<meta property="og:url">``, the first of them we can trust; None when neither is.

    Only the head counts (a canonical in the body is ignored, as search engines do), relative addresses resolve
    against ``<base href>``, and a tag given twice with different addresses says nothing. An address is trusted when
    it is a valid http(s) address on the page's own site (``monitor.urls.same_site``), does not trade https for http,
    and is not a page above it on the site, such as the front page or its section (a template that names one on every
    article would make every story one, and known by it). Otherwise the page's link stays as it was: a canonical on
    another site is ignored.
    """
    head = tree.find("head")
    if head is None:
        return None
    base = _joined(url, next((_value(tag, "href") for tag in head.iter("base") if _value(tag, "href")), ""))
    canonicals = [_value(tag, "href") for tag in head.iter("link") if "canonical" in _value(tag, "rel").lower().split()]
    og_urls = [
        _value(tag, "content")
        for tag in head.iter("meta")
        if "og:url" in (_value(tag, "property").lower(), _value(tag, "name").lower())
    ]
    for stated in (canonicals, og_urls):
        address = _single(_joined(base, each) for each in stated if each)
        if address and _trusted(address, url):
            return address
    return None


def _joined(base: str, address: str) -> str:
    """``address`` made absolute against ``base``; "" when it is too malformed to read (``http://[::1``)."""
    try:
        return urljoin(base, address)
    except ValueError:
        return ""


def _value(tag: HtmlElement, name: str) -> str:
    """An attribute of an lxml element without the spaces around it; "" when absent."""
    return (tag.get(name) or "").strip()


def _single(addresses: Iterable[str]) -> str:
    """The one address given (repeats allowed); "" when there is none, or several that disagree."""
    distinct = set(addresses)
    return distinct.pop() if len(distinct) == 1 else ""


def _trusted(address: str, page_url: str) -> bool:
    """Whether the page at ``page_url`` may name ``address`` as its own (see ``_own_address``)."""
    try:
        check_web_address(address)
    except ValueError:
        return False
    parts, page = urlsplit(address), urlsplit(page_url)
    downgrade = parts.scheme.lower() == "http" and page.scheme.lower() == "https"
    section = parts.path.rstrip("/") + "/"  # "/news/" for /news and /news/: the pages under it are "/news/..."
    above = not parts.query and page.path.startswith(section) and page.path.rstrip("/") != parts.path.rstrip("/")
    return same_site(address, page_url) and not downgrade and not above


def reset_caches() -> None:
    """Free trafilatura's and htmldate's caches, which only grow. The pool's processes are replaced instead
    (``monitor.extract.pool``); this serves measurements that start each round from empty caches."""
    import trafilatura.meta

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
    if "<" in fragment or "\x00" in fragment or fragment.startswith("\ufeff"):
        return _markup_text(fragment)
    # No markup: what the parser gives, without building a tree (most feed titles and many summaries). html.unescape
    # reads references as HTML5 does, as lxml's parser does here; the parser alone turns NUL into U+FFFD and drops a
    # leading byte order mark, hence those go the long way.
    return _tidy_lines(html.unescape(fragment))


def _markup_text(fragment: str) -> str:
    from bs4 import BeautifulSoup

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
