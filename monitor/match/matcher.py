"""The compiled rules: one pass over an item's fields finds the terms of every topic at once, then topics are judged.

How the fields are searched:

- Every plain word, phrase and wildcard of every topic is known to ONE Aho-Corasick automaton (pyahocorasick), by
  the first word of the term; one pass over the item's three fields reports every place where such a word starts a
  word of the text, overlapping terms included. There the whole term is confirmed when it has more than that word,
  and a wildcard runs on to the end of its word. See ``_find_keys`` for how the automaton is kept fast.
- Terms of ``stem: true`` topics are stemmed and searched with a second automaton in a stemmed view of the fields.
- Regular expressions (rare) are searched one by one, with RE2, so that no pattern can take more than linear time.

Each distinct thing to look for is a numbered *pattern*, shared by every topic that uses it. A topic is judged only
when one of the patterns that can make it match was found, and then only from the patterns found. Offsets are those
of ``normalise`` until a match is made; its hits are then led back to the original text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, islice
from typing import NamedTuple

import ahocorasick

from monitor.match.explain import TopicReport
from monitor.match.normalise import WORD, WORD_CHAR, Normalised, collapse_spaces, normalise
from monitor.match.rules import TopicRules, parse_rules
from monitor.match.settings import FIELDS, KeywordsFile
from monitor.match.snippets import excerpt, snippet_for
from monitor.match.stemming import stemmed_view
from monitor.match.terms import Near, Phrase, Regex, Term
from monitor.match.types import Hit, Match, Snippet
from monitor.match.view import word_view

Span = tuple[int, int]

_WORD_TAIL = re.compile(WORD_CHAR + "*")
_NEXT_WORD = re.compile(" *([^ ]*)")  # in the word view
_LISTS = ("any", "all", "not", "ignore", "place")
_EXACT, _PREFIX = 0, 1  # the two pattern slots of an automaton key: the key itself, and words starting with it
_CONTEXT_LENGTH = 90
HITS_KEPT = 100  # a match records the first hits of each term in each field, so that a huge text stays cheap
_FIELD_ORDER = {field: index for index, field in enumerate(FIELDS)}


@dataclass(frozen=True, eq=False)
class _Probe:
    """How to find one term of a topic: a pattern, or for NEAR two patterns and a distance in words."""

    list_name: str
    term: Term
    pattern: int
    near: tuple[int, int] | None = None  # (pattern of the right side, distance)

    @property
    def patterns(self) -> tuple[int, ...]:
        return (self.pattern,) if self.near is None else (self.pattern, self.near[0])


@dataclass(frozen=True)
class _Topic:
    """A topic compiled: its terms as probes, and the patterns that decide whether it is worth judging."""

    rules: TopicRules
    probes: dict[str, tuple[_Probe, ...]]  # by list name, in YAML order
    by_pattern: dict[int, tuple[_Probe, ...]]  # the probes using each pattern, but those of ``ignore``
    ignore_patterns: frozenset[int]
    triggers: frozenset[int]  # patterns of which at least one must be found for the topic to match
    place_patterns: frozenset[int]  # ... of which one must be found when there is a place gate
    all_patterns: tuple[frozenset[int], ...]  # per `all` term, the patterns that must all be found

    def may_match(self, scans: Mapping[str, _Field]) -> bool:
        """False when a pattern the topic needs is missing: no need to judge it then."""
        present = set().union(*(scans[field].found for field in self.rules.fields))
        if self.place_patterns and self.place_patterns.isdisjoint(present):
            return False
        return all(needed <= present for needed in self.all_patterns)


class _Field(NamedTuple):  # a NamedTuple rather than a dataclass: made for every field of every item
    """One field of an item, normalised and searched: ``found`` maps pattern ids to their spans in ``normalised``."""

    name: str
    normalised: Normalised
    found: dict[int, list[Span]]


class _Verdict(NamedTuple):
    """A topic judged on one item, in normalised offsets: what counted, by list, and what ``ignore`` set aside."""

    topic: _Topic
    counted: dict[str, list[tuple[_Probe, str, Span]]]  # by list name: "any", "all", "not", "ignore", "place"
    ignored: list[tuple[_Probe, str, Span]]

    def of(self, *list_names: str) -> list[tuple[_Probe, str, Span]]:
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


class _Patterns:
    """The distinct things to look for, numbered; the same phrase in many topics is looked for once."""

    def __init__(self) -> None:
        self.plain: dict[str, list[int]] = {}  # normalised key -> [exact pattern id, prefix pattern id], -1 if unused
        self.stemmed: dict[str, list[int]] = {}  # the same for stemmed keys
        self.regexes: dict[str, tuple[int, Regex]] = {}  # source as written -> (pattern id, the compiled pattern)
        self.count = 0

    def of_phrase(self, phrase: Phrase, stem: bool) -> int:
        if phrase.prefix:
            return self._keyed(self.plain, phrase.key, _PREFIX)
        if stem:
            return self._keyed(self.stemmed, stemmed_view(phrase.key)[0], _EXACT)
        return self._keyed(self.plain, phrase.key, _EXACT)

    def of_regex(self, regex: Regex) -> int:
        if regex.pattern.pattern not in self.regexes:
            self.regexes[regex.pattern.pattern] = (self._new(), regex)
        return self.regexes[regex.pattern.pattern][0]

    def _keyed(self, table: dict[str, list[int]], key: str, slot: int) -> int:
        ids = table.setdefault(key, [-1, -1])
        if ids[slot] < 0:
            ids[slot] = self._new()
        return ids[slot]

    def _new(self) -> int:
        self.count += 1
        return self.count - 1


def _automaton(keys: dict[str, list[int]]) -> ahocorasick.Automaton | None:
    """One automaton over the word view (see ``_find_keys``) finding every key in ``keys``."""
    if not keys:
        return None
    by_view_key: defaultdict[str, list[tuple[_Entry, list[str]]]] = defaultdict(list)
    for key, slots in keys.items():
        first_word, _, rest = key.partition(" ")
        for slot, pattern_id in enumerate(slots):
            if pattern_id < 0:
                continue
            prefix = slot == _PREFIX
            lead = int(key[0].isalnum())  # a key starting with a letter or digit must start a word
            trail = first_word[-1].isalnum() and (bool(rest) or not prefix)  # ... and the word must end
            view_key = " " * lead + word_view(first_word) + " " * trail
            entry = _Entry(lead, pattern_id, prefix, _confirmation(key, prefix), len(key))
            by_view_key[view_key].append((entry, word_view(rest).split()))
    automaton = ahocorasick.Automaton()
    for view_key, entries in by_view_key.items():
        automaton.add_word(view_key, _keys(len(view_key), entries))
    automaton.make_automaton()
    return automaton


class _Entry(NamedTuple):
    """A key as the automaton knows it, under the view of its first word."""

    lead: int  # 1 when the view key has a space before the key
    pattern_id: int
    prefix: bool
    confirmation: re.Pattern[str] | None  # None when finding the view key says it all
    size: int  # of the key


class _Keys(NamedTuple):
    """What the automaton holds for one view key: the keys starting with that word, by the word that comes next."""

    length: int  # of the view key
    alone: tuple[_Entry, ...]  # keys of one word (or with nothing more the view can show)
    by_next: dict[str, tuple[_Entry, ...]]  # by the view of their second word
    by_next_start: tuple[tuple[str, _Entry], ...]  # wildcards of two words: the second word starts so


def _keys(length: int, entries: list[tuple[_Entry, list[str]]]) -> _Keys:
    alone, by_next, by_next_start = [], defaultdict(list), []
    for entry, following in entries:
        if not following:
            alone.append(entry)
        elif entry.prefix and len(following) == 1:
            by_next_start.append((following[0], entry))
        else:
            by_next[following[0]].append(entry)
    return _Keys(length, tuple(alone), {word: tuple(group) for word, group in by_next.items()}, tuple(by_next_start))


def _confirmation(key: str, prefix: bool) -> re.Pattern[str] | None:
    """What confirms ``key`` where the view of its first word was found; None when the view has said it all."""
    if key.isascii() and key.isalnum():
        return None
    source = " +".join(map(re.escape, key.split(" ")))  # a space of the key matches a run of spaces
    if prefix:
        source += WORD_CHAR + "*"
    elif key[-1].isalnum():
        source += f"(?!{WORD_CHAR})"
    return re.compile(source)


def _find_keys(automaton: ahocorasick.Automaton, texts: Sequence[str]) -> list[defaultdict[int, list[Span]]]:
    """Every occurrence of every key on word boundaries in each of ``texts``; where matching spends its time.

    The automaton reads all texts in one pass, joined by ``\\x00`` (which no normalised text contains, so no key
    reaches from one text into the next), in their *word view* (``view.word_view``). It knows each key by the view
    of the key's first word, with a space put before it when the key starts with a letter or digit, and after it
    when that word must end there. So keys are found only where words start, and since nearly every automaton key
    begins with a space, the automaton's root has one way out instead of dozens, which makes pyahocorasick about
    three times faster. Phrases that start with the word found are narrowed down by the next word of the view;
    where the view cannot tell (punctuation, letters beyond ASCII, more words), a regular expression confirms the
    key in the real text at the place found.
    """
    joined = "\x00" + "\x00".join(texts) + "\x00"  # \x00 at either end, too: a space in the view
    view = word_view(joined)
    starts = list(accumulate((len(text) + 1 for text in texts[:-1]), initial=1))
    found: list[defaultdict[int, list[Span]]] = [defaultdict(list) for _ in texts]
    for last, (length, entries, by_next, by_next_start) in automaton.iter(view):
        if by_next or by_next_start:  # the view key ended with a space: the next word follows the run of spaces
            following = _NEXT_WORD.match(view, last + 1).group(1)
            entries = (
                *entries,
                *by_next.get(following, ()),
                *(entry for start, entry in by_next_start if following.startswith(start)),
            )
        first = last - length + 1  # where the view key starts; the key starts there or after its leading space
        for lead, pattern_id, prefix, confirmation, size in entries:
            start = first + lead
            if confirmation is None:
                end = _WORD_TAIL.match(joined, start + size).end() if prefix else start + size
            elif not (confirmed := confirmation.match(joined, start)):
                continue
            else:
                end = confirmed.end()
            text = bisect_right(starts, start) - 1
            found[text][pattern_id].append((start - starts[text], end - starts[text]))
    return found


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
        kept, dropped = [], []
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


class Matcher:
    """Every topic of keywords.yaml, compiled once; ``match`` and ``explain`` are safe to call from many threads."""

    def __init__(self, topics: Sequence[TopicRules]) -> None:
        patterns = _Patterns()
        self._topics = tuple(_compile_topic(rules, patterns) for rules in topics)
        self._plain = _automaton(patterns.plain)
        self._stemmed = _automaton(patterns.stemmed)
        self._regexes = tuple((pattern_id, regex.pattern) for pattern_id, regex in patterns.regexes.values())
        self._fields = tuple(field for field in FIELDS if any(field in rules.fields for rules in topics))
        self._stem_fields = frozenset(field for rules in topics if rules.stem for field in rules.fields)
        triggered: defaultdict[int, set[int]] = defaultdict(set)
        for index, topic in enumerate(self._topics):
            for pattern_id in topic.triggers:
                triggered[pattern_id].add(index)
        self._triggered = dict(triggered)

    @classmethod
    def compile(cls, keywords: KeywordsFile) -> Matcher:
        """Raises ``ConfigProblem`` (or an ``ExceptionGroup`` of them) located in keywords.yaml for wrong rules."""
        return cls(parse_rules(keywords))

    @property
    def topics(self) -> tuple[TopicRules, ...]:
        return tuple(topic.rules for topic in self._topics)

    def match(self, fields: Mapping[str, str]) -> list[Match]:
        """One ``Match`` per topic that matches ``fields`` ("title", "summary", "body"; missing ones are empty)."""
        scans = self._scan(fields)
        found = set().union(*(scan.found for scan in scans.values()))
        triggered = set().union(*(self._triggered.get(pattern_id, ()) for pattern_id in found))
        candidates = (self._topics[index] for index in sorted(triggered))  # in YAML order
        verdicts = (_judge(topic, scans) for topic in candidates if topic.may_match(scans))
        return [_as_match(verdict, scans) for verdict in verdicts if verdict.matched]

    def explain(self, fields: Mapping[str, str], topic: str | None = None) -> list[TopicReport]:
        """Why each topic (or only ``topic``) matches ``fields`` or not, for people checking their rules."""
        topics = self._topics if topic is None else [self._topic(topic)]
        scans = self._scan(fields)
        return [_report(_judge(each, scans), scans) for each in topics]

    def _topic(self, topic_id: str) -> _Topic:
        for topic in self._topics:
            if topic.rules.id == topic_id:
                return topic
        known = ", ".join(topic.rules.id for topic in self._topics)
        raise ValueError(f"there is no topic {topic_id!r} in keywords.yaml; the topics are: {known}")

    def _scan(self, fields: Mapping[str, str]) -> dict[str, _Field]:
        """Each field normalised and searched."""
        normalised = [normalise(fields.get(name) or "") for name in self._fields]
        texts = [each.text for each in normalised]
        if self._plain is None:
            found: list[defaultdict[int, list[Span]]] = [defaultdict(list) for _ in texts]
        else:
            found = _find_keys(self._plain, texts)
        for name, text, in_field in zip(self._fields, texts, found):
            if self._stemmed is not None and name in self._stem_fields:
                self._find_stemmed(text, in_field)
            if self._regexes:
                self._find_regexes(text, in_field)
        return {name: _Field(name, *scanned) for name, *scanned in zip(self._fields, normalised, found)}

    def _find_stemmed(self, text: str, found: defaultdict[int, list[Span]]) -> None:
        stemmed, back = stemmed_view(text)
        for pattern_id, spans in _find_keys(self._stemmed, [stemmed])[0].items():
            found[pattern_id] = [(back.start(start), back.end(end)) for start, end in spans]

    def _find_regexes(self, text: str, found: defaultdict[int, list[Span]]) -> None:
        single_spaced, back = collapse_spaces(text)  # regular expressions see single spaces
        for pattern_id, pattern in self._regexes:
            for occurrence in pattern.finditer(single_spaced):
                if occurrence.end() > occurrence.start():
                    found[pattern_id].append((back.start(occurrence.start()), back.end(occurrence.end())))


def _compile_topic(rules: TopicRules, patterns: _Patterns) -> _Topic:
    lists = {"any": rules.any, "all": rules.all, "not": rules.not_, "ignore": rules.ignore, "place": rules.places}
    probes = {
        name: tuple(_probe(name, term, patterns, stem=rules.stem and name != "place") for term in terms)
        for name, terms in lists.items()
    }
    by_pattern: defaultdict[int, list[_Probe]] = defaultdict(list)
    for name in ("any", "all", "not", "place"):
        for probe in probes[name]:
            for pattern_id in dict.fromkeys(probe.patterns):
                by_pattern[pattern_id].append(probe)
    ignore_patterns = frozenset(pattern_id for probe in probes["ignore"] for pattern_id in probe.patterns)
    deciding = probes["any"] or probes["all"]
    return _Topic(
        rules=rules,
        probes=probes,
        by_pattern={key: tuple(value) for key, value in by_pattern.items()},
        ignore_patterns=ignore_patterns,
        triggers=frozenset(pattern_id for probe in deciding for pattern_id in probe.patterns),
        place_patterns=frozenset(pattern_id for probe in probes["place"] for pattern_id in probe.patterns),
        all_patterns=tuple(frozenset(probe.patterns) for probe in probes["all"]),
    )


def _probe(list_name: str, term: Term, patterns: _Patterns, *, stem: bool) -> _Probe:
    body = term.body
    if isinstance(body, Regex):
        return _Probe(list_name, term, patterns.of_regex(body))
    if isinstance(body, Near):
        left, right = patterns.of_phrase(body.left, stem), patterns.of_phrase(body.right, stem)
        return _Probe(list_name, term, left, (right, body.distance))
    return _Probe(list_name, term, patterns.of_phrase(body, stem))


def _judge(topic: _Topic, scans: Mapping[str, _Field]) -> _Verdict:
    counted: dict[str, list[tuple[_Probe, str, Span]]] = {name: [] for name in _LISTS}
    ignored: list[tuple[_Probe, str, Span]] = []
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
        near_done: set[_Probe] = set()  # a NEAR probe is listed under both its patterns
        for pattern_id in present:
            for probe in topic.by_pattern[pattern_id]:
                if probe.near is not None:
                    if probe in near_done:
                        continue
                    near_done.add(probe)
                kept, dropped = _spans(probe, scan, blocked)
                counted[probe.list_name] += [(probe, field, span) for span in kept[:HITS_KEPT]]
                ignored += [(probe, field, span) for span in dropped[:HITS_KEPT]]
    return _Verdict(topic, counted, ignored)


def _spans(probe: _Probe, scan: _Field, blocked: _Blocked) -> tuple[Sequence[Span], list[Span]]:
    """(occurrences of ``probe``'s term in ``scan`` that count, those set aside by ``blocked``)."""
    left, left_dropped = blocked.split(scan.found.get(probe.pattern, ()))
    if probe.near is None:
        return left, left_dropped
    right_pattern, distance = probe.near
    right, right_dropped = blocked.split(scan.found.get(right_pattern, ()))
    paired = _near(left, right, distance, scan.normalised.text) if left and right else []
    return paired, left_dropped + right_dropped


def _hits(found: Iterable[tuple[_Probe, str, Span]], scans: Mapping[str, _Field]) -> tuple[Hit, ...]:
    """Hits in the original text, in field order then position; a term in both ``any`` and ``all`` counts once."""
    places = {
        (_FIELD_ORDER[field], *scans[field].normalised.original_span(*span), probe.term.written)
        for probe, field, span in found
    }
    return tuple(Hit(term, FIELDS[field], start, end) for field, start, end, term in sorted(places))


def _as_match(verdict: _Verdict, scans: Mapping[str, _Field]) -> Match:
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


def _report(verdict: _Verdict, scans: Mapping[str, _Field]) -> TopicReport:
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
