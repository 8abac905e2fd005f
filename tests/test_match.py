"""The rule language, operator by operator, with the traps from issue 3, and what a match records."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from monitor.match import Match, Matcher
from monitor.match.judge import HITS_KEPT
from monitor.match.settings import KeywordsFile

SOUTHEND = ["Southend", "Southend-on-Sea", "Westcliff", "Leigh-on-Sea"]


def compile_rules(*topics: dict, places: dict | None = None) -> Matcher:
    """A matcher for ``topics`` (dicts as in keywords.yaml; id and name may be left out)."""
    numbered = [{"id": f"topic-{index}", "name": f"Topic {index}", **topic} for index, topic in enumerate(topics)]
    return Matcher.compile(KeywordsFile.model_validate({"places": places or {}, "topics": numbered}))


def matches(topic: dict, text: str, *, places: dict | None = None, field: str = "body") -> bool:
    return bool(compile_rules(topic, places=places).match({field: text}))


def found(matcher: Matcher, fields: dict[str, str]) -> list[str]:
    """The original text of every hit, in order."""
    return [fields[hit.field][hit.start : hit.end] for match in matcher.match(fields) for hit in match.hits]


# --- words and phrases ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["An arm of the gang", "ARM", "arm.", "(arm)", "the arm's length", "arm\n"])
def test_a_word_matches_as_a_whole_word_in_any_case(text):
    assert matches({"any": ["arm"]}, text)


@pytest.mark.parametrize("text", ["no harm done", "the army", "armed police", "farmarm", "xarm"])
def test_a_word_does_not_match_inside_a_longer_word(text):
    assert not matches({"any": ["arm"]}, text)


@pytest.mark.parametrize(
    "text", ["knife\ncrime", "knife\r\n\r\ncrime", "knife  crime", "knife\tcrime", "knife\u00a0crime"]
)
def test_a_phrase_matches_across_line_breaks_and_runs_of_blanks(text):
    assert matches({"any": ["knife crime"]}, text)


@pytest.mark.parametrize("filler", [0, 3_000])  # a short text is read around the terms' first words, a long one whole
def test_a_phrase_is_found_however_far_apart_runs_of_blanks_put_its_words(filler):
    matcher = compile_rules({"any": ["was charged with", "old leigh on sea", "leigh"]})
    body = "word " * filler + "He was" + " \n" * 100 + "charged  –  with theft in old" + " " * 300 + "Leigh-on-Sea."
    terms = [hit.term for match in matcher.match({"body": body + " word" * filler}) for hit in match.hits]
    assert terms == ["was charged with", "old leigh on sea", "leigh"]


@pytest.mark.parametrize(
    "text", ["Leigh-on-Sea", "Leigh on Sea", "leigh–on–sea", "LEIGH—ON—SEA", "Leigh - on - Sea", "Leigh‐on‐Sea"]
)
@pytest.mark.parametrize("term", ["Leigh-on-Sea", "Leigh on Sea", "leigh–on–sea"])
def test_hyphens_and_dashes_are_spaces_in_terms_and_text(term, text):
    assert matches({"any": [term]}, text)


def test_other_punctuation_inside_a_phrase_must_be_written():
    assert not matches({"any": ["police fire"]}, "police, fire and crime")
    assert matches({"any": ["police, fire"]}, "Police, Fire and Crime")
    assert not matches({"any": ["knife crime"]}, "knife. Crime")


def test_curly_and_straight_quotes_are_the_same_and_an_apostrophe_splits_words():
    assert matches({"any": ["O'Brien"]}, "Councillor O’Brien said")
    assert matches({"any": ["O’Brien"]}, "Councillor O'Brien said")
    assert matches({"any": ["police"]}, "the police’s response")


@pytest.mark.parametrize(
    ("term", "text"), [("cafe", "Café owner"), ("café", "the cafe"), ("Zoe", "Zoë"), ("strasse", "Straße")]
)
def test_accents_are_removed_so_cafe_matches_café(term, text):
    assert matches({"any": [term]}, text)


def test_a_phrase_does_not_match_when_a_word_is_only_a_prefix():
    assert not matches({"any": ["knife crime"]}, "knife crimes")
    assert not matches({"any": ["knife crime"]}, "penknife crime")


# --- wildcards --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["stab", "Stabbed", "a stabbing", "two stabbings", "stab-proof"])
def test_a_wildcard_matches_words_starting_with_it(text):
    assert matches({"any": ["stab*"]}, text)


@pytest.mark.parametrize("text", ["establish", "established", "unstable"])
def test_a_wildcard_does_not_match_inside_a_longer_word(text):
    assert not matches({"any": ["stab*"]}, text)


def test_a_wildcard_hit_covers_the_whole_word():
    matcher = compile_rules({"any": ["stab*", "knife crim*"]})
    assert found(matcher, {"body": "He was stabbed. Knife crimes rose."}) == ["stabbed", "Knife crimes"]


# --- NEAR -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["police face cuts", "cuts hit the police"])
def test_near_matches_in_either_order(text):
    assert matches({"any": ["police NEAR/3 cuts"]}, text)


def test_near_counts_words_from_one_side_to_the_other_up_to_the_distance_and_no_further():
    term = {"any": ["police NEAR/3 cuts"]}
    assert matches(term, "police one two cuts")  # three words apart: the boundary
    assert matches(term, "cuts one two police")
    assert not matches(term, "police one two three cuts")  # four: one past
    assert not matches(term, "cuts one two three police")


def test_near_1_means_side_by_side():
    assert matches({"any": ["police NEAR/1 cuts"]}, "cuts, police")
    assert not matches({"any": ["police NEAR/1 cuts"]}, "police face cuts")


def test_near_sides_may_be_phrases_and_wildcards():
    term = {"any": ["county lines NEAR/4 arrest*"]}
    assert matches(term, "Arrests made in county-lines raids")
    assert not matches(term, "county arrested lines")


def test_near_needs_two_separate_occurrences_in_one_field():
    assert not matches({"any": ["police NEAR/3 police"]}, "the police said")
    assert matches({"any": ["police NEAR/3 police"]}, "police and police")
    matcher = compile_rules({"any": ["police NEAR/3 cuts"]})
    assert not matcher.match({"title": "Police", "summary": "cuts"})


def test_near_hits_mark_both_sides():
    matcher = compile_rules({"any": ["police NEAR/3 cuts"]})
    assert found(matcher, {"body": "Police face cuts."}) == ["Police", "cuts"]


# --- regular expressions ----------------------------------------------------------------------------------------


def test_a_regex_ignores_case_and_sees_the_normalised_text():
    term = {"any": [r"/\bknife ?point\b/"]}
    assert matches(term, "Robbed at KNIFEPOINT")
    assert matches(term, "robbed at knife–point")  # an en dash is a space in the normal form
    assert matches(term, "robbed at knife\n\npoint")  # and a run of blanks is one space
    assert not matches(term, "a penknife pointed")


def test_a_regex_hit_is_the_span_it_matched_in_the_original_text():
    matcher = compile_rules({"any": [r"/£\d+m/"]})
    assert found(matcher, {"body": "A £5m deal and a £12m one"}) == ["£5m", "£12m"]


# Patterns that take exponential time in a backtracking engine; on these texts Python's `re` does not finish in hours.
CATASTROPHIC = [r"/\b(\w+\s?)+$/", r"/(a+)+$/", r"/(x+x+)+y/", r"/(\w|\d)+!$/"]


def test_catastrophic_regexes_finish_on_texts_that_hang_a_backtracking_engine():
    matcher = compile_rules({"any": CATASTROPHIC})
    texts = ["one two three four five six seven eight nine ten?", *(char * 5_000 + "?" for char in "ax1")]
    with ThreadPoolExecutor(max_workers=1) as pool:
        # A guard, not a speed test: RE2 takes milliseconds; a backtracking engine would leave this waiting for ever.
        outcome = pool.submit(lambda: [matcher.match({"body": text}) for text in texts]).result(timeout=60)
    assert outcome == [[], [], [], []]
    assert matcher.match({"body": "ten words and then the end"})  # the first pattern still matches where it should


# --- the lists of a topic ---------------------------------------------------------------------------------------


def test_any_needs_one_term_and_all_needs_every_term():
    topic = {"any": ["cuts", "savings"], "all": ["council", "library"]}
    assert matches(topic, "The council plans library cuts")
    assert not matches(topic, "The council plans cuts")
    assert not matches(topic, "The council library is open")


def test_a_topic_with_only_all_needs_every_term():
    assert matches({"all": ["council", "cuts"]}, "council cuts")
    assert not matches({"all": ["council", "cuts"]}, "council")


def test_not_vetoes_the_topic_but_not_other_topics():
    matcher = compile_rules({"any": ["cuts"], "not": ["haircuts"]}, {"any": ["cuts"]})
    assert [match.topic_id for match in matcher.match({"body": "cuts and haircuts"})] == ["topic-1"]


def test_ignore_stops_knife_edge_from_matching_knife_without_vetoing():
    topic = {"any": ["knife", "stab*"], "ignore": ["knife-edge", "under the knife"]}
    assert not matches(topic, "a knife-edge vote")
    assert not matches(topic, "a knife–edge vote")
    assert not matches(topic, "she went under the knife")
    assert matches(topic, "a knife-edge vote, then a man was stabbed")
    assert matches(topic, "a knife-edge vote; later a knife was found")


def test_ignore_covers_not_and_place_terms_too():
    places = {"southend": ["Southend"]}
    gated = {"any": ["stab*"], "place": "southend", "ignore": ["Southend United"]}
    assert not matches(gated, "Southend United fan stabbed in Leeds", places=places)
    assert matches(gated, "Southend United fan stabbed in Southend", places=places)
    vetoing = {"any": ["cuts"], "not": ["football"], "ignore": ["football club"]}
    assert matches(vetoing, "football club cuts")
    assert not matches(vetoing, "football cuts")


def test_the_hits_of_a_match_leave_out_what_ignore_set_aside():
    matcher = compile_rules({"any": ["knife", "stab*"], "ignore": ["knife-edge"]})
    assert found(matcher, {"body": "knife-edge vote; knife found; man stabbed"}) == ["knife", "stabbed"]


# --- places and fields ------------------------------------------------------------------------------------------


def test_the_place_gate_needs_a_place_name():
    topic = {"any": ["stab*"], "place": "southend"}
    assert matches(topic, "A man was stabbed in Leigh on Sea", places={"southend": SOUTHEND})
    assert not matches(topic, "A man was stabbed in Chelmsford", places={"southend": SOUTHEND})


def test_a_place_found_in_another_field_counts_and_place_may_list_gazetteers():
    places = {"southend": ["Southend"], "basildon": ["Basildon", "Pitsea"]}
    matcher = compile_rules({"any": ["stab*"], "place": ["southend", "basildon"]}, places=places)
    assert matcher.match({"title": "Pitsea news", "body": "A man was stabbed"})
    assert not matcher.match({"title": "Leeds news", "body": "A man was stabbed"})


def test_fields_restrict_where_terms_and_places_count():
    matcher = compile_rules({"any": ["murder"], "fields": ["title"]})
    assert matcher.match({"title": "Murder inquiry", "body": "nothing"})
    assert not matcher.match({"title": "Inquiry", "summary": "murder", "body": "murder"})
    gated = compile_rules(
        {"any": ["murder"], "place": "southend", "fields": ["body"]}, places={"southend": ["Southend"]}
    )
    assert not gated.match({"title": "Southend", "body": "a murder"})


def test_terms_found_only_in_the_body_count():
    assert compile_rules({"any": ["machete"]}).match({"title": "News", "summary": "", "body": "a machete"})


# --- stemming ---------------------------------------------------------------------------------------------------


def test_stem_matches_other_forms_of_plain_terms_only_when_asked():
    stemmed = {"any": ["planning application", "robbery"], "stem": True}
    assert matches(stemmed, "two planned applications")
    assert matches(stemmed, "a spate of robberies")
    assert not matches(stemmed, "the planet application")
    assert not matches({"any": ["planning application"]}, "two planned applications")


def test_stem_leaves_wildcards_places_and_regexes_alone_and_covers_near_and_ignore():
    places = {"town": ["Housing Estate"]}
    topic = {
        "any": ["polic* NEAR/2 plan", r"/\bxyz\b/"],
        "ignore": ["planning permission"],
        "place": "town",
        "stem": True,
    }
    assert matches(topic, "police plans for the Housing Estate", places=places)
    assert not matches(topic, "police plans for the housed estates", places=places)
    assert not matches(topic, "police planned permissions at the Housing Estate", places=places)


def test_stemmed_hits_are_the_words_in_the_original_text():
    matcher = compile_rules({"any": ["planning application"], "stem": True})
    assert found(matcher, {"body": "Two Planned   Applications."}) == ["Planned   Applications"]


# --- what a match records ---------------------------------------------------------------------------------------


def test_a_match_records_terms_in_yaml_order_hits_fields_and_urgency():
    matcher = compile_rules({"any": ["stab*", "knife"], "all": ["police"], "urgent": True})
    fields = {"title": "Police: knife attack", "body": "A man was stabbed. Police said a knife was used."}
    (match,) = matcher.match(fields)
    assert isinstance(match, Match)
    assert match.topic_id == "topic-0" and match.urgent
    assert match.terms == ("stab*", "knife", "police")
    assert match.fields == ("title", "body")
    assert [(hit.term, hit.field, fields[hit.field][hit.start : hit.end]) for hit in match.hits] == [
        ("police", "title", "Police"),
        ("knife", "title", "knife"),
        ("stab*", "body", "stabbed"),
        ("police", "body", "Police"),
        ("knife", "body", "knife"),
    ]


def test_a_term_in_several_topics_gives_one_match_per_topic():
    matcher = compile_rules({"any": ["knife"]}, {"any": ["machete"]}, {"any": ["knife", "blade"]})
    assert [match.topic_id for match in matcher.match({"body": "a knife"})] == ["topic-0", "topic-2"]


def test_hit_spans_are_in_the_original_text_despite_entities_and_expansions():
    matcher = compile_rules({"any": ["knife", "smith & sons", "strasse"]})
    fields = {"title": "Smith &amp; Sons: ﬁne Straße knife", "body": "Café\u0301… knife"}
    assert found(matcher, fields) == ["Smith &amp; Sons", "Straße", "knife", "knife"]


def test_the_snippet_comes_from_the_body_when_a_hit_is_there_else_the_summary_else_the_title():
    matcher = compile_rules({"any": ["knife"]})
    assert matcher.match({"title": "knife", "summary": "a knife", "body": "the knife"})[0].snippet.text == "the knife"
    assert matcher.match({"title": "knife", "summary": "a knife", "body": "none"})[0].snippet.text == "a knife"
    assert matcher.match({"title": "knife", "summary": "none", "body": "none"})[0].snippet.text == "knife"


def test_the_snippet_is_about_200_characters_cut_at_words_with_every_hit_marked():
    body = " ".join(f"word{index}" for index in range(100)) + " a knife and\n\nanother knife " + "filler " * 60
    (match,) = compile_rules({"any": ["knife"]}).match({"body": body})
    snippet = match.snippet
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert 150 <= len(snippet.text) <= 210
    assert snippet.text[1:].split(" ")[0].startswith("word")  # starts on a whole word
    assert "\n" not in snippet.text
    assert snippet.marked("[", "]").count("[knife]") == 2


def test_a_match_keeps_the_first_hits_of_each_term_in_each_field():
    (match,) = compile_rules({"any": ["knife"]}).match({"title": "knife", "body": "knife " * (HITS_KEPT + 50)})
    assert len(match.hits) == 1 + HITS_KEPT
    assert match.hits[-1] == match.hits[-1].__class__("knife", "body", 6 * (HITS_KEPT - 1), 6 * HITS_KEPT - 1)


def test_one_matcher_serves_many_threads():
    matcher = compile_rules({"any": ["stab*", "knife crime"], "stem": True}, {"any": ["Straße", "police NEAR/2 cuts"]})
    stories = [
        {"body": f"Story {index}: Straße stabbing; knife\ncrime; police face cuts {'x' * index}"}
        for index in range(200)
    ]
    expected = [matcher.match(story) for story in stories]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(matcher.match, stories)) == expected
    assert all(len(matches) == 2 for matches in expected)


def test_missing_and_empty_fields_are_empty_text():
    matcher = compile_rules({"any": ["knife"]})
    assert matcher.match({}) == []
    assert matcher.match({"title": None, "body": ""}) == []
    assert matcher.match({"summary": "knife"})[0].hits[0].field == "summary"


# --- explanations -----------------------------------------------------------------------------------------------


def test_explain_says_why_a_topic_matched():
    topic = {"id": "knife-crime", "name": "Knife crime", "any": ["stab*"], "place": "southend"}
    matcher = compile_rules(topic, places={"southend": SOUTHEND})
    (report,) = matcher.explain({"title": "Westcliff", "body": "A man was stabbed in the street"})
    assert report.matched
    assert report.lines() == [
        "knife-crime (Knife crime): MATCHED",
        "matched: 'stab*' in body: A man was «stabbed» in the street",
        "place: 'Westcliff' in title: «Westcliff»",
    ]


def test_explain_says_why_a_topic_did_not_match():
    topic = {"id": "cuts", "name": "Cuts", "any": ["cuts", "knife"], "all": ["council"], "not": ["football"]}
    matcher = compile_rules({**topic, "ignore": ["knife-edge"], "place": "southend"}, places={"southend": SOUTHEND})
    (report,) = matcher.explain({"title": "Football cuts", "body": "a knife-edge vote"})
    assert not report.matched
    assert report.missing_all == ("council",) and report.place_missing
    assert [hit.term for hit in report.vetoed_by] == ["football"]
    assert [hit.term for hit in report.ignored] == ["knife"]
    assert report.lines() == [
        "cuts (Cuts): not matched",
        "matched: 'cuts' in title: Football «cuts»",
        "not matched: needs all of ['council'] — missing 'council'",
        "vetoed by: 'football' in title: «Football» cuts",
        "ignored: 'knife' in body, inside 'knife-edge': a «knife»-edge vote",
        "place gate: no mention of any place in southend",
    ]


def test_explain_names_the_any_terms_when_none_occurs_and_can_pick_one_topic():
    matcher = compile_rules({"any": ["knife", "machete"]}, {"any": ["cuts"]})
    (report,) = matcher.explain({"body": "nothing here"}, topic="topic-0")
    assert report.lines() == [
        "topic-0 (Topic 0): not matched",
        "not matched: none of the 'any' terms was found ('knife', 'machete')",
    ]
    with pytest.raises(ValueError, match=r"no topic 'nope'.*topic-0, topic-1"):
        matcher.explain({"body": ""}, topic="nope")


def test_explain_counts_repeated_hits_and_gives_each_hit_a_context():
    (report,) = compile_rules({"any": ["police"]}).explain({"body": "police, police and police"})
    assert report.lines()[1] == "matched: 'police' in body (3 times): «police», police and police"
    assert [report.context(hit).marked("[", "]") for hit in report.hits] == [
        "[police], police and police",
        "police, [police] and police",
        "police, police and [police]",
    ]


# --- bad input --------------------------------------------------------------------------------------------------


def test_bad_input_gives_sensible_results():
    matcher = compile_rules({"any": ["knife", "ελληνικά", "£5m"]})
    assert found(matcher, {"body": "x" * 100_000 + " knife"}) == ["knife"]
    assert found(matcher, {"body": "knife" * 1000}) == []  # no spaces: one long word
    assert found(matcher, {"body": "a\x00knife\x07\x1b[0m"}) == ["knife"]
    assert found(matcher, {"body": "🔪 Ελληνικά 漢字 knife £5m"}) == ["Ελληνικά", "knife", "£5m"]
    assert found(matcher, {"title": "Knife &amp; fork &#8217;&nbsp;knife"}) == ["Knife", "knife"]
    assert found(matcher, {"body": "\udc80 knife"}) == ["knife"]  # a lone surrogate from a bad decode


def test_a_megabyte_of_text_is_matched_correctly_and_promptly():
    matcher = compile_rules({"any": ["stab*", "police NEAR/3 cuts"], "ignore": ["knife-edge"]})
    body = "The council met, “again” – café talk. " * 27_000 + "Police face cuts; a man was stabbed."
    started = time.perf_counter()
    (match,) = matcher.match({"body": body})
    assert time.perf_counter() - started < 5  # generous: this is a correctness test, bench/match.py measures speed
    assert [body[hit.start : hit.end] for hit in match.hits] == ["Police", "cuts", "stabbed"]


def test_compiling_the_same_rules_again_reuses_the_matcher_and_new_rules_get_their_own():
    """`monitor poll` checks the rules as it loads them, then polls with them: one compilation, not two."""
    rules = {"topics": [{"id": "knife", "name": "Knife", "any": ["stab*"]}]}
    first = Matcher.compile(KeywordsFile.model_validate(rules))
    assert Matcher.compile(KeywordsFile.model_validate(rules)) is first
    rules["topics"][0]["any"] = ["machete"]
    edited = Matcher.compile(KeywordsFile.model_validate(rules))
    assert edited is not first and edited.match({"body": "a machete"}) and not edited.match({"body": "stabbed"})
