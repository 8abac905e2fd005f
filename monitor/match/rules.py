"""keywords.yaml checked and parsed into the rules of each topic; every problem is reported, not just the first."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.match.places import Gazetteer, parse_places, place_problems
from monitor.match.settings import KeywordsFile, TopicConfig
from monitor.match.terms import Term, parse_terms, rule_problem, term_meaning
from monitor.settings import ConfigProblem

TERM_LISTS = ("any", "all", "not", "ignore")  # the YAML keys of a topic's term lists, in the order they are shown


@dataclass(frozen=True)
class TopicRules:
    """One topic of keywords.yaml with its terms parsed and its place gate resolved to the place lists it uses."""

    id: str
    name: str
    any: tuple[Term, ...]
    all: tuple[Term, ...]
    not_: tuple[Term, ...]
    ignore: tuple[Term, ...]
    place_names: tuple[str, ...]  # the names of the place lists of the gate, as written; empty: no gate
    place_lists: tuple[Gazetteer, ...]  # those lists, each once
    fields: tuple[str, ...]
    urgent: bool
    stem: bool


def parse_rules(keywords: KeywordsFile) -> tuple[TopicRules, ...]:
    """The topics of ``keywords``; raises ``ConfigProblem``, or an ``ExceptionGroup`` of them when there are several."""
    problems: list[ConfigProblem] = []
    gazetteers = parse_places(keywords.places, problems)
    topics: list[TopicRules] = []
    first_index: dict[str, int] = {}
    for index, topic in enumerate(keywords.topics):
        if topic.id in first_index:
            problems.append(_duplicate_id(topic.id, first_index[topic.id], index))
        first_index.setdefault(topic.id, index)
        topics.append(_parse_topic(index, topic, gazetteers, problems))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ExceptionGroup("rule problems", problems)
    return tuple(topics)


def _parse_topic(
    index: int, topic: TopicConfig, gazetteers: dict[str, Gazetteer], problems: list[ConfigProblem]
) -> TopicRules:
    loc = ("topics", index)
    written = {"any": topic.any, "all": topic.all, "not": topic.not_, "ignore": topic.ignore}
    lists = {key: parse_terms(written[key], (*loc, key), problems) for key in TERM_LISTS}
    problems += place_problems(f"topic {topic.id!r}", topic.place, (*loc, "place"), gazetteers)
    problems += _vetoes_ignored(topic, loc)
    gate = [gazetteers[name] for name in dict.fromkeys(topic.places) if name in gazetteers]
    return TopicRules(
        id=topic.id,
        name=topic.name,
        any=lists["any"],
        all=lists["all"],
        not_=lists["not"],
        ignore=lists["ignore"],
        place_names=tuple(topic.places),
        place_lists=tuple(gate),
        fields=tuple(topic.fields),
        urgent=topic.urgent,
        stem=topic.stem,
    )


def _vetoes_ignored(topic: TopicConfig, loc: tuple[str | int, ...]) -> list[ConfigProblem]:
    """A `not` term also written under `ignore` never vetoes: ``ignore`` sets aside its every occurrence. Terms are
    compared by what they find, so "Sexual  assault*" under one list and "sexual assault*" under the other are one."""
    ignored = {term_meaning(term) for term in topic.ignore} - {None}
    return [
        rule_problem(
            (*loc, "not", index),
            f"{term!r} is under both not: and ignore: of topic {topic.id!r}, so it can never veto a story",
            "ignore: sets aside every occurrence of its terms, those of not: terms too; keep it under one of them",
        )
        for index, term in enumerate(topic.not_)
        if term_meaning(term) in ignored
    ]


def _duplicate_id(topic_id: str, first: int, again: int) -> ConfigProblem:
    return rule_problem(
        ("topics", again, "id"),
        f"topic id {topic_id!r} is used twice (topics number {first + 1} and {again + 1})",
        "give each topic its own id; matches are stored under it",
    )
