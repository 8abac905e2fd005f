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
from collections.abc import Collection, Mapping

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

    def match(self, fields: Mapping[str, str], places: Collection[str] = ()) -> list[Match]:
        texts = {field: _SingleSpaced(fields.get(field) or "") for field in FIELDS}
        stemmed = {field: self._stemmed(texts[field].text) for field in FIELDS}
        matches = []
        for rules in self._topics:
            match = self._match_topic(rules, texts, stemmed, places)
            if match is not None:
                matches.append(match)
        return matches

    def _match_topic(
        self, rules: TopicRules, texts: dict[str, _SingleSpaced], stemmed: dict, places: Collection[str]
    ) -> Match | None:
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
        gate_met_by_source = any(name in places for name in rules.place_names)
        if rules.place_names and not gate_met_by_source and not self._place_found(rules, texts, stemmed, blockers):
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

    def _place_found(
        self, rules: TopicRules, texts: dict[str, _SingleSpaced], stemmed: dict, blockers: dict[str, list[Span]]
    ) -> bool:
        """A name of one of the gate's place lists occurs outside ``ignore`` and inside none of that list's `not`
        names (an occurrence of NEAR reaching from one side of a pair to the other)."""
        for gazetteer in rules.place_lists:
            for field in rules.fields:
                text, words = texts[field], stemmed[field]
                covers = [stretch for term in gazetteer.not_names for stretch in self._stretches(term, text, words)]
                for term in gazetteer.names:
                    for start, end in self._spans(term, False, text, words, blockers[field]):
                        if not any(cover_start <= start and end <= cover_end for cover_start, cover_end in covers):
                            return True
        return False

    def _stretches(self, term: Term, field: _SingleSpaced, stemmed: tuple[str, list[Span]]) -> list[Span]:
        if isinstance(term.body, Near):
            pairs = self._near_pairs(term.body, False, field, stemmed, [])
            return [(min(left[0], right[0]), max(left[1], right[1])) for left, right in pairs]
        return self._spans(term, False, field, stemmed, [])

    def _spans(
        self, term: Term, stem: bool, field: _SingleSpaced, stemmed: tuple[str, list[Span]], blockers: list[Span]
    ) -> list[Span]:
        """Occurrences of ``term`` in one field that overlap none of the ``blockers``."""
        body = term.body
        if isinstance(body, Regex):
            spans = [found.span() for found in body.pattern.finditer(field.text) if found.end() > found.start()]
            return [span for span in spans if not _overlaps(span, blockers)]
        if isinstance(body, Near):
            return sorted({span for pair in self._near_pairs(body, stem, field, stemmed, blockers) for span in pair})
        return self._find(body, stem, field, stemmed, blockers)

    def _near_pairs(
        self, near: Near, stem: bool, field: _SingleSpaced, stemmed: tuple[str, list[Span]], blockers: list[Span]
    ) -> list[tuple[Span, Span]]:
        lefts = self._find(near.left, stem, field, stemmed, blockers)
        rights = self._find(near.right, stem, field, stemmed, blockers)
        return [(left, right) for left in lefts for right in rights if _near(left, right, near.distance, field.text)]

    def _find(
        self, phrase: Phrase, stem: bool, field: _SingleSpaced, stemmed: tuple[str, list[Span]], blockers: list[Span]
    ) -> list[Span]:
        if stem and not phrase.prefix:
            stemmed_text, origins = stemmed
            spans = _overlapping(self._pattern(phrase, True), stemmed_text)
            found = [(origins[start][0], origins[end - 1][1]) for start, end in spans]
        else:
            found = _overlapping(self._pattern(phrase, False), field.text)
        return [span for span in found if not _overlaps(span, blockers)]

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
