"""Slack's Block Kit layout of a digest, an alert and a notice: outside text made inert, messages packed within
Slack's limits. ``monitor.deliver.outputs.slack`` posts what this lays out.

Everything that came from outside (titles, snippets, source names, terms, topic names) goes through ``escape_mrkdwn``
so that a headline such as ``<!channel>`` shows as text and pings nobody; links are built here and only to http(s).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from monitor.deliver.base import Part
from monitor.deliver.render import (
    context_items,
    count_text,
    empty_text,
    entry_time,
    headline,
    safe_link,
    section_count,
    term_list,
)
from monitor.digest import Digest, DigestEntry, DigestSection, format_datetime
from monitor.text import one_line

# Slack's limits are 50 blocks, 3,000 characters a section, 150 a header, 10 context elements and an undocumented
# ~12k characters of block text a message; these stay well inside them.
MESSAGE_BLOCKS = 40
MESSAGE_CHARS = 8_000
SECTION_CHARS = 2_800
HEADER_CHARS = 150
CONTEXT_ELEMENTS = 10
FALLBACK_CHARS = 4_000
# Longer addresses are shown unlinked rather than eating a section's characters.
LINK_CHARS = 1_000

# --- text ---------------------------------------------------------------------------------------------------------


def escape_mrkdwn(text: str) -> str:
    """The one escape for outside text: Slack reads ``&``, ``<`` and ``>`` as control characters (``&`` first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(escaped: str, limit: int) -> str:
    """Escaped text cut to ``limit`` characters with an ellipsis, never in the middle of an entity."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _inline(text: str) -> str:
    """Outside text, inert and on one line; spaces at the ends stay (it also joins the pieces around a mark)."""
    return escape_mrkdwn(re.sub(r"\s+", " ", text))


def _plain(text: str, limit: int) -> str:
    """Outside text, inert, on one line and at most ``limit`` characters."""
    return _clip(_inline(text.strip()), limit)


def _link(url: str, label: str) -> str:
    """``<url|label>`` (``label`` already escaped) for an http(s) address; only the label for anything else."""
    target = safe_link(url)
    if target is None:
        return label
    # ``|`` and ``>`` would end the address early; whitespace would break it.
    target = re.sub(r"[|<>\s]", lambda found: f"%{ord(found.group()):02X}", target).replace("&", "&amp;")
    return f"<{target}|{label}>" if len(target) <= LINK_CHARS else label


# --- blocks -------------------------------------------------------------------------------------------------------


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn bare names or addresses in outside text into mentions or links on its own.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(texts: Sequence[str]) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text) for text in texts]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _clip(text, HEADER_CHARS)}}


def block_chars(block: dict[str, Any]) -> int:
    """Characters of text in a block, as Slack counts them against a message's total."""
    texts = [block["text"]] if "text" in block else block.get("elements", [])
    return sum(len(text["text"]) for text in texts)


def _entry_block(entry: DigestEntry) -> dict[str, Any]:
    title = _link(entry.url, _plain(entry.title or entry.url, 300))
    marker = "  _(already alerted)_" if entry.alerted else ""
    facts = [_plain(entry.source_name, 100), entry_time(entry)]
    if entry.terms:
        facts.append("matched: " + _plain(term_list(entry.terms), 300))
    if entry.snippet.page is not None and entry.kind == "article":
        facts.append(f"p. {entry.snippet.page}")
    required = [f"*{title}*{marker}", " · ".join(facts)]
    optional = []
    if entry.snippet.text:
        optional.append("> " + _clip(entry.snippet.marked("*", "*", escape=_inline), 900))
    council = [_link(link, _plain(text, 100)) if link else _plain(text, 300) for text, link in context_items(entry)]
    if council:
        optional.append(" · ".join(council))
    if entry.also_in:
        copies = entry.also_in[:5]
        optional.append(
            "Also covered by " + ", ".join(_link(copy.url, _plain(copy.source_name, 60)) for copy in copies)
        )
    # The required lines are bounded well below the limit; optional ones go when a huge entry would not fit.
    lines = required + optional
    while len("\n".join(lines)) > SECTION_CHARS:
        lines.pop()
    return _section("\n".join(lines))


def _brief_lines(section: DigestSection) -> list[str]:
    """The stories shown as title links, a few to a block."""
    links = [
        f"• {_link(entry.url, _plain(entry.title or entry.url, 300))} — {_plain(entry.source_name, 100)}"
        for entry in section.in_brief
    ]
    lines: list[str] = []
    for link in links:
        if lines and len(lines[-1]) + len(link) + 1 <= SECTION_CHARS:
            lines[-1] += "\n" + link
        else:
            lines.append(link)
    return lines


def _topic_heading(section: DigestSection, continued: bool = False) -> dict[str, Any]:
    tail = ", continued" if continued else ""
    return _section(f"*{_plain(section.topic_name, 200)}* ({section_count(section)}{tail})")


def _health_block(digest: Digest) -> dict[str, Any]:
    problems = [f":warning: *{_plain(p.source_name, 100)}*: {_plain(p.problem, 300)}" for p in digest.health]
    if len(problems) > CONTEXT_ELEMENTS:
        hidden = len(problems) - (CONTEXT_ELEMENTS - 1)
        problems = [*problems[: CONTEXT_ELEMENTS - 1], f"and {hidden} more failing sources"]
    return _context(problems)


class _Packer:
    """Fills messages with blocks in order, starting a new message before a limit would be passed."""

    def __init__(self) -> None:
        self.messages: list[list[dict[str, Any]]] = [[]]

    def fits(self, *blocks: dict[str, Any]) -> bool:
        current = self.messages[-1]
        chars = sum(block_chars(block) for block in [*current, *blocks])
        return len(current) + len(blocks) <= MESSAGE_BLOCKS and chars <= MESSAGE_CHARS

    def add(self, block: dict[str, Any], continuation: dict[str, Any] | None = None) -> None:
        """Add ``block``; if a new message is needed, it starts with ``continuation`` (e.g. the topic repeated)."""
        if not self.fits(block):
            self.messages.append([continuation] if continuation else [])
        self.messages[-1].append(block)


def _alert_header(digest: Digest) -> str:
    topics = ", ".join(section.topic_name for section in digest.sections)
    return f"Urgent: {_inline(topics)} — {count_text(digest.total)}"


def _layout(digest: Digest, alert: bool) -> list[list[dict[str, Any]]]:
    packer = _Packer()
    packer.add(_header(_alert_header(digest) if alert else headline(digest)))
    if digest.empty:
        packer.add(_section(empty_text(digest)))
    elif digest.since:
        packer.add(_context([f"New matches since {format_datetime(digest.since)}."]))
    for section in digest.sections:
        heading, entries = _topic_heading(section), [_entry_block(entry) for entry in section.in_full]
        if entries and not packer.fits(heading, entries[0]):
            packer.messages.append([])  # never leave a topic heading alone at the end of a message
        packer.add(heading)
        for block in entries:
            packer.add(block, _topic_heading(section, continued=True))
        for line in _brief_lines(section):
            packer.add(_section(line), _topic_heading(section, continued=True))
    if digest.health:
        packer.add(_health_block(digest))
    return packer.messages


def _fallback(digest: Digest, alert: bool, number: int, count: int) -> str:
    """The plain ``text`` Slack shows in notifications and to screen readers."""
    title = _alert_header(digest) if alert else escape_mrkdwn(headline(digest))
    if number > 1:
        return f"{title} (part {number} of {count})"
    topics = ", ".join(f"{_plain(s.topic_name, 200)} ({section_count(s)})" for s in digest.sections)
    return _clip(f"{title}: {topics}" if topics else title, FALLBACK_CHARS)


def digest_parts(digest: Digest, *, alert: bool = False) -> list[Part]:
    """The messages of a digest (or of an urgent alert), each with its plain ``text`` fallback and its blocks."""
    messages = _layout(digest, alert)
    return [
        {"text": _fallback(digest, alert, number, len(messages)), "blocks": blocks}
        for number, blocks in enumerate(messages, start=1)
    ]


def notice_parts(title: str, text: str) -> list[Part]:
    """A short message for the admin channel."""
    message = f"*{escape_mrkdwn(one_line(title))}*\n{escape_mrkdwn(text)}"
    return [{"text": _clip(message, 3900), "blocks": [_section(_clip(message, 2800))]}]
