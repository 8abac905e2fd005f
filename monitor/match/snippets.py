"""Short excerpts of the original text around hits, cut at word boundaries, with the hits marked.

The snippet of a match comes from the body when a hit is there (the title is shown beside it anyway, and the body
says most about the story), else from the summary, else from the title: about 200 characters around the first hit
in that field, marking every hit inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
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
            return replace(excerpt(texts[field], first, spans, SNIPPET_LENGTH), page=page_at(texts[field], first[0]))
    return Snippet("")


def page_at(text: str, offset: int) -> int | None:
    """The page number of ``offset`` in a document's text whose pages are separated by form feeds (as the extract
    stage joins PDF pages); None for text that has no pages."""
    return text.count(PAGE_BREAK, 0, offset) + 1 if PAGE_BREAK in text else None


def excerpt(text: str, focus: tuple[int, int], spans: Iterable[tuple[int, int]], length: int) -> Snippet:
    """About ``length`` characters of ``text`` around ``focus``, marking the ``spans`` that lie wholly inside."""
    low, high = _window(text, focus, length)
    marks = _merged((start - low, end - low) for start, end in spans if low <= start and end <= high)
    return _tidied(text[low:high], marks, cut_before=low > 0, cut_after=high < len(text))


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


def _tidied(piece: str, marks: tuple[tuple[int, int], ...], *, cut_before: bool, cut_after: bool) -> Snippet:
    """``piece`` on one line with entities decoded, the marks moved with the text they mark."""
    edges = [0, *(edge for mark in marks for edge in mark), len(piece)]
    parts = [_plain(piece[a:b]) for a, b in pairwise(edges)]  # plain, mark, plain, mark, ..., plain
    parts[0] = (ELLIPSIS if cut_before else "") + parts[0].lstrip()
    parts[-1] = parts[-1].rstrip() + (ELLIPSIS if cut_after else "")
    ends = list(accumulate(map(len, parts)))
    # Each mark runs from the end of the plain part before it to its own end.
    return Snippet("".join(parts), tuple(zip(ends[:-1:2], ends[1::2], strict=True)))


def _plain(text: str) -> str:
    """One line with entities decoded (what staff would see in a browser), each run of blanks one space."""
    if text.isprintable() and "  " not in text and "&" not in text:
        return text
    if "&" in text:
        text = ENTITY.sub(lambda entity: unescape(entity.group()), text)
    if _CONTROLS.search(text):
        text = _CONTROLS.sub(" ", text)
    words = " ".join(text.split())  # str.split knows every Unicode blank
    if not words:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + words + (" " if text[-1].isspace() else "")
