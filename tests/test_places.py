"""Place gates that look at places, not names (issue 12): `not` names in a place list, sources that stand for a place,
and how `check` and `test-rules` show both."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load_config
from monitor.config.errors import ConfigErrors
from monitor.config_checks import rules_check
from monitor.match import Matcher
from monitor.match.settings import KeywordsFile
from tests.e2e import STORIES, write_config

SOUTHEND = {
    "any": ["Southend", "Southend-on-Sea", "Westcliff"],
    "not": ["Southend United", "Southend Magistrates' Court", "Southend Airport"],
}
BASILDON = {"any": ["Basildon"], "not": ["Basildon Crown Court"]}
STABBING = {"id": "knife", "name": "Knife crime", "any": ["stab*"]}


def matcher(*gates: str | list[str], places: dict | None = None) -> Matcher:
    """One knife topic per gate in ``gates``, with ids knife-0, knife-1, ..."""
    topics = [{**STABBING, "id": f"knife-{index}", "place": gate} for index, gate in enumerate(gates)]
    given = places or {"southend": SOUTHEND, "basildon": BASILDON}
    return Matcher.compile(KeywordsFile.model_validate({"places": given, "topics": topics}))


def topics(matcher: Matcher, text: str, places: tuple[str, ...] = ()) -> list[str]:
    return [match.topic_id for match in matcher.match({"body": text}, places)]


# --- `not` names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "A Harlow man appeared at Southend Magistrates' Court charged with a stabbing in Harlow",
        "Southend United striker stabbed in Chelmsford",
        "Passenger stabbed on a flight from Southend Airport",
        "A man stabbed in Basildon appeared at SOUTHEND MAGISTRATES’ COURT",  # any case, curly apostrophe
    ],
)
def test_a_place_name_inside_a_not_name_does_not_open_the_gate(text):
    assert topics(matcher("southend"), text) == []


def test_another_mention_of_the_place_still_counts():
    text = "A Southend United fan was stabbed in Westcliff and appeared at Southend Magistrates' Court"
    assert topics(matcher("southend"), text) == ["knife-0"]


def test_a_not_name_only_stops_its_own_list():
    """A name in two lists that lies inside a `not` name of only one of them is still a mention of the other."""
    places = {"southend": SOUTHEND, "estuary": {"any": ["Southend", "Leigh"]}}
    text = "Southend United striker stabbed"
    gates = matcher("southend", "estuary", ["southend", "estuary"], places=places)
    assert topics(gates, text) == ["knife-1", "knife-2"]


def test_the_plain_list_form_still_works_beside_the_new_form():
    places = {"southend": {"any": ["Southend"], "not": ["Southend United"]}, "basildon": ["Basildon"]}
    both = matcher("southend", "basildon", places=places)
    assert topics(both, "Man stabbed in Basildon") == ["knife-1"]
    assert topics(both, "Southend United fan stabbed") == []


# --- a source that stands for a place -------------------------------------------------------------------------------


def test_a_source_that_stands_for_a_place_opens_that_gate_and_no_other():
    rules = Matcher.compile(
        KeywordsFile.model_validate(
            {
                "places": {"southend": SOUTHEND, "basildon": BASILDON},
                "topics": [
                    {**STABBING, "id": "southend", "place": "southend"},
                    {**STABBING, "id": "basildon", "place": "basildon"},
                    {**STABBING, "id": "anywhere"},
                ],
            }
        )
    )
    paper = "Members noted the rise in knife crime and a stabbing near the civic centre"
    assert topics(rules, paper) == ["anywhere"]
    assert topics(rules, paper, ("southend",)) == ["southend", "anywhere"]
    assert topics(rules, "A stabbing in Basildon", ("southend",)) == ["southend", "basildon", "anywhere"]


def test_a_source_place_does_not_override_not_or_missing_terms():
    rules = Matcher.compile(
        KeywordsFile.model_validate(
            {"places": {"southend": SOUTHEND}, "topics": [{**STABBING, "not": ["knife-edge"], "place": "southend"}]}
        )
    )
    assert topics(rules, "A knife-edge vote after a stabbing", ("southend",)) == []
    assert topics(rules, "The budget was agreed", ("southend",)) == []


# --- explanations --------------------------------------------------------------------------------------------------


def explained(text: str, **source) -> list[str]:
    (report,) = matcher("southend").explain({"body": text}, **source)
    return report.lines()


def test_explain_says_a_place_was_found_only_in_a_name_that_does_not_count():
    lines = explained("A Harlow man appeared at Southend Magistrates' Court charged with a stabbing in Harlow")
    assert lines[0] == "knife-0 (Knife crime): not matched"
    assert lines[2].startswith(
        "place: 'Southend' in body, found only in 'Southend Magistrates' Court', which doesn't count: "
    )
    assert lines[3] == "place gate: no mention of any place in southend that counts"


def test_explain_quotes_the_longest_not_name_a_place_was_found_in():
    places = {"southend": {"any": ["Southend"], "not": ["Southend Magistrates*", "Southend Magistrates' Court"]}}
    (report,) = matcher("southend", places=places).explain({"body": "He appeared at Southend Magistrates' Court"})
    assert "found only in 'Southend Magistrates' Court', which doesn't count" in report.lines()[-2]


def test_explain_says_a_place_also_found_in_a_name_still_counted():
    lines = explained("A Southend United fan was stabbed in Southend")
    assert lines[0].endswith("MATCHED")
    assert any(line.startswith("place: 'Southend' in body: ") for line in lines)
    assert any("also found in 'Southend United', which doesn't count" in line for line in lines)


def test_explain_says_the_source_met_the_gate():
    lines = explained("A stabbing near the civic centre", places=("southend",), source="southend-council")
    assert lines[0].endswith("MATCHED")
    assert lines[-1] == "place gate met by the source (southend-council stands for southend)"


# --- configuration -------------------------------------------------------------------------------------------------

KEYWORDS = """\
places:
  southend:
    any: [Southend, Westcliff]
    not: [Southend United]
