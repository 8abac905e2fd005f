"""Slack's Block Kit layout of a digest, an alert and a notice: outside text made inert, messages packed within
Slack's limits. ``monitor.deliver.outputs.slack`` posts what this lays out.

A digest's first message stands alone: its header names the edition and the date, then every topic with its count,
then the stories in order as far as they fit; when the rest follows in the thread (or in further messages) the first
message says so in words, at its top and at its end.

Everything that came from outside (titles, snippets, source names, terms, topic names) goes through ``escape_mrkdwn``
(``mrkdwn``), so a headline such as ``<!channel>`` or ``*bold* ~strike~`` shows as written and pings nobody; links are
built there and only to http(s).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from monitor.deliver.base import Part
from monitor.deliver.outputs.mrkdwn import bold_marks, clip, escape_mrkdwn, link
from monitor.deliver.render import (
    context_items,
    count_text,
    empty_text,
    entry_time,
    headline,
    other_topics,
    section_count,
    since_text,
    term_list,
)
from monitor.digest import Digest, DigestEntry, DigestSection
from monitor.text import one_line

# Slack's limits are 50 blocks, 3,000 characters a section, 150 a header, 10 context elements and an undocumented
# ~12k characters of block text a message; these stay well inside them.
MESSAGE_BLOCKS = 40
MESSAGE_CHARS = 8_000
SECTION_CHARS = 2_800
HEADER_CHARS = 150
CONTEXT_ELEMENTS = 10
FALLBACK_CHARS = 4_000
# A story shown as a title link takes one line: its other outlets are left out beyond this.
BRIEF_LINE_CHARS = 2_000
# The topics named in the last lines of a first message (every topic is named, with its count, at its top).
REST_TOPICS_CHARS = 600

# --- text ---------------------------------------------------------------------------------------------------------


def _inline(text: str) -> str:
    """Outside text, inert and on one line; spaces at the ends stay (it also joins the pieces around a mark)."""
    return escape_mrkdwn(re.sub(r"\s+", " ", text))


def _plain(text: str, limit: int) -> str:
    """Outside text, inert, on one line and at most ``limit`` characters."""
    return clip(_inline(text.strip()), limit)


def _packed(pieces: Sequence[str], separator: str) -> list[str]:
    """``pieces`` joined with ``separator`` into as few texts of at most SECTION_CHARS as they fit in, in order."""
    texts: list[str] = []
    for piece in pieces:
        if texts and len(texts[-1]) + len(separator) + len(piece) <= SECTION_CHARS:
            texts[-1] += separator + piece
        else:
            texts.append(piece)
    return texts


# --- blocks -------------------------------------------------------------------------------------------------------


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn bare names or addresses in outside text into mentions or links on its own.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(texts: Sequence[str]) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text) for text in texts]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_CHARS)}}


def block_chars(block: dict[str, Any]) -> int:
    """Characters of text in a block, as Slack counts them against a message's total."""
    texts = [block["text"]] if "text" in block else block.get("elements", [])
    return sum(len(text["text"]) for text in texts)


def _outlets(entry: DigestEntry, limit: int) -> list[str]:
    """The story's other outlets, each a link, as many as fit in ``limit`` characters."""
    outlets: list[str] = []
    for copy in entry.also_in:
        outlet = link(copy.url, _plain(copy.source_name, 60))
        if sum(len(each) + 2 for each in outlets) + len(outlet) > limit:
            break
        outlets.append(outlet)
    return outlets


def _entry_block(entry: DigestEntry) -> dict[str, Any]:
    title = link(entry.url, _plain(entry.title or entry.url, 300))
    marker = "  _(already alerted)_" if entry.alerted else ""
    facts = [_plain(entry.source_name, 100), entry_time(entry)]
    if entry.terms:
        facts.append("matched: " + _plain(term_list(entry.terms), 300))
    if entry.other_topics:
        facts.append("also: " + _plain(other_topics(entry), 300))
    if entry.snippet.page is not None and entry.kind == "article":
        facts.append(f"p. {entry.snippet.page}")
    required = [f"*{title}*{marker}", " · ".join(facts)]
    optional = []
    if entry.snippet.text:
        optional.append("> " + clip(bold_marks(entry.snippet, _inline), 900))
    council = [link(url, _plain(text, 100)) if url else _plain(text, 300) for text, url in context_items(entry)]
    if council:
        optional.append(" · ".join(council))
    if entry.also_in:
        optional.append("Also covered by " + ", ".join(_outlets(entry, 1_000)))
    # The required lines are bounded well below the limit; optional ones go when a huge entry would not fit.
    lines = required + optional
    while len("\n".join(lines)) > SECTION_CHARS:
        lines.pop()
    return _section("\n".join(lines))


