"""Every example of the README's "Writing rules" section does what it says.

An example is a ```yaml block: a keywords.yaml (places, topics) plus `matches:` and `misses:`, stories that each topic
of the block matches or does not (a story with `from_place:` comes from a source that stands for those places), or
`problem:`, part of the message the rules are refused with.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from monitor.config.errors import ConfigProblem
from monitor.match import Matcher
from monitor.match.settings import KeywordsFile

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Writing rules"


def rules_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert HEADING in text, f"no {HEADING!r} section in README.md"
    section = text[text.index(HEADING) + len(HEADING) :]
    following = re.search(r"^## ", section, re.MULTILINE)
    return section[: following.start()] if following else section


EXAMPLES = re.findall(r"^```yaml\n(.*?)^```", rules_section(), re.MULTILINE | re.DOTALL)


def test_the_section_has_examples_of_every_kind():
    assert len(EXAMPLES) >= 10
    assert sum("problem:" in example for example in EXAMPLES) >= 3


def story(sample: str | dict) -> tuple[dict[str, str], list[str]]:
    """The fields of a sample story, and the places its source stands for."""
    if isinstance(sample, str):
        return {"body": sample}, []
    fields = dict(sample)
    return fields, fields.pop("from_place", [])


def problem_text(error: BaseException) -> str:
    problems = error.exceptions if isinstance(error, ExceptionGroup) else [error]
    return "\n".join(f"{problem.message}; {problem.hint}" for problem in problems)


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{index}" for index in range(len(EXAMPLES))])
def test_the_example_does_what_it_says(example):
    data = YAML(typ="safe").load(example)
    stories = {"matches": data.pop("matches", []), "misses": data.pop("misses", [])}
    expected_problem = data.pop("problem", None)
    keywords = KeywordsFile.model_validate(data)
    if expected_problem is not None:
        with pytest.raises((ConfigProblem, ExceptionGroup)) as refused:
            Matcher.compile(keywords)
        assert expected_problem in problem_text(refused.value)
        return
    matcher = Matcher.compile(keywords)
    topics = {topic.id for topic in keywords.topics}
    assert stories["matches"] or stories["misses"]
    for sample in stories["matches"]:
        assert {match.topic_id for match in matcher.match(*story(sample))} == topics, sample
    for sample in stories["misses"]:
        assert matcher.match(*story(sample)) == [], sample
