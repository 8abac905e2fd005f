"""The rules evaluated the slow, obvious way: the yardstick that ``Matcher`` must agree with.

One compiled regular expression per term, searched in each field on its own; NEAR by trying every pair of
occurrences and counting the words between them; stemming word by word; the topic's conditions checked one after
another. It shares with ``Matcher`` only what is not in question: the parsed rules, the normal form of text (which
has its own tests), how many hits of a term a match keeps, and how hits become a snippet. The property tests
(``test_match_reference.py``) and ``bench/match.py`` compare the two; it lives with the tests, as Beatwatch itself
never runs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import Stemmer

from monitor.match.judge import HITS_KEPT
from monitor.match.normalise import WORD, WORD_CHAR, collapse_spaces, normalise
from monitor.match.rules import TopicRules, parse_rules
from monitor.match.settings import FIELDS, KeywordsFile
from monitor.match.snippets import snippet_for
from monitor.match.terms import Near, Phrase, Regex, Term
from monitor.match.types import Hit, Match

Span = tuple[int, int]

_WORDS_OR_GAPS = re.compile(f"{WORD_CHAR}+|(?:(?!{WORD_CHAR}).)+", re.DOTALL)


class _SingleSpaced:
    """A field in normal form with single spaces (all three steps), and the way back to the original text."""

    def __init__(self, original: str) -> None:
        self._normalised = normalise(original)
        self.original = original
        self.text, self._back = collapse_spaces(self._normalised.text)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self._normalised.original_span(self._back.start(start), self._back.end(end))


class ReferenceMatcher:
    """The same interface as ``Matcher.compile`` and ``Matcher.match``, and the same results, slowly."""

    def __init__(self, topics: tuple[TopicRules, ...]) -> None:
        self._topics = topics
        self._stemmer = Stemmer.Stemmer("english")
        self._patterns: dict[tuple[Phrase, bool], re.Pattern[str]] = {}  # compiled on first use

    @classmethod
    def compile(cls, keywords: KeywordsFile) -> ReferenceMatcher:
        return cls(parse_rules(keywords))

    def match(self, fields: Mapping[str, str]) -> list[Match]:
        texts = {field: _SingleSpaced(fields.get(field) or "") for field in FIELDS}
        stemmed = {field: self._stemmed(texts[field].text) for field in FIELDS}
        matches = []
        for rules in self._topics:
            match = self._match_topic(rules, texts, stemmed)
            if match is not None:
                matches.append(match)
        return matches

    def _match_topic(self, rules: TopicRules, texts: dict[str, _SingleSpaced], stemmed: dict) -> Match | None:
        blockers = {
            field: [
                span
                for term in rules.ignore
                for span in self._spans(term, rules.stem, texts[field], stemmed[field], [])
            ]
            for field in rules.fields
        }

        def counted(term: Term, stem: bool) -> list[tuple[str, Span]]:
            return [
                (field, span)
                for field in rules.fields
                for span in self._spans(term, stem, texts[field], stemmed[field], blockers[field])[:HITS_KEPT]
            ]

        any_found = {term.written: counted(term, rules.stem) for term in rules.any}
        all_found = {term.written: counted(term, rules.stem) for term in rules.all}
        if rules.any and not any(any_found.values()):
            return None
        if not all(all_found.values()):
            return None
        if any(counted(term, rules.stem) for term in rules.not_):
            return None
        if rules.place_names and not any(counted(term, False) for term in rules.places):
            return None
        found = {**any_found, **all_found}
        terms = tuple(written for written in found if found[written])
        hits = sorted(
            {
                Hit(written, field, *texts[field].original_span(*span))
                for written, spans in found.items()
                for field, span in spans
            },
            key=lambda hit: (FIELDS.index(hit.field), hit.start, hit.end, hit.term),
        )
        originals = {field: text.original for field, text in texts.items()}
        return Match(rules.id, terms, tuple(hits), snippet_for(hits, originals), rules.urgent)

    def _spans(
        self, term: Term, stem: bool, field: _SingleSpaced, stemmed: tuple[str, list[Span]], blockers: list[Span]
    ) -> list[Span]:
        """Occurrences of ``term`` in one field that overlap none of the ``blockers``."""
        text = field.text

        def find(phrase: Phrase) -> list[Span]:
            if stem and not phrase.prefix:
                stemmed_text, origins = stemmed
                spans = _overlapping(self._pattern(phrase, True), stemmed_text)
                found = [(origins[start][0], origins[end - 1][1]) for start, end in spans]
            else:
                found = _overlapping(self._pattern(phrase, False), text)
            return [span for span in found if not _overlaps(span, blockers)]

        body = term.body
        if isinstance(body, Regex):
            spans = [found.span() for found in body.pattern.finditer(text) if found.end() > found.start()]
            return [span for span in spans if not _overlaps(span, blockers)]
        if isinstance(body, Near):
            lefts, rights = find(body.left), find(body.right)
            pairs = [(left, right) for left in lefts for right in rights if _near(left, right, body.distance, text)]
            return sorted({span for pair in pairs for span in pair})
        return find(body)

    def _stemmed(self, text: str) -> tuple[str, list[Span]]:
        """``text`` with every word stemmed, and for each of its characters the span it came from in ``text``."""
        pieces, origins = [], []
        for piece in _WORDS_OR_GAPS.finditer(text):
            if piece.group()[0].isalnum():
                stem = self._stemmer.stemWord(piece.group())
                pieces.append(stem)
                origins += [piece.span()] * len(stem)
            else:
                pieces.append(piece.group())
                origins += [(position, position + 1) for position in range(piece.start(), piece.end())]
        return "".join(pieces), origins

    def _pattern(self, phrase: Phrase, stem: bool) -> re.Pattern[str]:
        """The phrase on word boundaries; the lookbehind comes after the key so that re still searches for it fast."""
        if (phrase, stem) not in self._patterns:
            key = re.escape(self._stemmed(phrase.key)[0] if stem else phrase.key)
            source = key
            if phrase.key[0].isalnum():
                source += f"(?<!{WORD_CHAR}{key})"
            if phrase.prefix:
                source += f"{WORD_CHAR}*"
            elif phrase.key[-1].isalnum():
                source += f"(?!{WORD_CHAR})"
            self._patterns[phrase, stem] = re.compile(source)
        return self._patterns[phrase, stem]


def _overlapping(pattern: re.Pattern[str], text: str) -> list[Span]:
    """Every match of ``pattern``, also those overlapping an earlier one ("ha ha" twice in "ha ha ha")."""
    spans, position = [], 0
    while (found := pattern.search(text, position)) is not None:
        spans.append(found.span())
        position = found.start() + 1
    return spans


def _overlaps(span: Span, others: list[Span]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in others)


def _near(one: Span, other: Span, distance: int, text: str) -> bool:
    if _overlaps(one, [other]):
        return False
    first, second = sorted((one, other))
    return len(WORD.findall(text[first[1] : second[0]])) + 1 <= distance