topics:
  - id: knife-crime
    name: Knife crime
    any: [stabbing]
    place: southend
"""


def configured(tmp_path, *, place: str = "southend", keywords: str = KEYWORDS):
    (tmp_path / "keywords.yaml").write_text(keywords)
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - id: council\n    name: Southend council\n    type: feed\n"
        f"    url: https://council.example.org/rss\n    place: {place}\n"
    )
    return load_config(tmp_path, checks=[rules_check])


def config_errors(tmp_path, **given) -> list[str]:
    with pytest.raises(ConfigErrors) as raised:
        configured(tmp_path, **given)
    return [str(error) for error in raised.value.errors]


def test_a_source_may_stand_for_one_place_list_or_several(tmp_path):
    assert configured(tmp_path).sources.sources[0].places == ("southend",)
    keywords = KEYWORDS.replace("topics:", "  leigh: [Leigh-on-Sea]\ntopics:")
    assert configured(tmp_path, place="[southend, leigh]", keywords=keywords).sources.sources[0].places == (
        "southend",
        "leigh",
    )


def test_a_source_place_that_is_not_a_place_list_is_located_in_sources_yaml(tmp_path):
    assert config_errors(tmp_path, place="sothend") == [
        "sources.yaml:6:12: source 'council' uses place 'sothend', which is not in places: of keywords.yaml; "
        "did you mean 'southend'? the place lists are: southend; fix the name or add a list under places:"
    ]


def test_a_not_name_holding_no_name_of_its_list_is_refused(tmp_path):
    keywords = KEYWORDS.replace("not: [Southend United]", "not: [Southend United, Rochford]")
    (error,) = config_errors(tmp_path, keywords=keywords)
    assert error.startswith("keywords.yaml:4:28: 'Rochford' under not: contains none of the names of the place list")
    assert "put that place in the topic's not: list" in error


def test_a_place_list_of_the_wrong_shape_says_both_forms(tmp_path):
    (error,) = config_errors(tmp_path, keywords=KEYWORDS.replace("    any: [Southend, Westcliff]\n", ""))
    assert error == "keywords.yaml:2:3: 'southend' in 'places' is missing 'any'; add a line 'any: ...'"
    (error,) = config_errors(tmp_path, keywords="places:\n  southend: Southend\n" + KEYWORDS.split("\n", 4)[4])
    assert "a list of place names, or any: and not: lists of names" in error


# --- the command line --------------------------------------------------------------------------------------------


@pytest.fixture
def monitor(tmp_path, news_site, monkeypatch):
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data"))
    config = write_config(tmp_path / "config", news_site)

    def run(*args: str, code: int = 0):
        result = CliRunner().invoke(cli, ["--config", str(config), *args])
        assert result.exit_code == code, result.output
        return result.output

    run.sources = config / "sources.yaml"
    return run


def stand_for_southend(sources) -> None:
    sources.write_text(sources.read_text() + "    place: southend\n")


def test_check_shows_the_place_a_source_stands_for(monitor):
    assert "(place: southend)" not in monitor("check")
    stand_for_southend(monitor.sources)
    assert "(place: southend)" in monitor("check")


def test_test_rules_can_test_text_as_from_a_source(monitor):
    text = "A teenager was stabbed near the civic centre."
    assert "knife-crime (Knife crime): not matched" in monitor("test-rules", text)
    assert "place gate met by" not in monitor("test-rules", "--source", "local-news", text)
    stand_for_southend(monitor.sources)
    output = monitor("test-rules", "--source", "local-news", text)
    assert "knife-crime (Knife crime): MATCHED" in output
    assert "place gate met by the source (local-news stands for southend)" in output


def test_test_rules_refuses_an_unknown_source_and_source_with_replay(monitor):
    assert "no source with id 'nope' in sources.yaml; known ids: local-news" in monitor(
        "test-rules", "--source", "nope", "text", code=2
    )
    assert "leave out --source" in monitor("test-rules", "--replay", "7d", "--source", "local-news", code=2)


MANCHESTER = next(story for story in STORIES if story.slug == "manchester-stabbing")  # names no Southend place


def test_a_poll_reports_what_a_source_standing_for_the_place_gives(monitor):
    stand_for_southend(monitor.sources)
    monitor("poll")
    assert MANCHESTER.title in monitor("digest", "--dry-run")


def test_replay_matches_stored_stories_as_from_their_source_as_configured_now(monitor):
    monitor("poll")
    assert MANCHESTER.title not in monitor("digest", "--dry-run")
    stand_for_southend(monitor.sources)
    replay = monitor("test-rules", "--replay", "7d")
    assert "knife-crime: 1 new match(es), 0 lost match(es)" in replay
    assert f"+ {MANCHESTER.title}" in replay
