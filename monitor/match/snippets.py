"""Short excerpts of the original text around hits, cut at word boundaries, with the hits marked.

The snippet of a match comes from the body when a hit is there (the title is shown beside it anyway, and the body
says most about the story), else from the summary, else from the title: about 200 characters around the first hit
in that field, marking every hit inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from html import unescape
from itertools import accumulate, pairwise

from monitor.match.normalise import ENTITY
from monitor.match.types import Hit, Snippet
from monitor.text import ELLIPSIS, PAGE_BREAK

SNIPPET_LENGTH = 200
SNIPPET_FIELDS = ("body", "summary", "title")  # the first of these with a hit gives the snippet

_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")  # control characters that are not blanks
_BLANK = re.compile(r"\s")


def snippet_for(hits: Sequence[Hit], texts: Mapping[str, str]) -> Snippet:
    """The snippet of a match with ``hits`` in the original field ``texts``."""
    for field in SNIPPET_FIELDS:
        spans = [(hit.start, hit.end) for hit in hits if hit.field == field]
        if spans:
            first = min(spans)
            text = texts[field]
            return excerpt(text, first, spans, SNIPPET_LENGTH, page=page_at(text, first[0]))
    return Snippet("")


def page_at(text: str, offset: int) -> int | None:
    """The page number of ``offset`` in a document's text whose pages are separated by form feeds (as the extract
    stage joins PDF pages); None for text that has no pages."""
    return text.count(PAGE_BREAK, 0, offset) + 1 if PAGE_BREAK in text else None


def excerpt(
    text: str, focus: tuple[int, int], spans: Iterable[tuple[int, int]], length: int, page: int | None = None
) -> Snippet:
    """About ``length`` characters of ``text`` around ``focus``, marking the ``spans`` that lie wholly inside;
    ``page``: the page it is on, if the text has pages."""
    low, high = _window(text, focus, length)
    marks = _merged((start - low, end - low) for start, end in spans if low <= start and end <= high)
    line, marks = _tidied(text[low:high], marks, cut_before=low > 0, cut_after=high < len(text))
    return Snippet(line, marks, page)


def _window(text: str, focus: tuple[int, int], length: int) -> tuple[int, int]:
    start, end = focus
    room = max(0, length - (end - start))
    low = max(0, start - room // 3)  # a third of the room before the hit, two thirds after: we read forwards
    high = min(len(text), end + room - (start - low))
    low = max(0, min(low, high - length))  # near the end of the text, use the room before the hit
    if low > 0:
        low = _after_first_blank(text, low, start)
    if high < len(text):
        high = _at_last_blank(text, end, high)
    return low, high


def _after_first_blank(text: str, low: int, start: int) -> int:
    """Where the excerpt may open without cutting a word, at or after ``low`` and not after ``start``."""
    blank = _BLANK.search(text, low, start)
    return blank.end() if blank else low


def _at_last_blank(text: str, end: int, high: int) -> int:
    found = max(text.rfind(" ", end, high), text.rfind("\n", end, high))
    return found if found >= 0 else high


def _merged(marks: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(marks):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _tidied(
    piece: str, marks: tuple[tuple[int, int], ...], *, cut_before: bool, cut_after: bool
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """``piece`` on one line with entities decoded, the marks moved with the text they mark."""
    edges = [edge for mark in marks for edge in mark]
    if not _is_plain(piece):  # most pieces are: no need then to cut them up at the marks
        parts = [_plain(piece[a:b]) for a, b in pairwise([0, *edges, len(piece)])]  # plain, mark, ..., plain
        edges = list(accumulate(map(len, parts[:-1])))
        piece = "".join(parts)
    first, last = (edges[0], edges[-1]) if edges else (len(piece), 0)
    lead = min(len(piece) - len(piece.lstrip()), first)  # the blanks before the first mark go, and after the last
    trail = min(len(piece) - len(piece.rstrip()), len(piece) - last)
    before, after = ELLIPSIS if cut_before else "", ELLIPSIS if cut_after else ""
    moved = [edge - lead + len(before) for edge in edges]
    return before + piece[lead : len(piece) - trail] + after, tuple(zip(moved[0::2], moved[1::2], strict=True))


def _is_plain(text: str) -> bool:
    """True when ``text`` is its own plain form (see ``_plain``), as most text is."""
    return text.isprintable() and "  " not in text and "&" not in text


def _plain(text: str) -> str:
    """One line with entities decoded (what staff would see in a browser), each run of blanks one space."""
    if _is_plain(text):
        return text
    if "&" in text:
        text = ENTITY.sub(lambda entity: unescape(entity.group()), text)
    if _CONTROLS.search(text):
        text = _CONTROLS.sub(" ", text)
    words = " ".join(text.split())  # str.split knows every Unicode blank
    if not words:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + words + (" " if text[-1].isspace() else "")
