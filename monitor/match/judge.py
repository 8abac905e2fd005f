"""Topics compiled into probes of numbered patterns, and judged on the patterns found in an item's fields.

A topic is judged only from the patterns found: which of its lists (any, all, not, ignore, place) were met where,
what ``ignore`` set aside, which place names lay inside a `not` name of their place list, and NEAR pairs counted in
words. Offsets are those of ``normalise`` until a match is made; its hits are then led back to the original text.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import accumulate
from typing import NamedTuple

from monitor.match.explain import TopicReport
from monitor.match.near import near_occurrences, near_partners
from monitor.match.patterns import PatternTable, Span
from monitor.match.places import Gazetteer
from monitor.match.rules import TopicRules
from monitor.match.scan import FieldScan
from monitor.match.settings import FIELDS
from monitor.match.snippets import excerpt, snippet_for
from monitor.match.terms import Near, Term
from monitor.match.types import Hit, Match, Snippet

HITS_KEPT = 100  # a match records the first hits of each term in each field, so that a huge text stays cheap
_LISTS = ("any", "all", "not", "ignore", "place")
_CONTEXT_LENGTH = 90
_COVER_LENGTH = 60  # an explanation quotes at most this much of the `not` name a place name was found in
_FIELD_ORDER = {field: index for index, field in enumerate(FIELDS)}


@dataclass(frozen=True, eq=False)
class Probe:
    """How to find one term of a topic: a pattern, or for NEAR two patterns and a distance in words."""

    list_name: str
    term: Term
    pattern: int
    near: tuple[int, int] | None = None  # (pattern of the right side, distance)
    # A place name: for each place list of the gate holding it, that list's `not` names. An occurrence inside an
    # occurrence of one of them, for every such list, does not count. Empty when it always counts.
    unless: tuple[tuple[Probe, ...], ...] = ()

    @property
    def patterns(self) -> tuple[int, ...]:
        return (self.pattern,) if self.near is None else (self.pattern, self.near[0])


@dataclass(frozen=True)
class CompiledTopic:
    """A topic compiled: its terms as probes, and the patterns that decide whether it is worth judging."""

    rules: TopicRules
    probes: dict[str, tuple[Probe, ...]]  # by list name, in YAML order
    by_pattern: dict[int, tuple[Probe, ...]]  # the probes using each pattern, but those of ``ignore``
    ignore_patterns: frozenset[int]
    triggers: frozenset[int]  # patterns of which at least one must be found for the topic to match
    place_patterns: frozenset[int]  # ... of which one must be found when there is a place gate
    all_patterns: tuple[frozenset[int], ...]  # per `all` term, the patterns that must all be found

    def may_match(self, present: AbstractSet[int], places: Collection[str]) -> bool:
        """False when a pattern the topic needs is missing from ``present`` (the patterns found in the topic's fields):
        no need to judge it then. ``places``: the place lists the item's source stands for."""
        if self.place_patterns and self.place_patterns.isdisjoint(present) and not self.stood_for(places):
            return False
        return all(needed <= present for needed in self.all_patterns)

    def stood_for(self, places: Collection[str]) -> tuple[str, ...]:
        """The place lists of the gate that a source standing for ``places`` stands for."""
        return tuple(name for name in self.rules.place_names if name in places) if places else ()


class Verdict(NamedTuple):
    """A topic judged on one item, in normalised offsets: what counted, by list, what ``ignore`` set aside, and the
    place names that lay inside a `not` name of their place list."""

    topic: CompiledTopic
    counted: dict[str, list[tuple[Probe, str, Span]]]  # by list name: "any", "all", "not", "ignore", "place"
    ignored: list[tuple[Probe, str, Span]]
    set_aside: list[tuple[Probe, str, Span]]  # place names inside a `not` name
    by_source: tuple[str, ...]  # the place lists of the gate that the item's source stands for

    def of(self, *list_names: str) -> list[tuple[Probe, str, Span]]:
        return [found for name in list_names for found in self.counted[name]]

    def missing_all(self) -> list[Term]:
        present = {probe for probe, _, _ in self.counted["all"]}
        return [probe.term for probe in self.topic.probes["all"] if probe not in present]

    @property
    def matched(self) -> bool:
        rules = self.topic.rules
        return (
            (not rules.any or bool(self.counted["any"]))
            and not self.counted["not"]
            and (not rules.place_names or bool(self.counted["place"]) or bool(self.by_source))
            and not self.missing_all()
        )


def compile_topic(rules: TopicRules, patterns: PatternTable) -> CompiledTopic:
    lists = {"any": rules.any, "all": rules.all, "not": rules.not_, "ignore": rules.ignore}
    probes = {
        name: tuple(_probe(name, term, patterns, stem=rules.stem) for term in terms) for name, terms in lists.items()
    }
    probes["place"] = _place_probes(rules.place_lists, patterns)
    by_pattern: defaultdict[int, list[Probe]] = defaultdict(list)
    for name in ("any", "all", "not", "place"):
        for probe in probes[name]:
            for pattern_id in dict.fromkeys(probe.patterns):
                by_pattern[pattern_id].append(probe)
    ignore_patterns = frozenset(pattern_id for probe in probes["ignore"] for pattern_id in probe.patterns)
    deciding = probes["any"] or probes["all"]
    return CompiledTopic(
        rules=rules,
        probes=probes,
        by_pattern={key: tuple(value) for key, value in by_pattern.items()},
        ignore_patterns=ignore_patterns,
        triggers=frozenset(pattern_id for probe in deciding for pattern_id in probe.patterns),
        place_patterns=frozenset(pattern_id for probe in probes["place"] for pattern_id in probe.patterns),
        all_patterns=tuple(frozenset(probe.patterns) for probe in probes["all"]),
    )


def _probe(
    list_name: str, term: Term, patterns: PatternTable, *, stem: bool, unless: tuple[tuple[Probe, ...], ...] = ()
) -> Probe:
    pattern, *right = patterns.of_term(term, stem)
    near = (right[0], term.body.distance) if isinstance(term.body, Near) else None
    return Probe(list_name, term, pattern, near, unless)


def _place_probes(gazetteers: Sequence[Gazetteer], patterns: PatternTable) -> tuple[Probe, ...]:
    """One probe per place name of the gate's lists, however many of them hold it. Place names are never stemmed."""
    not_names = {
        gazetteer.name: tuple(_probe("place-not", term, patterns, stem=False) for term in gazetteer.not_names)
        for gazetteer in gazetteers
    }
    holders: dict[str, tuple[Term, list[tuple[Probe, ...]]]] = {}
    for gazetteer in gazetteers:
        for term in gazetteer.names:
            holders.setdefault(term.written, (term, []))[1].append(not_names[gazetteer.name])
    return tuple(
        _probe("place", term, patterns, stem=False, unless=tuple(unless) if all(unless) else ())
        for term, unless in holders.values()
    )


def judge(topic: CompiledTopic, scans: Mapping[str, FieldScan], places: Collection[str] = ()) -> Verdict:
    """``places``: the place lists the item's source stands for."""
    counted: dict[str, list[tuple[Probe, str, Span]]] = {name: [] for name in _LISTS}
    ignored: list[tuple[Probe, str, Span]] = []
    set_aside: list[tuple[Probe, str, Span]] = []
    for field in topic.rules.fields:
        scan = scans[field]
        present = [pattern_id for pattern_id in scan.found if pattern_id in topic.by_pattern]
        if not present:
            continue
        blocked = _NOTHING_BLOCKED
        if not topic.ignore_patterns.isdisjoint(scan.found):
            ignores = [(probe, _spans(probe, scan, blocked)[0]) for probe in topic.probes["ignore"]]
            counted["ignore"] += [(probe, field, span) for probe, spans in ignores for span in spans[:HITS_KEPT]]
            blocked = _Stretches(span for _, spans in ignores for span in spans)
        near_done: set[Probe] = set()  # a NEAR probe is listed under both its patterns
        not_names: dict[tuple[Probe, ...], _Stretches] = {}  # where each place list's `not` names are in the field
        for pattern_id in present:
            for probe in topic.by_pattern[pattern_id]:
                if probe.near is not None:
                    if probe in near_done:
                        continue
                    near_done.add(probe)
                kept, dropped = _spans(probe, scan, blocked)
                if probe.unless and kept:
                    kept, inside = _outside_not_names(probe, scan, kept, not_names)
                    set_aside += [(probe, field, span) for span in inside[:HITS_KEPT]]
                if kept:
                    counted[probe.list_name] += [(probe, field, span) for span in kept[:HITS_KEPT]]
                if dropped:
                    ignored += [(probe, field, span) for span in dropped[:HITS_KEPT]]
    return Verdict(topic, counted, ignored, set_aside, topic.stood_for(places))


def _spans(probe: Probe, scan: FieldScan, blocked: _Stretches) -> tuple[Sequence[Span], list[Span]]:
    """(occurrences of ``probe``'s term in ``scan`` that count, those set aside by ``blocked``)."""
    left, left_dropped = blocked.split(scan.found.get(probe.pattern, ()))
    if probe.near is None:
        return left, left_dropped
    right_pattern, distance = probe.near
    right, right_dropped = blocked.split(scan.found.get(right_pattern, ()))
    paired = near_occurrences(left, right, distance, scan.normalised.text) if left and right else []
    return paired, left_dropped + right_dropped


class _Stretches:
    """Stretches of a field (where a topic's ``ignore`` terms, or a place list's `not` names, occur), to ask whether
    a span overlaps one or lies inside one."""

    def __init__(self, spans: Iterable[Span]) -> None:
        ordered = sorted(spans)
        self._starts = [start for start, _ in ordered]
        self._reach = list(accumulate((end for _, end in ordered), max))  # the furthest end of the first k + 1

    def overlaps(self, span: Span) -> bool:
        k = bisect_left(self._starts, span[1]) - 1  # the last stretch starting before the span ends
        return k >= 0 and self._reach[k] > span[0]

    def contains(self, span: Span) -> bool:
        k = bisect_right(self._starts, span[0]) - 1  # the last stretch starting where the span starts or before
        return k >= 0 and self._reach[k] >= span[1]

    def split(self, spans: Sequence[Span]) -> tuple[Sequence[Span], list[Span]]:
        """(the spans that overlap none of the stretches, the others)."""
        if not self._starts:
            return spans, []
        kept: list[Span] = []
        dropped: list[Span] = []
        for span in spans:
            (dropped if self.overlaps(span) else kept).append(span)
        return kept, dropped


_NOTHING_BLOCKED = _Stretches(())


def _outside_not_names(
    probe: Probe, scan: FieldScan, spans: Sequence[Span], found: dict[tuple[Probe, ...], _Stretches]
) -> tuple[list[Span], list[Span]]:
    """(the occurrences of a place name that count, those inside a `not` name of every list holding it). ``found``
    keeps where each list's `not` names occur in this field, worked out once."""
    covers = []
    for not_names in probe.unless:
        if not_names not in found:
            found[not_names] = _Stretches(stretch for name in not_names for stretch in _stretches(name, scan))
        covers.append(found[not_names])
    kept: list[Span] = []
    inside: list[Span] = []
    for span in spans:
        (inside if all(cover.contains(span) for cover in covers) else kept).append(span)
    return kept, inside


def _stretches(probe: Probe, scan: FieldScan) -> list[Span]:
    """The occurrences of ``probe``'s term in ``scan``; a NEAR pair's reaches from one side to the other."""
    left = scan.found.get(probe.pattern, [])
    if probe.near is None:
        return left
    right_pattern, distance = probe.near
    right = scan.found.get(right_pattern, [])
    stretches = []
    for (start, end), before, after in near_partners(left, right, distance, scan.normalised.text):
        if before:  # every pair lies inside the one with the partner furthest before or the one furthest after
            stretches.append((before[0][0], end))
        if after:
            stretches.append((start, after[-1][1]))
    return stretches


def _hits(found: Iterable[tuple[Probe, str, Span]], scans: Mapping[str, FieldScan]) -> tuple[Hit, ...]:
    """Hits in the original text, in field order then position; a term in both ``any`` and ``all`` counts once."""
    places = set()
    for probe, field, (start, end) in found:
        normalised = scans[field].normalised
        if normalised.maps:  # else the offsets are those of the original already
            start, end = normalised.original_span(start, end)
        places.add((_FIELD_ORDER[field], start, end, probe.term.written))
    return tuple([Hit(term, FIELDS[field], start, end) for field, start, end, term in sorted(places)])


def as_match(verdict: Verdict, scans: Mapping[str, FieldScan]) -> Match:
    deciding = verdict.counted["any"] + verdict.counted["all"]
    fired = {probe for probe, _, _ in deciding}
    probes = verdict.topic.probes
    terms = tuple(dict.fromkeys(probe.term.written for probe in (*probes["any"], *probes["all"]) if probe in fired))
    hits = _hits(deciding, scans)
    rules = verdict.topic.rules
    snippet = snippet_for(hits, {name: scan.normalised.original for name, scan in scans.items()})
    return Match(topic_id=rules.id, terms=terms, hits=hits, snippet=snippet, urgent=rules.urgent)


def _context(hit: Hit, text: str) -> Snippet:
    return excerpt(text, (hit.start, hit.end), [(hit.start, hit.end)], _CONTEXT_LENGTH)


def _covers(verdict: Verdict, scans: Mapping[str, FieldScan]) -> tuple[tuple[Hit, str], ...]:
    """Each place name that did not count, with the text of a `not` name it lies inside."""
    covers = {}
    for probe, field, span in verdict.set_aside:
        (hit,) = _hits([(probe, field, span)], scans)
        covers[hit] = _cover_text(probe, scans[field], span)
    return tuple((hit, covers[hit]) for hit in _hits(verdict.set_aside, scans))


def _cover_text(probe: Probe, scan: FieldScan, span: Span) -> str:
    start, end = max(  # the longest: "Southend Magistrates' Court" rather than "Southend Magistrates*"
        (
            stretch
            for not_names in probe.unless
            for name in not_names
            for stretch in _stretches(name, scan)
            if stretch[0] <= span[0] and span[1] <= stretch[1]
        ),
        key=lambda stretch: stretch[1] - stretch[0],
    )
    original_start, original_end = scan.normalised.original_span(start, end)
    text = " ".join(scan.normalised.original[original_start:original_end].split())
    return text if len(text) <= _COVER_LENGTH else text[: _COVER_LENGTH - 1] + "…"


def report(verdict: Verdict, scans: Mapping[str, FieldScan], source: str = "") -> TopicReport:
    """``source``: the id of the source the item is tested as coming from, if any."""
    rules = verdict.topic.rules
    hits = _hits(verdict.of("any", "all"), scans)
    vetoed_by = _hits(verdict.of("not"), scans)
    ignored = _hits(verdict.ignored, scans)
    ignore_hits = _hits(verdict.of("ignore"), scans)
    place_hits = _hits(verdict.of("place"), scans)
    set_aside = _covers(verdict, scans)
    texts = {name: scan.normalised.original for name, scan in scans.items()}
    # at most HITS_KEPT a term and field each
    shown = dict.fromkeys((*hits, *vetoed_by, *ignored, *place_hits, *(hit for hit, _ in set_aside)))
    contexts = tuple((hit, _context(hit, texts[hit.field])) for hit in shown)
    return TopicReport(
        topic_id=rules.id,
        topic_name=rules.name,
        matched=verdict.matched,
        fields=rules.fields,
        any_terms=tuple(term.written for term in rules.any),
        all_terms=tuple(term.written for term in rules.all),
        hits=hits,
        missing_all=tuple(term.written for term in verdict.missing_all()),
        vetoed_by=vetoed_by,
        ignored=ignored,
        ignore_hits=ignore_hits,
        place_names=rules.place_names,
        place_hits=place_hits,
        place_set_aside=set_aside,
        place_by_source=verdict.by_source,
        source=source,
        place_missing=bool(rules.place_names) and not place_hits and not verdict.by_source,
        snippet=snippet_for(hits, texts) if hits else None,
        contexts=contexts,
    )
