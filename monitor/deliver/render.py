"""Digest text for people: markdown and HTML from the Jinja2 templates, and the small helpers every output shares
(headline, counts, term lists, context lines, marked snippets, safe links)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from monitor.digest import Digest, DigestEntry, DigestSection, format_date, format_datetime
from monitor.items import CouncilEvent
from monitor.match.types import Snippet
from monitor.text import one_line

if TYPE_CHECKING:
    from jinja2 import Environment

# Characters that would turn outside text (titles, snippets) into markdown formatting or links.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
# Kept as they are in a markdown link target; spaces, quotes, parentheses and angle brackets get percent-encoded.
_URL_SAFE = ":/?#[]@!$&*+,;=%~"


def headline(digest: Digest, *, alert: bool = False, product: str = "Beatwatch") -> str:
    """``Beatwatch Morning digest — Thu 26 Nov 2026 — 7 new stories`` (the edition's name, else its time, "08:00"): the
    heading, the Slack header and the email subject."""
    kind = "urgent alert" if alert else f"{edition_name(digest)} digest"
    return f"{product} {kind} — {format_date(digest.generated_at)} — {count_text(digest.total)}"


def edition_name(digest: Digest) -> str:
    """The name of the schedule entry that made the digest, or, without one (``monitor digest`` by hand), its time."""
    return digest.edition or f"{digest.generated_at:%H:%M}"


def count_text(count: int) -> str:
    return f"{count} new {'story' if count == 1 else 'stories'}"


def zoned_datetime(moment: datetime) -> str:
    """``Thu 26 Nov 2026 08:00 GMT``: a time as the digest shows it, with its zone, so 08:00 in March is unambiguous."""
    return f"{format_datetime(moment)} {moment.tzname()}"


def since_text(digest: Digest) -> str:
    return f"New matches since {zoned_datetime(digest.since)}." if digest.since else ""


def empty_text(digest: Digest) -> str:
    """The one line an empty digest consists of."""
    return f"No new matches since {zoned_datetime(digest.since)}." if digest.since else "No new matches."


def section_count(section: DigestSection) -> int:
    return len(section.entries)


def term_list(terms: Sequence[str]) -> str:
    return ", ".join(terms)


def other_topics(entry: DigestEntry) -> str:
    """``Police numbers, PFCC``: the story's topics besides the section it sits in; empty when it has no other."""
    return ", ".join(topic.name for topic in entry.other_topics)


def entry_time(entry: DigestEntry) -> str:
    return zoned_datetime(entry.published) if entry.published else "time unknown"


def safe_link(url: str) -> str | None:
    """``url`` if it is an absolute http(s) address, else None: ``javascript:``, relative and other links are not
    made."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


EVENT_LABELS = {
    CouncilEvent.AGENDA_PUBLISHED: "Agenda published",
    CouncilEvent.MINUTES_PUBLISHED: "Minutes published",
    CouncilEvent.MINUTES_CHANGED: "Minutes changed",
    CouncilEvent.DOCUMENT_ADDED: "Document added",
    CouncilEvent.DOCUMENT_CHANGED: "Document changed",
    CouncilEvent.MEETING_CANCELLED: "Meeting cancelled",
    CouncilEvent.DECISION_PUBLISHED: "Decision published",
}


def council_line(entry: DigestEntry) -> str:
    """Where council material comes from, in one line: "Cabinet, Thu 12 Nov 2026 — Minutes published — item 7
    'Community Safety Partnership update' — p. 4"; empty for articles."""
    council = entry.council
    if council is None:
        return ""
    meeting_date = format_date(council.meeting_date) if council.meeting_date else ""
    meeting = ", ".join(part for part in (council.committee, meeting_date) if part)
    item = " ".join(part for part in (
        f"item {council.item_number}" if council.item_number else "",
        f"'{council.item_title}'" if council.item_title else "",
    ) if part)  # fmt: skip
    page = f"p. {entry.snippet.page}" if entry.snippet.page is not None else ""
    return " — ".join(part for part in (meeting, EVENT_LABELS[council.event], item, page) if part)


def context_items(entry: DigestEntry) -> list[tuple[str, str | None]]:
    """Council material's line and links as (text, link) pairs: the line first (no link), then "Meeting" and
    "Document" links when the source recorded them and they are safe http(s) addresses; nothing for articles."""
    council = entry.council
    if council is None:
        return []
    links = (("Meeting", safe_link(council.meeting_url)), ("Document", safe_link(council.document_url)))
    return [(council_line(entry), None), *((label, link) for label, link in links if link)]


# --- markdown -----------------------------------------------------------------------------------------------------


def markdown_text(text: str) -> str:
    """Outside text made inert in markdown: on one line, formatting characters escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def markdown_link(text: str, url: str) -> str:
    """``[text](url)``, or the bare text when ``url`` is not a safe link."""
    link = safe_link(url)
    if not link:
        return markdown_text(text)
    return f"[{markdown_text(text)}]({quote(link, safe=_URL_SAFE)})"


def markdown_context(entry: DigestEntry) -> str:
    """Council material's line and links: ``Cabinet, Thu 12 Nov 2026 — Minutes published · [Meeting](https://...)``."""
    return " · ".join(markdown_link(text, link) if link else markdown_text(text) for text, link in context_items(entry))


def markdown_copies(entry: DigestEntry) -> str:
    """The story's other outlets, each a link: ``[BBC Essex](https://...), [Echo](https://...)``."""
    return ", ".join(markdown_link(copy.source_name, copy.url) for copy in entry.also_in)


def markdown_snippet(snippet: Snippet) -> str:
    return snippet.marked("**", "**", escape=markdown_text)


# --- HTML ---------------------------------------------------------------------------------------------------------


def html_link(text: str, url: str) -> Markup:
    """``<a href="url">text</a>``, both escaped, or the escaped text alone when ``url`` is not a safe link."""
    link = safe_link(url)
    return Markup('<a href="{}">{}</a>').format(link, text) if link else escape(text)


def html_copies(entry: DigestEntry) -> Markup:
    """The story's other outlets, each a link."""
    return Markup(", ").join(html_link(copy.source_name, copy.url) for copy in entry.also_in)


def html_snippet(snippet: Snippet) -> Markup:
    return Markup(snippet.marked("<mark>", "</mark>", escape=lambda text: str(escape(text))))


@cache
def _templates() -> Environment:
    """The templates of monitor/templates with the shared helpers, made at the first render: jinja2 is imported only
    by commands that render."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    templates = Environment(
        loader=PackageLoader("monitor", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    templates.globals.update(
        one_line=one_line,
        headline=headline,
        empty_text=empty_text,
        count_text=count_text,
        section_count=section_count,
        term_list=term_list,
        entry_time=entry_time,
        safe_link=safe_link,
        context_items=context_items,
        since_text=since_text,
        other_topics=other_topics,
        markdown_copies=markdown_copies,
        markdown_text=markdown_text,
        markdown_link=markdown_link,
        markdown_context=markdown_context,
        markdown_snippet=markdown_snippet,
        html_snippet=html_snippet,
        html_link=html_link,
        html_copies=html_copies,
    )
    return templates


def render_template(name: str, **values: object) -> str:
    """Render one of monitor/templates with the shared helpers; only ``*.html.j2`` templates are HTML-escaped."""
    return _templates().get_template(name).render(**values)


def render_markdown(digest: Digest, *, alert: bool = False) -> str:
    return _templates().get_template("digest.md.j2").render(digest=digest, alert=alert)


def render_html(digest: Digest, *, alert: bool = False, footer: Sequence[str] = ()) -> str:
    """A whole HTML document, safe for email: one column, CSS in one <style> block for css-inline, no scripts, no
    external assets, only absolute http(s) links; ``footer`` lines at the end (who sent it, and why)."""
    return _templates().get_template("digest.html.j2").render(digest=digest, alert=alert, footer=footer)
