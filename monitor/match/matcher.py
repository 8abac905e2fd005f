"""The compiled rules: one pass over an item's fields finds the terms of every topic at once, then topics are judged.

How the fields are searched:

- Every plain word, phrase and wildcard of every topic is known to ONE Aho-Corasick automaton, by the first word of
  the term (``patterns``); one pass over the item's three fields finds them all.
- Terms of ``stem: true`` topics are stemmed and searched with a second automaton in a stemmed view of the fields.
- Regular expressions (rare) are searched one by one, with RE2, so that no pattern can take more than linear time.

Each distinct thing to look for is a numbered *pattern*, shared by every topic that uses it. A topic is judged
(``judge``) only when one of the patterns that can make it match was found, and then only from the patterns found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from monitor.match.explain import TopicReport
from monitor.match.judge import CompiledTopic, FieldScan, as_match, compile_topic, judge, report
from monitor.match.normalise import collapse_spaces, normalise
from monitor.match.patterns import PatternTable, Span, build_automaton, find_keys
from monitor.match.rules import TopicRules, parse_rules
from monitor.match.settings import FIELDS, KeywordsFile
from monitor.match.stemming import stemmed_view
from monitor.match.types import Match


class Matcher:
    """Every topic of keywords.yaml, compiled once; ``match`` and ``explain`` are safe to call from many threads."""

    def __init__(self, topics: Sequence[TopicRules]) -> None:
        patterns = PatternTable()
        self._topics = tuple(compile_topic(rules, patterns) for rules in topics)
        self._plain = build_automaton(patterns.plain)
        self._stemmed = build_automaton(patterns.stemmed)
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
        verdicts = (judge(topic, scans) for topic in candidates if topic.may_match(scans))
        return [as_match(verdict, scans) for verdict in verdicts if verdict.matched]

    def explain(self, fields: Mapping[str, str], topic: str | None = None) -> list[TopicReport]:
        """Why each topic (or only ``topic``) matches ``fields`` or not, for people checking their rules."""
        topics = self._topics if topic is None else [self._topic(topic)]
        scans = self._scan(fields)
        return [report(judge(each, scans), scans) for each in topics]

    def _topic(self, topic_id: str) -> CompiledTopic:
        for topic in self._topics:
            if topic.rules.id == topic_id:
                return topic
        known = ", ".join(topic.rules.id for topic in self._topics)
        raise ValueError(f"there is no topic {topic_id!r} in keywords.yaml; the topics are: {known}")

    def _scan(self, fields: Mapping[str, str]) -> dict[str, FieldScan]:
        """Each field normalised and searched."""
        normalised = [normalise(fields.get(name) or "") for name in self._fields]
        texts = [each.text for each in normalised]
        if self._plain is None:
            found: list[defaultdict[int, list[Span]]] = [defaultdict(list) for _ in texts]
        else:
            found = find_keys(self._plain, texts)
        for name, text, in_field in zip(self._fields, texts, found, strict=True):
            if self._stemmed is not None and name in self._stem_fields:
                self._find_stemmed(text, in_field)
            if self._regexes:
                self._find_regexes(text, in_field)
        return {
            name: FieldScan(name, text, in_field)
            for name, text, in_field in zip(self._fields, normalised, found, strict=True)
        }

    def _find_stemmed(self, text: str, found: defaultdict[int, list[Span]]) -> None:
        stemmed, back = stemmed_view(text)
        for pattern_id, spans in find_keys(self._stemmed, [stemmed])[0].items():
            found[pattern_id] = [(back.start(start), back.end(end)) for start, end in spans]

    def _find_regexes(self, text: str, found: defaultdict[int, list[Span]]) -> None:
        single_spaced, back = collapse_spaces(text)  # regular expressions see single spaces
        for pattern_id, pattern in self._regexes:
            for occurrence in pattern.finditer(single_spaced):
                if occurrence.end() > occurrence.start():
                    found[pattern_id].append((back.start(occurrence.start()), back.end(occurrence.end())))
