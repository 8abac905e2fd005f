"""The shipped config/keywords.yaml against the labelled corpus in tests/rules_corpus (issue 12).

The corpus says which topics a Southend crime desk wants for each of about 400 invented stories; the shipped rules must
find them (recall) without reporting what the desk does not want (precision), both at least 0.95, micro-averaged over
every (story, topic) label. On failure the message lists every false positive and false negative with its FILE:LINE,
so whoever edits the rules sees what to fix. ``make bench`` prints the same table (bench/rules.py).
"""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.config.errors import ConfigErrors
from tests.rules_corpus import TARGET, TOPICS, Story, Tally, load_corpus, score, shipped_topics

MIN_STORIES = 300
MIN_PER_TOPIC = 12  # enough stories that one wrong answer moves a topic's figures by less than a tenth


@pytest.fixture(scope="module")
def corpus() -> list[Story]:
    return load_corpus()


def test_the_corpus_is_big_enough_and_covers_every_topic(corpus):
    per_topic = Counter(topic for story in corpus for topic in story.topics)
    thin = {topic: per_topic[topic] for topic in TOPICS if per_topic[topic] < MIN_PER_TOPIC}
    noise = sum(1 for story in corpus if not story.topics)
    assert len(corpus) >= MIN_STORIES, f"{len(corpus)} stories; the corpus needs at least {MIN_STORIES}"
    assert not thin, f"topics with fewer than {MIN_PER_TOPIC} stories: {thin}"
    assert noise >= len(corpus) // 4, f"only {noise} stories the desk would not want: add noise"


def test_a_council_paper_stands_for_its_place_and_nothing_else_does(corpus):
    """``place`` is for sources that stand for one place; a story that carried it from anywhere else would let a rule
    pass the place gate for free."""
    placed = {story.source for story in corpus if story.place}
    assert placed == {"southend-council"}
    assert all(story.place == "southend" for story in corpus if story.source == "southend-council")


def test_the_shipped_rules_find_what_the_desk_wants_and_little_else(corpus):
    result = score(corpus, shipped_topics())
    assert result.meets(TARGET), f"{result.table()}\n\n{result.errors()}"


def test_a_malformed_story_is_reported_at_its_line(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "stories:\n"
        "  - title: Fine\n    body: " + "word " * 40 + "\n    topics: []\n"
        "  - title: Short\n    body: too short\n    topics: [knife]\n    source: the-sun\n"
        "  - title: fine\n    summary: A feed's summary.\n    topics: []\n"
    )
    with pytest.raises(ConfigErrors) as raised:
        load_corpus(tmp_path)
    problems = [str(error) for error in raised.value.errors]
    bad = str(tmp_path / "bad.yaml")
    assert problems[0].startswith(f"{bad}:5:5: the body has 2 words; write 40 to 150")
    assert any(p.startswith(f"{bad}:5:5: source 'the-sun' is not one of echo") for p in problems)
    assert any(p.startswith(f"{bad}:5:5: unknown topic 'knife'; the topics are knife-crime") for p in problems)
    assert problems[-1].startswith(f"{bad}:9:1: the title is also at {bad}:2")


def test_figures_are_micro_averaged_and_count_topics_the_corpus_does_not_know():
    def story(title: str, *topics: str) -> Story:
        return Story(f"x.yaml:{title}", title, "", "", None, None, frozenset(topics))

    stories = [story("a", "knife-crime", "violence"), story("b", "violence"), story("c")]
    found = {"a": {"knife-crime", "violence"}, "b": set(), "c": {"violence", "gangs"}}
    result = score(stories, lambda each: found[each.title])

    assert result.topics["knife-crime"] == Tally(labelled=1, matched=1, true_positives=1)
    assert result.topics["violence"] == Tally(labelled=2, matched=2, true_positives=1)
    assert result.topics["gangs"] == Tally(labelled=0, matched=1, true_positives=0)
    assert (result.overall.precision, result.overall.recall) == (2 / 4, 2 / 3)
    assert result.meets(0.5) and not result.meets(0.6)
    assert [(each.title, topic) for each, topic in result.false_negatives] == [("b", "violence")]
    assert [(each.title, topic) for each, topic in result.false_positives] == [("c", "gangs"), ("c", "violence")]
