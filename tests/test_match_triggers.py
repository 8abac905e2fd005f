"""The matcher's first look: an item none of whose fields holds a topic's trigger in its word view is passed over
before its fields are normalised. It must never pass over an item that matches, however its words are written, and
must stand aside for the rules it cannot vouch for (regular expressions, stemming, terms starting with a sign)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.match import Matcher, patterns
from monitor.match.normalise import normalise, viewed
from monitor.match.settings import KeywordsFile
from monitor.match.view import ascii_word_view
from tests.reference_matcher import ReferenceMatcher
from tests.test_match import compile_rules, found
from tests.test_match_reference import FIELDS, phrases, texts

# Characters each path of the normal form treats its own way: Latin-1 letters folded by bytes.translate, irregular
# ones (ß, ª, ², ½, a soft hyphen), typographic punctuation, entities, letters beyond Latin-1, ligatures, wide
# letters, combining accents, a Kelvin sign, controls, emoji and a lone surrogate.
ALPHABET = [
    *"aZ09 -'\"&;#\n\x00\x07",
    *"éÉçñöÆ£\xa0«»",
    *"ßª²½\xad",
    *"\u2019\u2018\u201c\u201d\u2013\u2014\u2026\u2212\u200b",
    "&amp;",
    "&#112;",
    "&eacute;",
    "&shy;",
    "&nbsp;",
    "&#8217;",
    *"λΣж漢ﬁＡ\u0301\u212a🔪\udc80",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_a_viewed_text_has_the_view_and_normal_form_of_the_text(text):
    made, expected = viewed(text).normalised(), normalise(text)
    assert (made.original, made.text) == (expected.original, expected.text)
    spans = [(start, end) for start in range(len(made.text) + 1) for end in range(start, len(made.text) + 1)]
    assert [made.original_span(*span) for span in spans] == [expected.original_span(*span) for span in spans]
    assert viewed(text).view == ascii_word_view(expected.text)


# Each text holds the term only once normalised: the first look must not judge by the letters as written.
@pytest.mark.parametrize(
    ("term", "text", "hit"),
    [
        ("police", "POLICE said", "POLICE"),
        ("police", "the Pólice said", "Pólice"),
        ("police", "the p&#111;lice said", "p&#111;lice"),
        ("police", "the po\xadlice said", "po\xadlice"),
        ("police", "the ｐｏｌｉｃｅ said", "ｐｏｌｉｃｅ"),
        ("police", "the police\u2019s van", "police"),
        ("fire", "a ﬁre broke out", "ﬁre"),
        ("strasse", "in der Straße", "Straße"),
        ("cafe", "the caf&eacute; shut", "caf&eacute;"),
        ("café", "the CAFE\u0301 shut", "CAFE\u0301"),
        ("knife crime", "rising knife-crime", "knife-crime"),
        ("knife crime", "knife \u2013 crime", "knife \u2013 crime"),
        ("knife crime", "knife\ncrime", "knife\ncrime"),
        ("knife crime", "knife&nbsp;crime", "knife&nbsp;crime"),
        ("stab*", "a Stabbing here", "Stabbing"),
        ("o'brien", "Mr O\u2019Brien said", "O\u2019Brien"),
        ("ελληνικά", "ΕΛΛΗΝΙΚΆ νέα", "ΕΛΛΗΝΙΚΆ"),
    ],
)
def test_a_term_written_otherwise_in_the_text_is_still_found(term, text, hit):
    assert found(compile_rules({"any": [term]}), {"body": text}) == [hit]


@pytest.mark.parametrize(
    ("term", "text"),
    [("stab*", "to establish it"), ("police", "a policeman"), ("knife crime", "knife, crime"), ("cuts", "cut")],
)
def test_a_first_word_alone_or_inside_another_word_does_not_match(term, text):
    assert compile_rules({"any": [term]}).match({"body": text}) == []


def test_near_terms_and_every_field_are_looked_at():
    matcher = compile_rules({"any": ["police NEAR/3 cuts"], "fields": ["title", "summary", "body"]})
    assert found(matcher, {"summary": "cuts hit the police"}) == ["cuts", "police"]
    assert found(matcher, {"title": "Police: deep cuts"}) == ["Police", "cuts"]
    assert matcher.match({"body": "cuts were made, and then much later, well after that, the police came"}) == []


def test_a_place_gate_needs_a_place_named_or_a_source_standing_for_it():
    matcher = compile_rules(
        {"any": ["burglary"], "place": "southend"}, places={"southend": {"any": ["Southend", "Westcliff"]}}
    )
    assert found(matcher, {"body": "A burglary in Westcliff"}) == ["burglary"]
    assert matcher.match({"body": "A burglary in Leeds"}) == []
    assert found_with_places(matcher, {"body": "A burglary in Leeds"}, ["southend"]) == ["burglary"]


def found_with_places(matcher: Matcher, fields: dict[str, str], places: list[str]) -> list[str]:
    return [fields[hit.field][hit.start : hit.end] for match in matcher.match(fields, places) for hit in match.hits]


# The first look knows plain words and phrases only; these rules are matched as before, every field read.
@pytest.mark.parametrize(
    ("topic", "text", "hit"),
    [
        ({"any": ["/kni[f]e ?crime/"]}, "on knife crime", "knife crime"),
        ({"any": ["robbery"], "stem": True}, "two robberies", "robberies"),
        ({"any": ["£ 5m"]}, "a £ 5m fund", "£ 5m"),
        ({"any": ["burglary"], "all": ["/arrest(ed)?/"]}, "burglary: one arrested", "burglary"),
    ],
)
def test_rules_the_first_look_cannot_vouch_for_are_matched_in_full(topic, text, hit):
    matcher = compile_rules({"any": ["unrelated"]}, topic)
    assert found(matcher, {"body": text})[:1] == [hit]


def test_more_first_words_than_the_first_look_takes_are_matched_in_full():
    count = patterns._MOST_ANCHORS + 200
    matcher = compile_rules({"any": [f"w{index}x" for index in range(count)]})
    assert found(matcher, {"body": f"then W{count - 1}X and w7x"}) == [f"W{count - 1}X", "w7x"]


@st.composite
def plain_keywords(draw) -> KeywordsFile:
    """Rules the first look vouches for: words, phrases, wildcards and NEAR; place gates; no stemming, no regexes."""
    places = {"town": {"any": draw(st.lists(phrases(), min_size=1, max_size=3))}}
    topics = []
    for index in range(draw(st.integers(1, 3))):
        plain = st.one_of(
            phrases(), st.builds(lambda a, n, b: f"{a} NEAR/{n} {b}", phrases(), st.integers(1, 4), phrases())
        )
        topic = {
            "id": f"t{index}",
            "name": f"T{index}",
            "any": draw(st.lists(plain, min_size=1, max_size=4)),
            "all": draw(st.lists(plain, max_size=1)),
            "fields": draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True)),
        }
        if draw(st.booleans()):
            topic["place"] = "town"
        topics.append(topic)
    return KeywordsFile.model_validate({"places": places, "topics": topics})


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_keywords(), texts(4), texts(), st.sets(st.just("town")))
def test_with_the_first_look_the_matcher_agrees_with_the_reference(rules, title, body, source_places):
    fields = {"title": title, "body": body}
    expected = ReferenceMatcher.compile(rules).match(fields, source_places)
    assert Matcher.compile(rules).match(fields, source_places) == expected


# A phrase is anchored by its first two words, the spaces between them included: an anchor found inside that stretch
# ("Leigh" in "Old ... Leigh") is not found again, so the automaton must read on from the stretch's end.
@pytest.mark.parametrize("gap", [" ", " - ", " " + "-" * 80 + " ", ",\n\n" + " " * 60])
def test_a_word_inside_a_phrase_anchor_is_found_however_far_its_first_word_is(gap):
    rules = KeywordsFile.model_validate(
        {"topics": [{"id": "leigh", "name": "Leigh", "any": ["Old Leigh", "Leigh", "old police station"]}]}
    )
    fields = {"body": f"Old{gap}Leigh"}
    assert found(Matcher.compile(rules), fields)[-1] == "Leigh"
    assert Matcher.compile(rules).match(fields) == ReferenceMatcher.compile(rules).match(fields, ())


@pytest.mark.parametrize(
    ("term", "text", "hit"),
    [
        ("was charged", "he was charged", "was charged"),
        ("was charged", "he WAS  Charged", "WAS  Charged"),
        ("anti-social behaviour", "anti social behaviour", "anti social behaviour"),
        ("drug deal*", "drug dealers", "drug dealers"),
        ("more officers", "many more officers", "more officers"),
    ],
)
def test_a_phrase_whose_first_word_is_common_is_found_by_its_two_word_anchor(term, text, hit):
    assert found(compile_rules({"any": [term]}), {"body": f"It was said that {text} on Friday."}) == [hit]
