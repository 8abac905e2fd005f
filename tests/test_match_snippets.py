"""Property: a snippet tidied in one pass over its piece of text equals the piece tidied part by part, between and
inside the marks, the obvious way (entities decoded, each run of blanks one space, blanks trimmed at the ends)."""

from __future__ import annotations

import re
from html import unescape
from itertools import accumulate, pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.match import Matcher
from monitor.match.normalise import ENTITY
from monitor.match.snippets import SNIPPET_FIELDS, SNIPPET_LENGTH, _merged, _window
from monitor.match.types import Hit, Snippet
from monitor.text import ELLIPSIS
from tests.test_match_reference import WORDS, keywords

# Every kind of blank and control, entities that decode to blanks and to themselves, runs of them side by side.
GAPS = [" ", " ", "  ", "\n\n", " \t", "\x00", "\x85", "\u2028", "\xa0", "&nbsp;", "&amp;", "&zz;", " &#32; ", "-", ""]


@st.composite
def blank_texts(draw, max_words: int = 40) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), max_size=max_words))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(words) + 1, max_size=len(words) + 1))
    return gaps[0] + "".join(word + gap for word, gap in zip(words, gaps[1:], strict=True))


def plain_part(text: str) -> str:
    if "&" in text:
        text = ENTITY.sub(lambda entity: unescape(entity.group()), text)
    text = re.sub(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]", " ", text)
    words = " ".join(text.split())
    if not words:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + words + (" " if text[-1].isspace() else "")


def snippet_part_by_part(hits: tuple[Hit, ...], texts: dict[str, str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    field = next(field for field in SNIPPET_FIELDS if any(hit.field == field for hit in hits))
    text, spans = texts[field], [(hit.start, hit.end) for hit in hits if hit.field == field]
    low, high = _window(text, min(spans), SNIPPET_LENGTH)
    marks = _merged((start - low, end - low) for start, end in spans if low <= start and end <= high)
    piece = text[low:high]
    edges = [0, *(edge for mark in marks for edge in mark), len(piece)]
    parts = [plain_part(piece[a:b]) for a, b in pairwise(edges)]
    parts[0] = (ELLIPSIS if low > 0 else "") + parts[0].lstrip()
    parts[-1] = parts[-1].rstrip() + (ELLIPSIS if high < len(text) else "")
    ends = list(accumulate(map(len, parts)))
    return "".join(parts), tuple(zip(ends[:-1:2], ends[1::2], strict=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keywords(), blank_texts(6), blank_texts(12), blank_texts())
def test_a_snippet_tidied_in_one_pass_equals_it_tidied_part_by_part(rules, title, summary, body):
    texts = {"title": title, "summary": summary, "body": body}
    for match in Matcher.compile(rules).match(texts):
        snippet = match.snippet
        assert isinstance(snippet, Snippet)
        assert (snippet.text, snippet.marks) == snippet_part_by_part(match.hits, texts)
