"""Tools for people editing keywords.yaml: why a text matches (`monitor test-rules`), what an edit changes over the
stories already stored (`test-rules --replay`), and which terms earn their place (`monitor stats`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from monitor.clock import Clock
from monitor.match.explain import TopicReport
from monitor.match.matcher import Matcher
from monitor.match.settings import KeywordsFile, TopicConfig
from monitor.match.types import story_fields

if TYPE_CHECKING:
    from monitor.store import ItemRecord, MatchRecord, Store


@dataclass(frozen=True)
class ReplayChange:
    topic_id: str
    item: ItemRecord
    gained: bool  # True: would match now but did not then; False: matched then, would not now


@dataclass(frozen=True)
class TopicStats:
    topic_id: str
    items: int
    per_term: tuple[tuple[str, int], ...]  # terms in YAML order with the number of items each fired in
    never: tuple[str, ...]


class RulesTools:
    """The rules of one configuration, tried on text and on the stored stories. ``source_places``: the place lists
    each source of sources.yaml stands for (its `place:`), by source id."""

    def __init__(
        self,
        matcher: Matcher,
        keywords: KeywordsFile,
        store: Store,
        *,
        clock: Clock,
        source_places: Mapping[str, Sequence[str]],
    ) -> None:
        self.matcher, self.keywords, self.store, self.clock = matcher, keywords, store, clock
        self.source_places = source_places

    def test_rules(
        self, fields: Mapping[str, str], topic: str | None = None, source: str | None = None
    ) -> list[TopicReport]:
        """Why each topic (or only ``topic``) matches these fields or not (`monitor test-rules`), as if they came from
        the source with id ``source`` (one of ``source_places``)."""
        if source is None:
            return self.matcher.explain(fields, topic)
        return self.matcher.explain(fields, topic, places=self.source_places[source], source=source)

    def replay(self, since: timedelta) -> list[ReplayChange]:
        """Stored items of the last ``since`` run through the current rules: what would match now that did not then,
        and what matched then that would not now. Each item is matched as from its source as configured now."""
        changes: list[ReplayChange] = []
        for item in self.store.items(since=self.clock() - since):
            if not item.reported:
                continue
            places = self.source_places.get(item.source_id, ())
            now_topics = {match.topic_id for match in self.matcher.match(story_fields(item), places)}
            then_topics = set(item.topics)
            changes.extend(ReplayChange(t, item, gained=True) for t in sorted(now_topics - then_topics))
            changes.extend(ReplayChange(t, item, gained=False) for t in sorted(then_topics - now_topics))
        return changes

    def stats(self, since: timedelta) -> list[TopicStats]:
        """Per topic and per term, how many stored items matched since then; terms that never did."""
        records = self.store.matches(since=self.clock() - since)
        return [topic_stats(topic, [r for r in records if r.topic_id == topic.id]) for topic in self.keywords.topics]


def topic_stats(topic: TopicConfig, records: Sequence[MatchRecord]) -> TopicStats:
    """How many of ``records`` (matches of ``topic``) each of its terms fired in."""
    counts = {term: 0 for term in (*topic.any, *topic.all)}
    for record in records:
        for term in set(record.terms):
            counts[term] = counts.get(term, 0) + 1
    return TopicStats(topic.id, len(records), tuple(counts.items()), tuple(t for t, n in counts.items() if n == 0))


__all__ = ["ReplayChange", "RulesTools", "TopicStats"]
