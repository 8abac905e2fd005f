"""Rules that cannot work are refused when the file loads, each located by its key path in keywords.yaml."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from monitor.config.errors import ConfigProblem
from monitor.match import Matcher
from monitor.match.settings import KeywordsFile


def problems(data: dict) -> list[ConfigProblem]:
    """Every problem ``Matcher.compile`` raises for ``data``: one ``ConfigProblem``, or several in an ExceptionGroup."""
    keywords = KeywordsFile.model_validate(data)
    try:
        Matcher.compile(keywords)
    except ConfigProblem as problem:
        return [problem]
    except ExceptionGroup as group:
        assert group.message == "rule problems"
        assert all(isinstance(problem, ConfigProblem) for problem in group.exceptions)
        return list(group.exceptions)
    return []


def only_problem(data: dict) -> ConfigProblem:
    (problem,) = problems(data)
    assert problem.file == "keywords.yaml"
    assert problem.message and problem.hint
    return problem


def one_topic(**lists) -> dict:
    return {"topics": [{"id": "t", "name": "T", **lists}]}


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("/knife[/", "bad regular expression /knife[/: a '[' has no closing ']'"),
        ("/(knives)?/", "matches empty text"),
        ("/(?<!pen)knife/", "lookahead and lookbehind"),
        ("/knife(?= crime)/", "lookahead and lookbehind"),
        ("/(stab) \\1/", "back-references"),
        ("/(?P<w>stab) (?P=w)/", "back-references"),
        ("/knife++/", "possessive quantifiers"),
        ("/knife\\Z/", "\\Z is not supported"),
        ("/a{1000}{1000}/", "bad regular expression"),
        ("//", "empty regular expression"),
        ("/knife", "starts with '/' but does not end with one"),
        ("police NEAR cuts", "NEAR needs a number of words"),
        ("police NEAR/ cuts", "NEAR/ needs a number of words"),
        ("police NEAR/x cuts", "NEAR/x needs a number of words"),
        ("police NEAR/0 cuts", "NEAR/0: the distance must be from 1 to 50"),
        ("police NEAR/51 cuts", "NEAR/51: the distance must be from 1 to 50"),
        ("NEAR/5 cuts", "needs a word or phrase on both sides of NEAR/5"),
        ("police NEAR/5", "needs a word or phrase on both sides of NEAR/5"),
        ("a NEAR/2 b NEAR/2 c", "more than one NEAR"),
        ("/police/ NEAR/2 cuts", "a regular expression cannot be one side of NEAR"),
        ("police NEAR/2 /cuts/", "a regular expression cannot be one side of NEAR"),
        ("", "empty term"),
        ("   ", "empty term"),
        ("st*b", "'*' can only come at the end"),
        ("stab *", "'*' must follow a letter or digit"),
        ("*", "'*' must follow a letter or digit"),
        ("--", "has no letters or digits"),
    ],
)
def test_a_bad_term_is_located_by_list_and_index(term, message):
    problem = only_problem(one_topic(any=["knife", term]))
    assert problem.loc == ("topics", 0, "any", 1)
    assert message in problem.message


@pytest.mark.parametrize("key", ["any", "all", "not", "ignore"])
def test_every_term_list_is_checked_under_its_yaml_key(key):
    lists = {"any": ["knife"], key: ["knife", "police NEAR/0 cuts"]}
    assert only_problem(one_topic(**lists)).loc == ("topics", 0, key, 1)


def test_near_lowercase_with_a_slash_is_the_operator_but_plain_near_is_a_word():
    assert only_problem(one_topic(any=["police near/0 cuts"])).loc == ("topics", 0, "any", 0)
    assert problems(one_topic(any=["near miss", "police NEAR/50 cuts"])) == []


def test_an_unknown_place_gets_a_guess():
    places = {"southend": ["Southend"], "essex": ["Essex"]}
    problem = only_problem({"places": places, **one_topic(any=["x"], place="sothend")})
    assert problem.loc == ("topics", 0, "place")
    assert problem.message == "topic 't' uses place 'sothend', which is not in places:"
    assert problem.hint.startswith("did you mean 'southend'?")
    assert "southend, essex" in problem.hint


def test_an_unknown_place_in_a_list_is_located_by_its_index():
    problem = only_problem(
        {"places": {"southend": ["Southend"]}, **one_topic(any=["x"], place=["southend", "basildon"])}
    )
    assert problem.loc == ("topics", 0, "place", 1)
    assert "did you mean" not in problem.hint


def test_an_empty_place_list_and_a_bad_place_term_are_located_under_places():
    # A plain list is short for `any:`; the key path names `any` either way (the file has no such key for a plain
    # list, so the loader locates it at the list: see test_config).
    problem = only_problem({"places": {"southend": []}, **one_topic(any=["x"])})
    assert problem.loc == ("places", "southend", "any")
    assert "empty" in problem.message
    problem = only_problem({"places": {"southend": ["Southend", "/[/"]}, **one_topic(any=["x"], place="southend")})
    assert problem.loc == ("places", "southend", "any", 1)


def test_a_duplicate_topic_id_is_located_at_the_second_one():
    data = {"topics": [{"id": topic_id, "name": topic_id, "any": ["x"]} for topic_id in ("t", "u", "t")]}
    problem = only_problem(data)
    assert problem.loc == ("topics", 2, "id")
    assert "used twice (topics number 1 and 3)" in problem.message


def test_every_problem_is_reported_at_once_in_file_order():
    data = {
        "places": {"southend": []},
        "topics": [
            {"id": "t", "name": "A", "any": ["/[/", "ok"], "not": ["x NEAR y"], "place": "essex"},
            {"id": "t", "name": "B", "all": [""]},
        ],
    }
    assert [problem.loc for problem in problems(data)] == [
        ("places", "southend", "any"),
        ("topics", 0, "any", 0),
        ("topics", 0, "not", 0),
        ("topics", 0, "place"),
        ("topics", 1, "id"),
        ("topics", 1, "all", 0),
    ]


def test_good_rules_compile():
    rules = one_topic(any=["stab*", "a NEAR/50 b", "/x+/", "£5m"], place="s")
    assert problems({"places": {"s": ["Southend"]}, **rules}) == []


def test_a_not_term_also_under_ignore_is_refused_because_it_could_never_veto():
    problem = only_problem(
        one_topic(any=["assault*"], **{"not": ["rape", "Sexual assault*"]}, ignore=["sexual assault*"])
    )
    assert problem.loc == ("topics", 0, "not", 1)
    assert "under both not: and ignore:" in problem.message


@pytest.mark.parametrize(
    ("vetoed", "ignored"),
    [("Sexual  assault*", "sexual assault*"), ("café brawl", "cafe brawl"), ("/knife ?point/", "/knife ?point/")],
)
def test_two_spellings_of_one_term_under_not_and_ignore_are_refused_too(vetoed, ignored):
    problem = only_problem(one_topic(any=["assault*"], **{"not": [vetoed]}, ignore=[ignored]))
    assert problem.loc == ("topics", 0, "not", 0)


def test_different_terms_under_not_and_ignore_are_not_refused():
    rules = one_topic(
        any=["assault*"],
        **{"not": ["sexual assault", "knife*", "/knife ?point/"]},
        ignore=["sexual assault*", "knife", "knife point"],
    )
    assert problems(rules) == []


def test_a_rule_problem_passes_through_a_with_block_intact():
    """contextlib sets ``__traceback__`` on an exception leaving a generator-based context manager."""

    @contextmanager
    def around():
        yield

    with pytest.raises(ConfigProblem) as raised, around():
        Matcher.compile(KeywordsFile.model_validate(one_topic(any=["x"], **{"not": ["y"]}, ignore=["y"])))
    assert "under both not: and ignore:" in raised.value.message
