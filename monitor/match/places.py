"""The place lists of keywords.yaml (`places:`) parsed and checked, and the `place:` of topics and sources checked
against them.

A list names the place (`any`) and may name what is not the place although it contains one of those names (`not`:
"Southend United", "Southend Magistrates' Court"). An occurrence of a place name inside an occurrence of one of its
list's `not` names does not count as a mention of the place (``judge`` decides that per occurrence).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from monitor.match.patterns import PatternTable
from monitor.match.scan import Scanner
from monitor.match.settings import PlaceList
from monitor.match.terms import KEYWORDS_FILE, Phrase, Term, parse_terms, rule_problem
from monitor.settings import ConfigProblem, PlaceRef, place_names

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Gazetteer:
    """One list under `places:`, parsed."""

    name: str
    names: tuple[Term, ...]  # `any`: a mention of one of these is a mention of the place
    not_names: tuple[Term, ...]  # `not`: ... unless it lies inside one of these


def parse_places(places: Mapping[str, PlaceList], problems: list[ConfigProblem]) -> dict[str, Gazetteer]:
    """Every list under `places:`; each problem found is added to ``problems``."""
    gazetteers = {}
    for name, written in places.items():
        loc = ("places", name)
        if not written.any:
            hint = f"list the names that count, e.g. {name}: [Southend, Westcliff]"
            problems.append(rule_problem((*loc, "any"), f"the place list {name!r} is empty", hint))
        names = parse_terms(written.any, (*loc, "any"), problems)
        not_names = parse_terms(written.not_, (*loc, "not"), problems)
        gazetteer = gazetteers[name] = Gazetteer(name, names, not_names)
        problems += _not_names_without_a_place(gazetteer, written.not_)
    return gazetteers


def _not_names_without_a_place(gazetteer: Gazetteer, written: list[str]) -> list[ConfigProblem]:
    """A `not` name written out (a word, phrase or wildcard) that contains none of the list's names can never take
    one away: a mistake, such as a place that should not count at all. NEAR and regular expressions are not checked:
    an occurrence of them can stretch over words they do not name ("appeared NEAR/4 court")."""
    if not gazetteer.names or not gazetteer.not_names:
        return []
    patterns = PatternTable()
    for term in gazetteer.names:
        patterns.of_term(term, stem=False)
    scanner = Scanner(patterns, ["body"])
    positions = [text.strip() for text in written]  # a term's index in the list, by its text as written
    return [
        _takes_nothing_away(gazetteer.name, positions.index(term.written), term.written)
        for term in gazetteer.not_names
        if isinstance(term.body, Phrase) and not scanner.scan({"body": term.written.removesuffix("*")})["body"].found
    ]


def _takes_nothing_away(place: str, index: int, written: str) -> ConfigProblem:
    return rule_problem(
        ("places", place, "not", index),
        f"{written!r} under not: contains none of the names of the place list {place!r}, so it would change nothing",
        'a name under not: only stops the place names inside it from counting ("Southend United" stops its '
        '"Southend"); add the place name as it is written in stories, or, to keep stories about another place '
        "out of a topic, put that place in the topic's not: list",
    )


def place_problems(
    owner: str, place: PlaceRef, loc: Loc, known: Collection[str], *, file: str = KEYWORDS_FILE
) -> list[ConfigProblem]:
    """A problem for each name in ``place`` (the `place:` of ``owner``, at ``loc`` in ``file``) that is not a place
    list of keywords.yaml (``known``), with a guess at the one meant."""
    names = place_names(place)
    located = (
        [(loc, name) for name in names] if isinstance(place, str) else [((*loc, i), n) for i, n in enumerate(names)]
    )
    return [_unknown_place(owner, name, at, known, file) for at, name in located if name not in known]


def _unknown_place(owner: str, name: str, loc: Loc, known: Collection[str], file: str) -> ConfigProblem:
    close = difflib.get_close_matches(name, list(known), n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    where = "" if file == KEYWORDS_FILE else f" of {KEYWORDS_FILE}"
    return ConfigProblem(
        file,
        loc,
        f"{owner} uses place {name!r}, which is not in places:{where}",
        f"{guess}the place lists are: {', '.join(known) or 'none yet'}; fix the name or add a list under places:",
    )


__all__ = ["Gazetteer", "parse_places", "place_problems"]
