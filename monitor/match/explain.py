"""Why a topic matched a story or not, as ``monitor test-rules`` shows it to the people who write the rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.match.types import Hit, Snippet

_MARK_BEFORE, _MARK_AFTER = "«", "»"
_TERMS_LISTED = 6  # "none of the 'any' terms" names this many before saying "and N more"


@dataclass(frozen=True)
class TopicReport:
    """One topic judged on one story. Hits are in the original text; ``contexts`` give a short excerpt per hit."""

    topic_id: str
    topic_name: str
    matched: bool
    fields: tuple[str, ...]  # where the topic looks
    any_terms: tuple[str, ...]
    all_terms: tuple[str, ...]
    hits: tuple[Hit, ...]  # of `any` and `all` terms that counted
    missing_all: tuple[str, ...]  # `all` terms not found
    vetoed_by: tuple[Hit, ...]  # hits of `not` terms
    ignored: tuple[Hit, ...]  # hits that did not count because an `ignore` term covers them
    ignore_hits: tuple[Hit, ...]  # occurrences of the `ignore` terms themselves
    place_names: tuple[str, ...]  # the place lists of the gate; empty when the topic has no gate
    place_hits: tuple[Hit, ...]  # place names that counted
    place_set_aside: tuple[tuple[Hit, str], ...]  # place names that did not, each with the `not` name it lay in
    place_by_source: tuple[str, ...]  # the place lists of the gate the story's source stands for
    source: str  # the id of the source the story was tested as coming from ("" for none)
    place_missing: bool
    snippet: Snippet | None  # what a digest would show, when anything was found
    contexts: tuple[tuple[Hit, Snippet], ...]  # a short excerpt around each hit of the lists above

    def context(self, hit: Hit) -> Snippet:
        return dict(self.contexts)[hit]

    def lines(self) -> list[str]:
        """A plain-text explanation: a heading, then one line per reason."""
        verdict = "MATCHED" if self.matched else "not matched"
        lines = [f"{self.topic_id} ({self.topic_name}): {verdict}"]
        lines += [self._line("matched", hit, self.hits) for hit in _first_hits(self.hits)]
        if self.any_terms and not any(hit.term in self.any_terms for hit in self.hits):
            lines.append(f"not matched: none of the 'any' terms was found ({_listed(self.any_terms)})")
        if self.missing_all:
            missing = ", ".join(repr(term) for term in self.missing_all)
            lines.append(f"not matched: needs all of {list(self.all_terms)!r} — missing {missing}")
        lines += [self._line("vetoed by", hit, self.vetoed_by) for hit in _first_hits(self.vetoed_by)]
        for hit in _first_hits(self.ignored):
            lines.append(self._line("ignored", hit, self.ignored, f", inside {self._cover(hit)!r}"))
        lines += [self._line("place", hit, self.place_hits) for hit in _first_hits(self.place_hits)]
        lines += self._set_aside_lines()
        if self.place_by_source:
            source = self.source or "it"
            lines.append(f"place gate met by the source ({source} stands for {', '.join(self.place_by_source)})")
        if self.place_missing:
            counts = " that counts" if self.place_set_aside else ""
            lines.append(f"place gate: no mention of any place in {', '.join(self.place_names)}{counts}")
        return lines

    def _set_aside_lines(self) -> list[str]:
        """Per place name and field, the `not` names it was found in: "place: 'Southend' in body, found only in
        'Southend Magistrates' Court', which doesn't count: …"."""
        set_aside = [hit for hit, _ in self.place_set_aside]
        covers = dict(self.place_set_aside)
        counted = {(hit.term, hit.field) for hit in self.place_hits}
        lines = []
        for first in _first_hits(set_aside):
            key = (first.term, first.field)
            names = list(dict.fromkeys(covers[hit] for hit in set_aside if (hit.term, hit.field) == key))
            where = "also found in" if key in counted else "found only in"
            which = "which doesn't count" if len(names) == 1 else "which don't count"
            note = f", {where} {_listed(names, _quoted)}, {which}"
            lines.append(self._line("place", first, set_aside, note))
        return lines

    def _line(self, label: str, first: Hit, hits: Sequence[Hit], note: str = "") -> str:
        """The first hit of a term in a field with its excerpt, and how many more there are."""
        count = sum(1 for hit in hits if (hit.term, hit.field) == (first.term, first.field))
        times = f" ({count} times)" if count > 1 else ""
        excerpt = self.context(first).marked(_MARK_BEFORE, _MARK_AFTER)
        return f"{label}: {first.term!r} in {first.field}{times}{note}: {excerpt}"

    def _cover(self, hit: Hit) -> str:
        """The ``ignore`` term whose occurrence set ``hit`` aside (one always overlaps it)."""
        return next(
            cover.term
            for cover in self.ignore_hits
            if cover.field == hit.field and cover.start < hit.end and hit.start < cover.end
        )


def _first_hits(hits: Sequence[Hit]) -> list[Hit]:
    """The first hit of each term in each field."""
    firsts: dict[tuple[str, str], Hit] = {}
    for hit in hits:
        firsts.setdefault((hit.term, hit.field), hit)
    return list(firsts.values())


def _quoted(text: str) -> str:
    return f"'{text}'"


def _listed(terms: Sequence[str], quote: Callable[[str], str] = repr) -> str:
    shown = ", ".join(quote(term) for term in terms[:_TERMS_LISTED])
    more = len(terms) - _TERMS_LISTED
    return f"{shown} and {more} more" if more > 0 else shown
