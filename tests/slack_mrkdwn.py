"""A small reader of Slack's mrkdwn, for the Slack-compatible test server: where bold, italic, strike, code and quote
formatting would apply in a text that Slack receives.

Slack documents the markers (``*bold*``, ``_italic_``, ``~strike~``, ``` `code` ```, ``>`` at a line's start) but not
the exact rules; what is known from its behaviour: markers pair up on one line, and only at a word's edge: an opening
marker stands at the start or after a character that is not a letter or digit and has no space after it; a closing
marker has no space before it and stands at the end or before a character that is not a letter or digit
(``snake_case`` and ``Super_cali_fragilistic`` stay as written). Full-width markers count too (``＊``, ``＿``,
``～``, ``｀``, ``＞``). A link ``<address|label>`` shows its label, and its address is never formatted; ``&amp;``,
``&lt;`` and ``&gt;`` are single characters.

The reader is deliberately eager: it reports formatting wherever Slack might apply it (after any punctuation, not only
after a space), so text in which it finds none shows literally in Slack. A span is ``certain`` when its outer edges are
spaces, a line's ends or zero-width spaces: there Slack applies it for sure, which is what our own marks need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD_EDGE = "\u200b"
MARKERS = {"bold": "*\uff0a", "italic": "_\uff3f", "strike": "~\uff5e", "code": "`\uff40"}
_QUOTE = re.compile(r"^[ \t]*(?:&gt;|>|\uff1e)")
_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}


@dataclass(frozen=True)
class Formatting:
    kind: str  # bold, italic, strike, code or quote
    text: str  # what is formatted, as shown (links by their label); a quote's whole line
    certain: bool = True


def formatting(text: str) -> list[Formatting]:
    """Every place in ``text`` (mrkdwn as sent to Slack) where formatting would apply, line by line."""
    found: list[Formatting] = []
    for line in text.split("\n"):
        shown = shown_text(line)
        if _QUOTE.match(line):
            found.append(Formatting("quote", shown))
        found += _spans(shown)
    return found


def shown_text(mrkdwn: str) -> str:
    """The text as Slack shows it before formatting: links as their labels, entities as their characters."""
    labelled = _LINK.sub(lambda link: link.group(2) if link.group(2) is not None else link.group(1), mrkdwn)
    return re.sub("&(?:amp|lt|gt);", lambda entity: _ENTITIES[entity.group()], labelled)


def _spans(shown: str) -> list[Formatting]:
    spans: list[Formatting] = []
    blanked = shown  # nothing inside a code span is formatted: the others are looked for with it blanked out
    for start, end, certain in _pairs(shown, "code"):
        spans.append(Formatting("code", shown[start + 1 : end], certain))
        blanked = blanked[:start] + " " * (end + 1 - start) + blanked[end + 1 :]
    for kind in ("bold", "italic", "strike"):
        spans += [Formatting(kind, shown[start + 1 : end], certain) for start, end, certain in _pairs(blanked, kind)]
    return spans


def _pairs(shown: str, kind: str) -> list[tuple[int, int, bool]]:
    """(opening marker, closing marker, certain) of each span of ``kind``, left to right."""
    markers, pairs, start = MARKERS[kind], [], 0
    while start < len(shown):
        if shown[start] in markers and _opens(shown, start):
            end = next((j for j in range(start + 2, len(shown)) if shown[j] in markers and _closes(shown, j)), None)
            if end is not None:
                pairs.append((start, end, _edge(shown, start - 1) and _edge(shown, end + 1)))
                start = end + 1
                continue
        start += 1
    return pairs


def _opens(shown: str, at: int) -> bool:
    return (at == 0 or not shown[at - 1].isalnum()) and at + 1 < len(shown) and not shown[at + 1].isspace()


def _closes(shown: str, at: int) -> bool:
    return not shown[at - 1].isspace() and (at + 1 == len(shown) or not shown[at + 1].isalnum())


def _edge(shown: str, at: int) -> bool:
    return at < 0 or at >= len(shown) or shown[at].isspace() or shown[at] == WORD_EDGE
