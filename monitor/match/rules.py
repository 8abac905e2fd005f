"""keywords.yaml checked and parsed into the rules of each topic; every problem is reported, not just the first."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from monitor.match.settings import KeywordsFile, TopicConfig
from monitor.match.terms import Term, TermError, parse_term
from monitor.settings import ConfigProblem

KEYWORDS_FILE = "keywords.yaml"
TERM_LISTS = ("any", "all", "not", "ignore")  # the YAML keys of a topic's term lists, in the order they are shown


@dataclass(frozen=True)
class TopicRules:
    """One topic of keywords.yaml with its terms parsed and its place gate resolved to place terms."""

    id: str
    name: str
    any: tuple[Term, ...]
    all: tuple[Term, ...]
    not_: tuple[Term, ...]
    ignore: tuple[Term, ...]
    place_names: tuple[str, ...]  # the gazetteer lists the place gate uses; empty: no gate
    places: tuple[Term, ...]  # every term of those lists, without repeats
    fields: tuple[str, ...]
    urgent: bool
    stem: bool


def parse_rules(keywords: KeywordsFile) -> tuple[TopicRules, ...]:
    """The topics of ``keywords``; raises ``ConfigProblem``, or an ``ExceptionGroup`` of them when there are several."""
    problems: list[ConfigProblem] = []
    gazetteer = _parse_places(keywords, problems)
    topics: list[TopicRules] = []
    first_index: dict[str, int] = {}
    for index, topic in enumerate(keywords.topics):
        if topic.id in first_index:
            problems.append(_duplicate_id(topic.id, first_index[topic.id], index))
        first_index.setdefault(topic.id, index)
        topics.append(_parse_topic(index, topic, gazetteer, problems))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ExceptionGroup("rule problems", problems)
    return tuple(topics)


def _problem(loc: tuple[str | int, ...], message: str, hint: str) -> ConfigProblem:
    return ConfigProblem(file=KEYWORDS_FILE, loc=loc, message=message, hint=hint)


def _parse_terms(written: list[str], loc: tuple[str | int, ...], problems: list[ConfigProblem]) -> tuple[Term, ...]:
    terms = []
    for index, text in enumerate(written):
        try:
            terms.append(parse_term(text))
        except TermError as error:
            problems.append(_problem((*loc, index), error.message, error.hint))
    return tuple(terms)


def _parse_places(keywords: KeywordsFile, problems: list[ConfigProblem]) -> dict[str, tuple[Term, ...]]:
    gazetteer = {}
    for name, written in keywords.places.items():
        if not written:
            hint = f"list the names that count, e.g. {name}: [Southend, Westcliff]"
            problems.append(_problem(("places", name), f"the place list {name!r} is empty", hint))
        gazetteer[name] = _parse_terms(written, ("places", name), problems)
    return gazetteer


def _parse_topic(
    index: int, topic: TopicConfig, gazetteer: dict[str, tuple[Term, ...]], problems: list[ConfigProblem]
) -> TopicRules:
    loc = ("topics", index)
    written = {"any": topic.any, "all": topic.all, "not": topic.not_, "ignore": topic.ignore}
    lists = {key: _parse_terms(written[key], (*loc, key), problems) for key in TERM_LISTS}
    place_terms: dict[str, Term] = {}
    for place_loc, name in _place_references(topic, loc):
        if name not in gazetteer:
            problems.append(_unknown_place(topic.id, name, place_loc, gazetteer))
            continue
        for term in gazetteer[name]:
            place_terms.setdefault(term.written, term)
    return TopicRules(
        id=topic.id,
        name=topic.name,
        any=lists["any"],
        all=lists["all"],
        not_=lists["not"],
        ignore=lists["ignore"],
        place_names=tuple(topic.places),
        places=tuple(place_terms.values()),
        fields=tuple(topic.fields),
        urgent=topic.urgent,
        stem=topic.stem,
    )


def _place_references(topic: TopicConfig, loc: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    if isinstance(topic.place, str):
        return [((*loc, "place"), topic.place)]
    return [((*loc, "place", index), name) for index, name in enumerate(topic.places)]


def _unknown_place(topic_id: str, name: str, loc: tuple[str | int, ...], gazetteer: dict) -> ConfigProblem:
    close = difflib.get_close_matches(name, list(gazetteer), n=1)
    known = ", ".join(gazetteer) or "none yet"
    guess = f"did you mean {close[0]!r}? " if close else ""
    return _problem(
        loc,
        f"topic {topic_id!r} uses place {name!r}, which is not in places:",
        f"{guess}the place lists are: {known}; fix the name or add a list under places:",
    )


def _duplicate_id(topic_id: str, first: int, again: int) -> ConfigProblem:
    return _problem(
        ("topics", again, "id"),
        f"topic id {topic_id!r} is used twice (topics number {first + 1} and {again + 1})",
        "give each topic its own id; matches are stored under it",
    )
