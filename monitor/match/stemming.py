"""English Snowball stemming (PyStemmer) for topics with ``stem: true``: planning, planned, plans -> plan.

A stemmed view replaces every word of a normalised text by its stem and keeps everything between words, so a
stemmed phrase is found in it exactly as a plain phrase is found in the normalised text.
"""

from __future__ import annotations

import re
import threading
from itertools import accumulate

import Stemmer

from monitor.match.normalise import WORD_CHAR, OffsetMap

_WORDS_AND_GAPS = re.compile(f"({WORD_CHAR}+)")
_local = threading.local()  # a PyStemmer stemmer must not be shared between threads


def _stem_words(words: list[str]) -> list[str]:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer.stemWords(words)


def stemmed_view(text: str) -> tuple[str, OffsetMap]:
    """``text`` with each word replaced by its stem, and the map from the stemmed text back to ``text``."""
    parts = _WORDS_AND_GAPS.split(text)  # gap, word, gap, word, ..., gap
    words = parts[1::2]
    stems = _stem_words(words)
    word_starts = list(accumulate(map(len, parts[:-1]), initial=0))[1::2]  # the parts before each word, summed
    edits = [
        (start, start + len(word), len(stem))
        for start, word, stem in zip(word_starts, words, stems, strict=True)
        if len(stem) != len(word)
    ]
    parts[1::2] = stems
    return "".join(parts), OffsetMap(edits)
