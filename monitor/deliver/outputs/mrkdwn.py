"""Outside text made inert in Slack's mrkdwn, and our own marks made sure to apply.

Slack reads ``&``, ``<`` and ``>`` as control characters; its documented escape is the HTML entity (``&amp;``, ``&lt;``,
``&gt;``), which also keeps ``<!channel>`` from pinging anyone. It further formats ``*bold*``, ``_italic_``,
``~strike~``, ``` `code` ``` and a line that starts with ``>`` (a quote), and for these it has no escape at all: a
backslash shows as a backslash. A marker only formats at a word's edge (the opening one after a space or punctuation,
the closing one before), never between two letters or digits: ``snake_case`` and ``a*b`` show as they are.

So outside text keeps a marker that stands between two letters or digits, where it cannot format, and every other
marker becomes a look-alike character that Slack does not read (``∗`` for ``*``, ``▁`` for ``_``, ``∼`` for ``~``,
``‵`` for a backtick, and their full-width forms too, which Slack also reads); a ``>`` that starts a line becomes
``˃``. The words themselves are untouched, so a headline reads the same and Slack's search still finds it. Invisible
characters were not used: a zero-width space counts as a word edge to Slack, so next to a marker it makes formatting
apply rather than stopping it (converters insert it for that), and what other invisible characters do is not
documented. Slack's date fallback (``<!date^0^{_}|*>``) does show a character literally, but costs twenty characters for
each one and uses the ``<!`` command syntax that outside text must never carry.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from monitor.deliver.render import safe_link
from monitor.match.types import Snippet

# Longer addresses are shown unlinked rather than eating a section's characters.
LINK_CHARS = 1_000
# Next to one of our own markers, where the neighbouring character is not a space: a word edge to Slack, so the
# marker applies whatever the neighbour is (a bracket, a quote, a letter of a language written without spaces).
WORD_EDGE = "\u200b"

# Symbols and punctuation, never letters: a word beside one stays a word of its own, for the eye and for search.
_LOOK_ALIKES = {
    "*": "\u2217",  # ∗ asterisk operator
    "\uff0a": "\ufe61",  # full-width asterisk -> ﹡ small asterisk
    "_": "\u2581",  # ▁ lower one eighth block
    "\uff3f": "\u2581",  # full-width low line
    "~": "\u223c",  # ∼ tilde operator
    "\uff5e": "\u223c",  # full-width tilde
    "`": "\u2035",  # ‵ reversed prime
    "\uff40": "\u2035",  # full-width grave accent
}
_MARKERS = re.compile("[" + re.escape("".join(_LOOK_ALIKES)) + "]")
_CODE_MARKERS = "`\uff40"  # not trusted between letters: code spans are not held to word edges everywhere
_QUOTE_AT_LINE_START = re.compile(r"^([ \t]*)[>\uff1e]", re.MULTILINE)
_QUOTE_LOOK_ALIKE = "\u02c3"  # ˃ modifier letter right arrowhead
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_mrkdwn(text: str) -> str:
    """Outside text made inert: no formatting, no quote, no mention or link; see the module's documentation."""
    text = _QUOTE_AT_LINE_START.sub(lambda found: found.group(1) + _QUOTE_LOOK_ALIKE, text)
    text = _MARKERS.sub(_look_alike, text)
    return re.sub("[&<>]", lambda found: _ENTITIES[found.group()], text)


def _look_alike(found: re.Match[str]) -> str:
    text, at, marker = found.string, found.start(), found.group()
    between_letters = 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum()
    return marker if between_letters and marker not in _CODE_MARKERS else _LOOK_ALIKES[marker]


def clip(escaped: str, limit: int) -> str:
    """Escaped text cut to ``limit`` characters with an ellipsis, never in the middle of an entity."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def link(url: str, label: str) -> str:
    """``<url|label>`` (``label`` already escaped) for an http(s) address; only the label for anything else."""
    target = safe_link(url)
    if target is None:
        return label
    # ``|`` and ``>`` would end the address early; whitespace would break it.
    target = re.sub(r"[|<>\s]", lambda found: f"%{ord(found.group()):02X}", target).replace("&", "&amp;")
    return f"<{target}|{label}>" if len(target) <= LINK_CHARS else label


def bold_marks(snippet: Snippet, escape: Callable[[str], str]) -> str:
    """The snippet with each hit in bold (``*hit*``), ``escape`` applied to every piece of its text. Where a hit's
    neighbour is not a space, a zero-width space goes between the neighbour and the marker so that the bold applies."""
    text, pieces, cursor = snippet.text, [], 0
    for start, end in snippet.marks:
        before = WORD_EDGE if start > 0 and not text[start - 1].isspace() else ""
        after = WORD_EDGE if end < len(text) and not text[end].isspace() else ""
        pieces.append(f"{escape(text[cursor:start])}{before}*{escape(text[start:end])}*{after}")
        cursor = end
    pieces.append(escape(text[cursor:]))
    return "".join(pieces)
