"""NEAR: the occurrences of two patterns in one field that lie at most so many words apart, counted in the normalised
text."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache

from monitor.match.normalise import NOT_WORD_CHAR, WORD_CHAR
from monitor.match.patterns import Span
from monitor.match.terms import MAX_NEAR


def near_occurrences(left: Sequence[Span], right: Sequence[Span], distance: int, text: str) -> list[Span]:
    """The occurrences of either side with an occurrence of the other side at most ``distance`` words away."""
    paired = set()
    for occurrence, before, after in near_partners(left, right, distance, text):
        paired.add(occurrence)
        paired.update(before, after)
    return sorted(paired)


def near_partners(
    left: Sequence[Span], right: Sequence[Span], distance: int, text: str
) -> Iterator[tuple[Span, Sequence[Span], Sequence[Span]]]:
    """Each occurrence of the rarer side with the occurrences of the other side at most ``distance`` words before it
    and after it, when there are any.

    Nearness is mutual, so it is enough to look around each occurrence of the rarer side, ``distance`` words either
    way, and take the other side's occurrences found there: the work grows with the rarer side only. The
    occurrences of one pattern come in the order of their starts, which is also the order of their ends.
    """
    fewer, more = sorted((left, right), key=len)
    starts, ends = [start for start, _ in more], [end for _, end in more]
    backwards = _reversed(text)  # to count words leftwards with a forward search
    for start, end in fewer:
        reach = _word_start(text, end, distance)  # a partner after may start as late as the distance-th word
        after = more[bisect_left(starts, end) : bisect_right(starts, reach)]
        reach = len(text) - _word_start(backwards, len(text) - start, distance)  # ... or end where that word ends
        before = more[bisect_left(ends, reach) : bisect_right(ends, start)]
        if after or before:
            yield (start, end), before, after


@lru_cache(maxsize=8)
def _reversed(text: str) -> str:
    """``text`` backwards, made once for the many NEAR pairs judged in one field (a str keeps its hash)."""
    return text[::-1]


def _word_start(text: str, position: int, count: int) -> int:
    """Where the ``count``-th word from ``position`` on starts; the end of ``text`` when there are fewer words."""
    skipped = _words_skipped(count - 1).match(text, position)
    return len(text) if skipped is None else skipped.end()


@lru_cache(maxsize=MAX_NEAR)
def _words_skipped(count: int) -> re.Pattern[str]:
    """What matches ``count`` words from where it starts, and what follows up to the next word: one search rather than
    a match object per word. Possessive, so that no word is split in two to make up the count."""
    return re.compile(f"(?:{NOT_WORD_CHAR}*+{WORD_CHAR}++){{{count}}}{NOT_WORD_CHAR}*+")
