"""Property: the fast matcher and the obvious one (tests/reference_matcher.py) agree on random rules and texts."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.match import Matcher, patterns
from monitor.match.settings import KeywordsFile
from monitor.match.terms import term_meaning
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
    "£ 5m",  # a first word without letters or digits: its automaton key is a space, found everywhere
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
def not_names(draw, names: list[str]) -> str:
    """A `not` name of a place list: one of its ``names`` in a phrase, or a NEAR or a regular expression."""
    kind = draw(st.sampled_from(["around", "around", "near", "regex"]))
    if kind == "near":
        return f"{draw(phrases())} NEAR/{draw(st.integers(1, 4))} {draw(phrases())}"
    if kind == "regex":
        return draw(st.sampled_from(REGEXES))
    before, after = draw(st.sampled_from([*WORDS, ""])), draw(st.sampled_from([*WORDS, ""]))
    return f"{before} {draw(st.sampled_from(names)).removesuffix('*')} {after}".strip()


@st.composite
def place_lists(draw) -> dict:
    names = draw(st.lists(phrases(), min_size=1, max_size=3))
    return {"any": names, "not": draw(st.lists(not_names(names), max_size=2))}


@st.composite
def keywords(draw) -> KeywordsFile:
    places = {"town": draw(place_lists()), "city": draw(place_lists())}
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
        ignored = {term_meaning(term) for term in topic["ignore"]}  # a term in both is refused by the rules
        topic["not"] = [term for term in topic["not"] if term_meaning(term) not in ignored]
        gate = draw(st.lists(st.sampled_from(sorted(places)), max_size=2, unique=True))
        if gate:
            topic["place"] = gate
        topics.append(topic)
    return KeywordsFile.model_validate({"places": places, "topics": topics})


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keywords(), texts(4), texts(8), texts(), st.sets(st.sampled_from(["town", "city"]), max_size=1))
def test_the_matcher_agrees_with_the_reference(rules, title, summary, body, source_places):
    fields = {"title": title, "summary": summary, "body": body}
    expected = ReferenceMatcher.compile(rules).match(fields, source_places)
    assert Matcher.compile(rules).match(fields, source_places) == expected


def pieces_of(rules: KeywordsFile) -> list[str]:
    """The words and phrases of ``rules`` as a story could contain them (NEAR split into its sides)."""
    written = [term for topic in rules.topics for term in (*topic.any, *topic.all, *topic.not_, *topic.ignore)]
    written += [name for place in rules.places.values() for name in (*place.any, *place.not_)]
    sides = [side for term in written if not term.startswith("/") for side in term.split(" NEAR/")]
    return [side.lstrip("0123456789 ").removesuffix("*") for side in sides]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keywords(), st.data(), st.sets(st.sampled_from(["town", "city"]), max_size=1))
def test_they_agree_on_stories_made_of_the_rules_own_words(rules, data, source_places):
    """Random words rarely put a place name inside a `not` name; stories made of the rules' own phrases do."""
    pieces = st.sampled_from([*pieces_of(rules) * 4, *WORDS])
    words = data.draw(st.lists(pieces, min_size=4, max_size=14))
    gaps = data.draw(st.lists(st.sampled_from(GAPS), min_size=len(words), max_size=len(words)))
    body = "".join(word + gap for word, gap in zip(words, gaps, strict=True))
    fields = {"title": data.draw(st.sampled_from(words)), "body": body}
    expected = ReferenceMatcher.compile(rules).match(fields, source_places)
    assert Matcher.compile(rules).match(fields, source_places) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(phrases(), min_size=1, max_size=6), texts(30))
def test_they_agree_on_many_phrases_in_one_long_text(any_terms, body):
    rules = KeywordsFile.model_validate({"topics": [{"id": "t", "name": "T", "any": any_terms}]})
    assert Matcher.compile(rules).match({"body": body}) == ReferenceMatcher.compile(rules).match({"body": body})


@st.composite
def spread_out(draw) -> str:
    """A long text whose words lie apart, with runs of up to 60 filler words between: the automaton reads only the
    stretches around possible keys (``patterns.KeyFinder``), which must still hold every key, up to the text's ends,
    however far apart runs of spaces put its words."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8))
    runs = draw(st.lists(st.integers(0, 60), min_size=len(words) + 1, max_size=len(words) + 1))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(words), max_size=len(words)))
    pieces = ["filler " * runs[0]]
    for word, gap, run in zip(words, gaps, runs[1:], strict=True):
        pieces += [word, gap, " filler" * run]
    return "".join(pieces)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keywords(), spread_out(), spread_out())
def test_they_agree_on_long_texts_with_words_far_apart(rules, summary, body):
    fields = {"title": "", "summary": summary, "body": body}
    assert Matcher.compile(rules).match(fields) == ReferenceMatcher.compile(rules).match(fields)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keywords(), texts(4), texts(8), texts())
def test_they_agree_when_texts_are_read_whole(rules, title, summary, body):
    """A long text is read whole rather than around its anchors (``patterns.KeyFinder``): here every text is."""
    fields = {"title": title, "summary": summary, "body": body}
    with patch.object(patterns, "_READ_WHOLE", 0):
        assert Matcher.compile(rules).match(fields) == ReferenceMatcher.compile(rules).match(fields)


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


def test_they_agree_with_more_first_words_than_the_anchor_search_takes():
    """Beyond ``patterns._MOST_ANCHORS`` first words the automaton reads whole texts again; it must find the same."""
    count = patterns._MOST_ANCHORS + 200
    words, last = [f"w{number}x" for number in range(count)], f"w{count - 1}x"
    rules = KeywordsFile.model_validate({"topics": [{"id": "t", "name": "T", "any": words}]})
    fields = {"title": f"W7X and {last}", "body": "costs – w1000x, w42x-w43x, aw5x w5"}
    matches = Matcher.compile(rules).match(fields)
    assert [hit.term for hit in matches[0].hits] == ["w7x", last, "w1000x", "w42x", "w43x"]
    assert matches == ReferenceMatcher.compile(rules).match(fields)
