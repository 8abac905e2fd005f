"""Property: the fast matcher and the obvious one (tests/reference_matcher.py) agree on random rules and texts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.match import Matcher
from monitor.match.settings import KeywordsFile
from tests.reference_matcher import ReferenceMatcher

# Words that overlap, nest and share stems, in several scripts and spellings, so that random texts are full of traps.
WORDS = [
    "knife",
    "Knife",
    "knives",
    "crime",
    "crimes",
    "stab",
    "stabbed",
    "STABBING",
    "establish",
    "police",
    "policing",
    "cuts",
    "cut",
    "leigh",
    "on",
    "sea",
    "a",
    "the",
    "ha",
    "café",
    "cafe",
    "o",
    "brien",
    "plan",
    "planning",
    "planned",
    "edge",
    "ελληνικά",
    "Straße",
    "strasse",
    "£5m",
    "5m",
    "x1",
    "ﬁne",
    "fine",
    "zoë",
    "漢字",
]
GAPS = [" ", " ", " ", "  ", "-", " – ", "—", "\n", "\n\n", ", ", ". ", "'", "’", "", "&amp;", "\x00", "…", "_", "/"]
REGEXES = [r"/knife ?crime/", r"/\bsta\w*/", r"/o'b/", r"/\d+m\b/", r"/(?:ha )+ha/", r"/café|cafe/"]
FIELDS = ["title", "summary", "body"]


@st.composite
def texts(draw, max_words: int = 14) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), max_size=max_words))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(words) + 1, max_size=len(words) + 1))
    return gaps[0] + "".join(word + gap for word, gap in zip(words, gaps[1:], strict=True))


@st.composite
def phrases(draw) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
    joiner = draw(st.sampled_from([" ", "-", " – "]))
    phrase = joiner.join(words)
    if draw(st.booleans()) and phrase[-1].isalnum():
        phrase += "*"
    return phrase


@st.composite
def terms(draw) -> str:
    kind = draw(st.sampled_from(["phrase", "phrase", "phrase", "near", "regex"]))
    if kind == "near":
        return f"{draw(phrases())} NEAR/{draw(st.integers(1, 4))} {draw(phrases())}"
    if kind == "regex":
        return draw(st.sampled_from(REGEXES))
    return draw(phrases())


@st.composite
def keywords(draw) -> KeywordsFile:
    places = {"town": draw(st.lists(phrases(), min_size=1, max_size=3))}
    topics = []
    for index in range(draw(st.integers(1, 3))):
        topic = {
            "id": f"t{index}",
            "name": f"T{index}",
            "any": draw(st.lists(terms(), min_size=1, max_size=4)),
            "all": draw(st.lists(terms(), max_size=2)),
            "not": draw(st.lists(terms(), max_size=1)),
            "ignore": draw(st.lists(terms(), max_size=2)),
            "fields": draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True)),
            "stem": draw(st.booleans()),
        }
        if draw(st.booleans()):
            topic["place"] = "town"
        topics.append(topic)
    return KeywordsFile.model_validate({"places": places, "topics": topics})


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keywords(), texts(4), texts(8), texts())
def test_the_matcher_agrees_with_the_reference(rules, title, summary, body):
    fields = {"title": title, "summary": summary, "body": body}
    assert Matcher.compile(rules).match(fields) == ReferenceMatcher.compile(rules).match(fields)


@settings(max_examples=100, deadline=None)
@given(st.lists(phrases(), min_size=1, max_size=6), texts(30))
def test_they_agree_on_many_phrases_in_one_long_text(any_terms, body):
    rules = KeywordsFile.model_validate({"topics": [{"id": "t", "name": "T", "any": any_terms}]})
    assert Matcher.compile(rules).match({"body": body}) == ReferenceMatcher.compile(rules).match({"body": body})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keywords(), texts(4), texts())
def test_explain_tells_the_same_story_as_match(rules, title, body):
    fields = {"title": title, "body": body}
    matcher = Matcher.compile(rules)
    matched = {match.topic_id: match for match in matcher.match(fields)}
    for report in matcher.explain(fields):
        assert report.matched == (report.topic_id in matched)
        if report.matched:
            assert report.hits == matched[report.topic_id].hits
            assert report.snippet == matched[report.topic_id].snippet
        assert report.lines()[0].startswith(report.topic_id)
