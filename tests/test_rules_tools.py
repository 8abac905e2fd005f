"""The tools for people who write rules: `monitor test-rules` (text, file, URL, replay) and `monitor stats`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.e2e import STORIES, write_config


@pytest.fixture
def monitor(tmp_path, news_site, monkeypatch):
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data"))
    config = write_config(tmp_path / "config", news_site)

    def run(*args: str):
        return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    run.config = config
    return run


def test_text_that_matches_is_explained_term_by_term(monitor):
    result = monitor("test-rules", "A man was stabbed on Southend seafront.")
    assert result.exit_code == 0, result.output
    assert "knife-crime (Knife crime): MATCHED" in result.output
    assert "stabbed" in result.output and "«stabbed»" in result.output
    assert "Southend" in result.output  # the place that opened the gate


def test_text_without_the_place_says_the_gate_is_shut(monitor):
    result = monitor("test-rules", "A man was stabbed in Manchester.")
    assert "knife-crime (Knife crime): not matched" in result.output
    assert "place gate: no mention of any place in southend" in result.output


def test_a_file_is_tested_like_text(monitor, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Police seized a machete\nin Westcliff on Friday.", encoding="utf-8")
    result = monitor("test-rules", "--file", str(story))
    assert "MATCHED" in result.output and "machete" in result.output


def test_a_url_is_fetched_and_extracted_as_a_poll_would(monitor, news_site):
    result = monitor("test-rules", "--url", news_site.url(f"/news/{STORIES[0].slug}.html"))
    assert "MATCHED" in result.output and "stabbed" in result.output
    decoy = monitor("test-rules", "--url", news_site.url(f"/news/{STORIES[1].slug}.html"))
    assert "not matched" in decoy.output
    assert "Machete" not in decoy.output  # the "most read" sidebar is not part of the article


def test_a_url_that_cannot_be_fetched_is_a_clear_error(monitor, news_site):
    result = CliRunner().invoke(cli, ["--config", str(monitor.config), "test-rules", "--url", news_site.url("/gone")])
    assert result.exit_code == 1
    assert "could not test" in result.output and "404" in result.output


def test_replay_shows_what_an_edit_would_change_on_stored_items(monitor):
    monitor("poll")
    keywords = monitor.config / "keywords.yaml"
    edited = keywords.read_text().replace('"machete", ', "").replace('"stabbed", ', "")
    edited = edited.replace('"knife crime",', '"knife crime", "knife-edge",')
    keywords.write_text(edited)
    result = monitor("test-rules", "--replay", "7d")
    assert result.exit_code == 0, result.output
    assert "knife-crime: 1 new match(es), 1 lost match(es)" in result.output
    assert f"+ {STORIES[1].title}" in result.output
    assert f"- {STORIES[0].title}" in result.output


def test_replay_with_unchanged_rules_changes_nothing(monitor):
    monitor("poll")
    result = monitor("test-rules", "--replay", "7d")
    assert "No difference" in result.output


def test_stats_counts_terms_and_lists_those_that_never_matched(monitor):
    monitor("poll")
    result = monitor("stats", "--since", "30d")
    assert result.exit_code == 0, result.output
    assert "knife-crime: 1 item(s)" in result.output
    never = result.output.split("never matched in knife-crime:", 1)[1]
    assert "bladed article" in never and "stabbed" not in never


def test_exactly_one_kind_of_input_is_required(monitor):
    result = CliRunner().invoke(cli, ["--config", str(monitor.config), "test-rules"])
    assert result.exit_code == 2 and "exactly one of" in result.output


def test_an_unknown_topic_is_a_usage_error(monitor):
    for args in (("test-rules", "--topic", "nope", "text"), ("matches", "--topic", "nope")):
        result = CliRunner().invoke(cli, ["--config", str(monitor.config), *args])
        assert result.exit_code == 2 and "no topic with id 'nope'" in result.output