def _brief_line(entry: DigestEntry) -> str:
    """A story beyond max_items_per_topic: its title as a link, its outlets and its other topics, on one line."""
    line = f"• {link(entry.url, _plain(entry.title or entry.url, 300))} — {_plain(entry.source_name, 100)}"
    topics = f" · also: {_plain(other_topics(entry), 300)}" if entry.other_topics else ""
    outlets = _outlets(entry, BRIEF_LINE_CHARS - len(line) - len(topics))
    return line + "".join(f", {outlet}" for outlet in outlets) + topics


def _topic_heading(section: DigestSection, continued: bool = False) -> dict[str, Any]:
    tail = ", continued" if continued else ""
    return _section(f"*{_plain(section.topic_name, 200)}* ({section_count(section)}{tail})")


def _overview(digest: Digest) -> list[dict[str, Any]]:
    """Every topic with its count, at the top of the first message."""
    topics = [f"{_plain(section.topic_name, 100)} ({section_count(section)})" for section in digest.sections]
    texts = _packed(topics, " · ")
    return [_section(f"*In this digest:* {texts[0]}"), *(_section(text) for text in texts[1:])]


def _health_block(digest: Digest) -> dict[str, Any]:
    problems = [f":warning: *{_plain(p.source_name, 100)}*: {_plain(p.problem, 300)}" for p in digest.health]
    if len(problems) > CONTEXT_ELEMENTS:
        hidden = len(problems) - (CONTEXT_ELEMENTS - 1)
        problems = [*problems[: CONTEXT_ELEMENTS - 1], f"and {hidden} more failing sources"]
    return _context(problems)


class _Packer:
    """Fills messages with blocks in order, starting a new message before a limit would be passed; counts the stories
    and notes the topics each message holds. ``last_of_first`` is kept room for at the end of the first message and
    put there once a second message begins."""

    def __init__(self, last_of_first: dict[str, Any] | None = None) -> None:
        self.messages: list[list[dict[str, Any]]] = [[]]
        self.stories: list[int] = [0]
        self.topics: list[list[str]] = [[]]  # topic ids
        self._last_of_first = last_of_first

    def fits(self, *blocks: dict[str, Any]) -> bool:
        kept = [self._last_of_first] if self._last_of_first and len(self.messages) == 1 else []
        current = [*self.messages[-1], *kept, *blocks]
        return len(current) <= MESSAGE_BLOCKS and sum(block_chars(block) for block in current) <= MESSAGE_CHARS

    def add(
        self,
        block: dict[str, Any],
        continuation: dict[str, Any] | None = None,
        *,
        stories: int = 0,
        topic_id: str = "",
    ) -> None:
        """Add ``block`` (holding ``stories`` of the topic ``topic_id``); if a new message is needed, it starts with
        ``continuation`` (e.g. the topic repeated)."""
        if not self.fits(block):
            self.next_message(continuation)
        self.messages[-1].append(block)
        self.stories[-1] += stories
        if topic_id and topic_id not in self.topics[-1]:
            self.topics[-1].append(topic_id)

    def next_message(self, continuation: dict[str, Any] | None = None) -> None:
        if self._last_of_first and len(self.messages) == 1:
            self.messages[0].append(self._last_of_first)
        self.messages.append([continuation] if continuation else [])
        self.stories.append(0)
        self.topics.append([])


def _alert_header(digest: Digest) -> str:
    topics = ", ".join(section.topic_name for section in digest.sections)
    return f"Urgent: {_inline(topics)} — {count_text(digest.total)}"


