"""Topics compiled into probes of numbered patterns, and judged on the patterns found in an item's fields.

A topic is judged only from the patterns found: which of its lists (any, all, not, ignore, place) were met where,
what ``ignore`` set aside, and NEAR pairs counted in words. Offsets are those of ``normalise`` until a match is made;
its hits are then led back to the original text.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import NamedTuple

from monitor.match.explain import TopicReport
from monitor.match.normalise import WORD, Normalised
from monitor.match.patterns import PatternTable, Span
from monitor.match.rules import TopicRules
from monitor.match.settings import FIELDS
from monitor.match.snippets import excerpt, snippet_for
from monitor.match.terms import Near, Regex, Term
from monitor.match.types import Hit, Match, Snippet

HITS_KEPT = 100  # a match records the first hits of each term in each field, so that a huge text stays cheap
_LISTS = ("any", "all", "not", "ignore", "place")
_CONTEXT_LENGTH = 90
_FIELD_ORDER = {field: index for index, field in enumerate(FIELDS)}


@dataclass(frozen=True, eq=False)
class Probe:
    """How to find one term of a topic: a pattern, or for NEAR two patterns and a distance in words."""

    list_name: str
    term: Term
    pattern: int
    near: tuple[int, int] | None = None  # (pattern of the right side, distance)

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

    def may_match(self, scans: Mapping[str, FieldScan]) -> bool:
        """False when a pattern the topic needs is missing: no need to judge it then."""
        present = set().union(*(scans[field].found for field in self.rules.fields))
        if self.place_patterns and self.place_patterns.isdisjoint(present):
            return False
        return all(needed <= present for needed in self.all_patterns)


class FieldScan(NamedTuple):  # a NamedTuple rather than a dataclass: made for every field of every item
    """One field of an item, normalised and searched: ``found`` maps pattern ids to their spans in ``normalised``."""

    name: str
    normalised: Normalised
    found: dict[int, list[Span]]


class Verdict(NamedTuple):
    """A topic judged on one item, in normalised offsets: what counted, by list, and what ``ignore`` set aside."""

    topic: CompiledTopic
    counted: dict[str, list[tuple[Probe, str, Span]]]  # by list name: "any", "all", "not", "ignore", "place"
    ignored: list[tuple[Probe, str, Span]]

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
            and (not rules.place_names or bool(self.counted["place"]))
            and not self.missing_all()
        )


def compile_topic(rules: TopicRules, patterns: PatternTable) -> CompiledTopic:
    lists = {"any": rules.any, "all": rules.all, "not": rules.not_, "ignore": rules.ignore, "place": rules.places}
    probes = {
        name: tuple(_probe(name, term, patterns, stem=rules.stem and name != "place") for term in terms)
        for name, terms in lists.items()
    }
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


def _probe(list_name: str, term: Term, patterns: PatternTable, *, stem: bool) -> Probe:
    body = term.body
    if isinstance(body, Regex):
        return Probe(list_name, term, patterns.of_regex(body))
    if isinstance(body, Near):
        left, right = patterns.of_phrase(body.left, stem), patterns.of_phrase(body.right, stem)
        return Probe(list_name, term, left, (right, body.distance))
    return Probe(list_name, term, patterns.of_phrase(body, stem))


def judge(topic: CompiledTopic, scans: Mapping[str, FieldScan]) -> Verdict:
    counted: dict[str, list[tuple[Probe, str, Span]]] = {name: [] for name in _LISTS}
    ignored: list[tuple[Probe, str, Span]] = []
    for field in topic.rules.fields:
        scan = scans[field]
        present = [pattern_id for pattern_id in scan.found if pattern_id in topic.by_pattern]
        if not present:
            continue
        blocked = _NOTHING_BLOCKED
        if not topic.ignore_patterns.isdisjoint(scan.found):
            ignores = [(probe, _spans(probe, scan, blocked)[0]) for probe in topic.probes["ignore"]]
            counted["ignore"] += [(probe, field, span) for probe, spans in ignores for span in spans[:HITS_KEPT]]
            blocked = _Blocked(span for _, spans in ignores for span in spans)
        near_done: set[Probe] = set()  # a NEAR probe is listed under both its patterns
        for pattern_id in present:
            for probe in topic.by_pattern[pattern_id]:
                if probe.near is not None:
                    if probe in near_done:
                        continue
                    near_done.add(probe)
                kept, dropped = _spans(probe, scan, blocked)
                counted[probe.list_name] += [(probe, field, span) for span in kept[:HITS_KEPT]]
                ignored += [(probe, field, span) for span in dropped[:HITS_KEPT]]
    return Verdict(topic, counted, ignored)


def _spans(probe: Probe, scan: FieldScan, blocked: _Blocked) -> tuple[Sequence[Span], list[Span]]:
    """(occurrences of ``probe``'s term in ``scan`` that count, those set aside by ``blocked``)."""
    left, left_dropped = blocked.split(scan.found.get(probe.pattern, ()))
    if probe.near is None:
        return left, left_dropped
    right_pattern, distance = probe.near
    right, right_dropped = blocked.split(scan.found.get(right_pattern, ()))
    paired = _near(left, right, distance, scan.normalised.text) if left and right else []
    return paired, left_dropped + right_dropped


class _Blocked:
    """The stretches of a field covered by a topic's ``ignore`` terms: occurrences overlapping them do not count."""

    def __init__(self, spans: Iterable[Span]) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in sorted(spans):
            if self._ends and start < self._ends[-1]:
                self._ends[-1] = max(self._ends[-1], end)
            else:
                self._starts.append(start)
                self._ends.append(end)

    def split(self, spans: Sequence[Span]) -> tuple[Sequence[Span], list[Span]]:
        """(the spans that count, the spans set aside)."""
        if not self._starts:
            return spans, []
        kept: list[Span] = []
        dropped: list[Span] = []
        for span in spans:
            k = bisect_left(self._starts, span[1]) - 1  # the last blocked stretch starting before the span ends
            (dropped if k >= 0 and self._ends[k] > span[0] else kept).append(span)
        return kept, dropped


_NOTHING_BLOCKED = _Blocked(())


def _near(left: Sequence[Span], right: Sequence[Span], distance: int, text: str) -> list[Span]:
    """The occurrences of either side with an occurrence of the other side at most ``distance`` words away.

    Nearness is mutual, so it is enough to look around each occurrence of the rarer side, ``distance`` words either
    way, and take the other side's occurrences found there: the work grows with the rarer side only. The
    occurrences of one pattern come in the order of their starts, which is also the order of their ends.
    """
    fewer, more = sorted((left, right), key=len)
    starts, ends = [start for start, _ in more], [end for _, end in more]
    backwards = text[::-1]  # to count words leftwards with a forward search
    paired = set()
    for start, end in fewer:
        reach = _word_start(text, end, distance)  # a partner after may start as late as the distance-th word
        after = more[bisect_left(starts, end) : bisect_right(starts, reach)]
        reach = len(text) - _word_start(backwards, len(text) - start, distance)  # ... or end where that word ends
        before = more[bisect_left(ends, reach) : bisect_right(ends, start)]
        if after or before:
            paired.add((start, end))
            paired.update(after, before)
    return sorted(paired)


def _word_start(text: str, position: int, count: int) -> int:
    """Where the ``count``-th word from ``position`` on starts; the end of ``text`` when there are fewer words."""
    for found in islice(WORD.finditer(text, position), count - 1, None):
        return found.start()
    return len(text)


def _hits(found: Iterable[tuple[Probe, str, Span]], scans: Mapping[str, FieldScan]) -> tuple[Hit, ...]:
    """Hits in the original text, in field order then position; a term in both ``any`` and ``all`` counts once."""
    places = {
        (_FIELD_ORDER[field], *scans[field].normalised.original_span(*span), probe.term.written)
        for probe, field, span in found
    }
    return tuple(Hit(term, FIELDS[field], start, end) for field, start, end, term in sorted(places))


def as_match(verdict: Verdict, scans: Mapping[str, FieldScan]) -> Match:
    deciding = verdict.of("any", "all")
    fired = {probe for probe, _, _ in deciding}
    probes = verdict.topic.probes
    terms = tuple(dict.fromkeys(probe.term.written for probe in (*probes["any"], *probes["all"]) if probe in fired))
    hits = _hits(deciding, scans)
    rules = verdict.topic.rules
    snippet = snippet_for(hits, {name: scan.normalised.original for name, scan in scans.items()})
    return Match(topic_id=rules.id, terms=terms, hits=hits, snippet=snippet, urgent=rules.urgent)


def _context(hit: Hit, text: str) -> Snippet:
    return excerpt(text, (hit.start, hit.end), [(hit.start, hit.end)], _CONTEXT_LENGTH)


def report(verdict: Verdict, scans: Mapping[str, FieldScan]) -> TopicReport:
    rules = verdict.topic.rules
    hits = _hits(verdict.of("any", "all"), scans)
    vetoed_by = _hits(verdict.of("not"), scans)
    ignored = _hits(verdict.ignored, scans)
    ignore_hits = _hits(verdict.of("ignore"), scans)
    place_hits = _hits(verdict.of("place"), scans)
    texts = {name: scan.normalised.original for name, scan in scans.items()}
    shown = dict.fromkeys((*hits, *vetoed_by, *ignored, *place_hits))  # at most HITS_KEPT a term and field each
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
        place_missing=bool(rules.place_names) and not place_hits,
        snippet=snippet_for(hits, texts) if hits else None,
        contexts=contexts,
    )
