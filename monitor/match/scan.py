"""The search of an item's fields that finds every numbered pattern of a ``PatternTable`` at once.

- Plain words, phrases and wildcards: ONE Aho-Corasick automaton (``patterns``) over all fields, reading only where
  RE2 found an anchor when they are short.
- Terms of ``stem: true`` topics: a second automaton, searched in a stemmed view of the fields that need it.
- Regular expressions (rare): one by one, with RE2, so that no pattern can take more than linear time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import NamedTuple

from monitor.match.normalise import Normalised, Viewed, collapse_spaces, viewed
from monitor.match.patterns import KeyFinder, PatternTable, Span, build_automaton, find_keys
from monitor.match.stemming import stemmed_view
from monitor.match.view import joined_view


class FieldScan(NamedTuple):  # a NamedTuple rather than a dataclass: made for every field of every item
    """One field of an item, normalised and searched: ``found`` maps pattern ids to their spans in ``normalised``."""

    name: str
    normalised: Normalised
    found: dict[int, list[Span]]


class Reading(NamedTuple):
    """An item's fields viewed, in the scanner's order, and the word view of them all joined (what
    ``patterns.find_keys`` reads)."""

    fields: list[Viewed]
    view: bytes


class Scanner:
    """Finds the patterns of ``patterns`` (complete: no pattern may be added later) in ``fields``; the stemmed ones
    only in ``stem_fields``. Safe to use from many threads."""

    def __init__(self, patterns: PatternTable, fields: Collection[str], stem_fields: Collection[str] = ()) -> None:
        self._plain = build_automaton(patterns.plain)
        self._stemmed = build_automaton(patterns.stemmed)
        self._regexes = tuple((pattern_id, regex.pattern) for pattern_id, regex in patterns.regexes.values())
        self._fields = tuple(fields)
        self._stem_fields = frozenset(stem_fields)

    def read(self, fields: Mapping[str, str | None]) -> Reading:
        """Each field viewed (a missing one is empty text), and the word view of them all."""
        each = [viewed(fields.get(name) or "") for name in self._fields]
        return Reading(each, joined_view([field.view for field in each]))

    def scan(self, fields: Mapping[str, str | None]) -> dict[str, FieldScan]:
        """Each field normalised and searched (a missing one is empty text)."""
        return self.search(self.read(fields))

    def search(self, reading: Reading) -> dict[str, FieldScan]:
        """Each field of ``reading`` searched."""
        normalised = [field.normalised() for field in reading.fields]
        texts = [each.text for each in normalised]
        if self._plain is None:
            found: list[defaultdict[int, list[Span]]] = [defaultdict(list) for _ in texts]
        else:
            found = find_keys(self._plain, texts, reading.view)
        if self._stemmed is not None or self._regexes:
            for name, text, in_field in zip(self._fields, texts, found, strict=True):
                if self._stemmed is not None and name in self._stem_fields:
                    self._find_stemmed(self._stemmed, text, in_field)
                if self._regexes:
                    self._find_regexes(text, in_field)
        return {
            name: FieldScan(name, text, in_field)
            for name, text, in_field in zip(self._fields, normalised, found, strict=True)
        }

    @staticmethod
    def _find_stemmed(stemmed_keys: KeyFinder, text: str, found: defaultdict[int, list[Span]]) -> None:
        stemmed, back = stemmed_view(text)
        for pattern_id, spans in find_keys(stemmed_keys, [stemmed])[0].items():
            found[pattern_id] = [(back.start(start), back.end(end)) for start, end in spans]

    def _find_regexes(self, text: str, found: defaultdict[int, list[Span]]) -> None:
        single_spaced, back = collapse_spaces(text)  # regular expressions see single spaces
        # ASCII text is searched as its bytes, which have the same offsets: RE2's wrapper would encode a str again for
        # every search and work out the offsets of every match in it.
        searched = single_spaced.encode("ascii") if single_spaced.isascii() else single_spaced
        for pattern_id, pattern in self._regexes:
            for occurrence in pattern.finditer(searched):
                start, end = occurrence.span()
                if end > start:
                    found[pattern_id].append((back.start(start), back.end(end)))