def _rest_hint(packer: _Packer, threaded: bool) -> str:
    """``38 more stories in the thread`` (or ``in the next 2 messages``): what the first message does not show."""
    rest, following = sum(packer.stories[1:]), len(packer.messages) - 1
    where = "the thread" if threaded else "the next message" if following == 1 else f"the next {following} messages"
    if not rest:  # only the list of failing sources did not fit
        return f"Sources with problems in {where}"
    return f"{rest} more {'story' if rest == 1 else 'stories'} in {where}"


def _rest_topics(digest: Digest, packer: _Packer) -> str:
    """The topics of the later messages, "(continued)" for one the first message began."""
    later = {topic_id for topics in packer.topics[1:] for topic_id in topics}
    named = [
        _plain(section.topic_name, 100) + (" (continued)" if section.topic_id in packer.topics[0] else "")
        for section in digest.sections
        if section.topic_id in later
    ]
    return clip(", ".join(named), REST_TOPICS_CHARS)


def _layout(digest: Digest, alert: bool, threaded: bool) -> tuple[list[list[dict[str, Any]]], str]:
    """The messages, and what the first one says of the others ("38 more stories in the thread"; empty if none)."""
    standalone = not alert and not digest.empty
    # Filled in once the stories are packed; the room they take is kept from the start, at their longest.
    longest = f"*{digest.total} more stories in the next {digest.total} messages*"
    top_hint, last_hint = _section(longest), _section(f"{longest}: " + "x" * REST_TOPICS_CHARS)
    packer = _Packer(last_hint if standalone else None)
    packer.add(_header(_alert_header(digest) if alert else headline(digest)))
    if digest.empty:
        packer.add(_section(empty_text(digest)))
    elif digest.since:
        packer.add(_context([since_text(digest)]))
    if standalone:
        for block in [*_overview(digest), top_hint]:
            packer.add(block)
    for section in digest.sections:
        heading, entries = _topic_heading(section), [_entry_block(entry) for entry in section.in_full]
        if entries and not packer.fits(heading, entries[0]):
            packer.next_message()  # never leave a topic heading alone at the end of a message
        packer.add(heading)
        continued = _topic_heading(section, continued=True)
        for block in entries:
            packer.add(block, continued, stories=1, topic_id=section.topic_id)
        for text in _packed([_brief_line(entry) for entry in section.in_brief], "\n"):
            packer.add(_section(text), continued, stories=text.count("\n") + 1, topic_id=section.topic_id)
    if digest.health:
        packer.add(_health_block(digest))
    messages, hint = packer.messages, ""
    if standalone and len(messages) > 1:
        hint = _rest_hint(packer, threaded)
        top_hint["text"]["text"] = f"*{hint}* ↓" if threaded else f"*{hint}*"
        last_hint["text"]["text"] = f"*{hint}:* {_rest_topics(digest, packer)}"
    elif standalone:
        messages[0].remove(top_hint)
    return messages, hint


def _fallback(digest: Digest, alert: bool, number: int, count: int, hint: str) -> str:
    """The plain ``text`` Slack shows in notifications and to screen readers."""
    title = _alert_header(digest) if alert else escape_mrkdwn(headline(digest))
    if number > 1:
        return f"{title} (part {number} of {count})"
    topics = ", ".join(f"{_plain(s.topic_name, 200)} ({section_count(s)})" for s in digest.sections)
    text = f"{title}: {topics}" if topics else title
    return clip(f"{text}; {hint}" if hint else text, FALLBACK_CHARS)


def digest_parts(digest: Digest, *, alert: bool = False, threaded: bool = True) -> list[Part]:
    """The messages of a digest (or of an urgent alert), each with its plain ``text`` fallback and its blocks.
    ``threaded``: the later messages are replies in the first one's thread (else they follow it in the channel)."""
    messages, hint = _layout(digest, alert, threaded)
    return [
        {"text": _fallback(digest, alert, number, len(messages), hint), "blocks": blocks}
        for number, blocks in enumerate(messages, start=1)
    ]


def notice_parts(title: str, text: str) -> list[Part]:
    """A short message for the admin channel."""
    message = f"*{escape_mrkdwn(one_line(title))}*\n{escape_mrkdwn(text)}"
    return [{"text": clip(message, 3900), "blocks": [_section(clip(message, 2800))]}]
