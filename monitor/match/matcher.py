"""The compiled rules: one search of an item's fields finds the terms of every topic at once, then topics are judged.

How the fields are searched (``scan``):

- Every plain word, phrase and wildcard of every topic is known to ONE Aho-Corasick automaton (``patterns``); it reads
  the item's three fields where one RE2 pass found a term's anchor, or all of them when they are long.
- Terms of ``stem: true`` topics are stemmed and searched with a second automaton in a stemmed view of the fields.
- Regular expressions (rare) are searched one by one, with RE2, so that no pattern can take more than linear time.

Each distinct thing to look for is a numbered *pattern*, shared by every topic that uses it. A topic is judged
(``judge``) only when one of the patterns that can make it match was found, and then only from the patterns found.

Most stories match nothing, so ``match`` takes a first look: each field's word view is made (for Latin-1 text, most
English news, straight from its bytes, before the normal form itself), and one RE2 pass over the views looks for the
anchors of the patterns that can trigger a topic (``patterns.anchor_search``). Without one, no topic can match and
the story is done with, its fields never normalised nor searched. Rules it cannot vouch for (a regular expression or
stemmed term among the triggers, a term starting with a sign, more anchors than RE2 searches well) turn the first
look off: every field is searched.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from functools import cached_property

from monitor.match.explain import TopicReport
from monitor.match.judge import CompiledTopic, as_match, compile_topic, judge, report
from monitor.match.patterns import PatternTable, anchor_search
from monitor.match.rules import TopicRules, parse_rules
from monitor.match.scan import FieldScan, Scanner
from monitor.match.settings import FIELDS, KeywordsFile
from monitor.match.types import Match

_last_compiled: tuple[KeywordsFile, Matcher] | None = None  # (the rules, their matcher): see Matcher.compile
_received: dict[str, Matcher] = {}  # in a process a matcher was sent to: the last one, by the digest of its rules


class Matcher:
    """Every topic of keywords.yaml, compiled once; ``match`` and ``explain`` are safe to call from many threads."""

    def __init__(self, keywords: KeywordsFile) -> None:
        topics = parse_rules(keywords)
        self._keywords = keywords  # the rules as written: what another process is sent (``__reduce__``)
        patterns = PatternTable()
        self._topics = tuple(compile_topic(rules, patterns) for rules in topics)
        fields = [field for field in FIELDS if any(field in rules.fields for rules in topics)]
        stem_fields = {field for rules in topics if rules.stem for field in rules.fields}
        self._scanner = Scanner(patterns, fields, stem_fields)
        triggered: defaultdict[int, set[int]] = defaultdict(set)
        for index, topic in enumerate(self._topics):
            for pattern_id in topic.triggers:
                triggered[pattern_id].add(index)
        self._triggered = dict(triggered)
        self._trigger_search = anchor_search(patterns, self._triggered)

    @classmethod
    def compile(cls, keywords: KeywordsFile) -> Matcher:
        """Raises ``ConfigProblem`` (or an ``ExceptionGroup`` of them) located in keywords.yaml for wrong rules.

        The last rules compiled are kept: a command checks the rules as it loads them and then polls with them, and
        compiling them again would double the work before its first request."""
        global _last_compiled
        if _last_compiled is not None and _last_compiled[0] == keywords:
            return _last_compiled[1]
        matcher = cls(keywords)
        _last_compiled = (keywords, matcher)
        return matcher

    def __reduce__(self) -> tuple[Callable[[str, bytes], Matcher], tuple[str, bytes]]:
        """A matcher travels to another process (the pool's, which matches new stories beside reading their pages) as
        its rules, pickled once here; there it is compiled at its first arrival and kept for the next."""
        return _arrived, self._sent_as

    @cached_property
    def _sent_as(self) -> tuple[str, bytes]:
        rules = pickle.dumps(self._keywords)
        return hashlib.blake2b(rules, digest_size=16).hexdigest(), rules

    @property
    def topics(self) -> tuple[TopicRules, ...]:
        return tuple(topic.rules for topic in self._topics)

    def match(self, fields: Mapping[str, str], places: Collection[str] = ()) -> list[Match]:
        """One ``Match`` per topic that matches ``fields`` ("title", "summary", "body"; missing ones are empty).

        ``places``: the place lists the item's source stands for (its `place:` in sources.yaml); a topic gated on
        one of them needs no place name in the text."""
        reading = self._scanner.read(fields)
        if self._trigger_search is not None and not self._trigger_search.search(reading.view):
            return []  # most stories: nothing in them can trigger a topic
        scans = self._scanner.search(reading)
        found = set().union(*(scan.found for scan in scans.values()))
        if not found:
            return []
        triggered = set().union(*(self._triggered.get(pattern_id, ()) for pattern_id in found))
        candidates = (self._topics[index] for index in sorted(triggered))  # in YAML order
        present = _FoundIn(scans)
        verdicts = (
            judge(topic, scans, places) for topic in candidates if topic.may_match(present[topic.rules.fields], places)
        )
        return [as_match(verdict, scans) for verdict in verdicts if verdict.matched]

    def explain(
        self, fields: Mapping[str, str], topic: str | None = None, *, places: Collection[str] = (), source: str = ""
    ) -> list[TopicReport]:
        """Why each topic (or only ``topic``) matches ``fields`` or not, for people checking their rules; as if from
        the source ``source``, which stands for ``places``."""
        topics = self._topics if topic is None else [self._topic(topic)]
        scans = self._scanner.scan(fields)
        return [report(judge(each, scans, places), scans, source) for each in topics]

    def _topic(self, topic_id: str) -> CompiledTopic:
        for topic in self._topics:
            if topic.rules.id == topic_id:
                return topic
        known = ", ".join(topic.rules.id for topic in self._topics)
        raise ValueError(f"there is no topic {topic_id!r} in keywords.yaml; the topics are: {known}")


def _arrived(digest: str, rules: bytes) -> Matcher:
    matcher = _received.get(digest)
    if matcher is None:
        _received.clear()  # the rules of an older configuration are not sent again
        matcher = _received[digest] = Matcher.compile(pickle.loads(rules))
    return matcher


class _FoundIn(dict[tuple[str, ...], set[int]]):
    """The patterns found in some fields of an item, by the fields; worked out once for all topics looking there."""

    def __init__(self, scans: Mapping[str, FieldScan]) -> None:
        super().__init__()
        self._scans = scans

    def __missing__(self, fields: tuple[str, ...]) -> set[int]:
        found = self[fields] = set().union(*(self._scans[field].found for field in fields))
        return found
