"""The shipped config/ as a Southend crime desk meets it (issue 12, acceptance 1 and 3): a story is Southend's by where
it happened, not by an organisation's name or the court that hears it; a council source that stands for Southend needs
no place name on the page; and the README's copy of the place lists is the shipped one."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from monitor.demo.server import LocalSite
from tests.e2e import Story, publish, write_config
from tests.test_council_digest import council_app
from tests.test_moderngov import PDF, ModernGovSite
from tests.test_pdf import make_pdf

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "config"
KEYWORDS = YAML(typ="safe").load((SHIPPED / "keywords.yaml").read_text(encoding="utf-8"))
# The real Southend Echo story of issue 12, kept outside the project: read where it is, never copied in.
SEED_ARTICLE = ROOT.parent / "shared" / "reference" / "seed-article.txt"
SEED_TOPICS = {"police-numbers", "knife-crime", "pfcc"}


def matched_topics(output: str) -> set[str]:
    """The topic ids `monitor test-rules` reports as MATCHED."""
    return set(re.findall(r"^(\S+) \(.*\): MATCHED$", output, re.MULTILINE))


def test_a_drugs_raid_in_colchester_named_by_essex_police_is_not_southend_news(monitor):
    result = monitor(
        "test-rules",
        "A Colchester man was charged with drug supply after Essex Police raided a flat in Colchester",
        config=SHIPPED,
    )
    assert result.exit_code == 0, result.output
    assert "drugs-county-lines (Drugs and county lines): not matched" in result.output
    assert matched_topics(result.output) == set()


def test_a_harlow_case_heard_at_southend_magistrates_court_is_not_southend_news_and_test_rules_says_why(monitor):
    result = monitor(
        "test-rules",
        "A Harlow man appeared at Southend Magistrates' Court charged with a stabbing in Harlow",
        config=SHIPPED,
    )
    assert matched_topics(result.output) == set()
    courts = result.output[result.output.index("courts (") :]
    assert "found only in 'Southend Magistrates' Court', which doesn't count" in courts
    assert "place gate: no mention of any place in southend that counts" in courts


def test_the_same_stabbing_in_westcliff_is_southend_news(monitor):
    """The control for the two above: the rules do see a Southend case when the crime was in Southend."""
    result = monitor(
        "test-rules",
        "A Harlow man appeared at Southend Magistrates' Court charged with a stabbing in Westcliff",
        config=SHIPPED,
    )
    assert matched_topics(result.output) == {"knife-crime", "violence", "courts"}


def seed_article() -> str:
    if not SEED_ARTICLE.exists():
        pytest.skip(f"the seed article is not at {SEED_ARTICLE}")
    return SEED_ARTICLE.read_text(encoding="utf-8")


def test_the_echo_story_on_the_councils_petition_for_officers_matches_its_three_topics(monitor, tmp_path):
    story = tmp_path / "seed.txt"
    story.write_text(seed_article(), encoding="utf-8")
    result = monitor("test-rules", "--file", str(story), config=SHIPPED)
    assert matched_topics(result.output) == SEED_TOPICS


def test_a_story_matching_three_topics_is_shown_once_in_the_digest(monitor, tmp_path):
    first, *rest = [paragraph for paragraph in seed_article().split("\n\n") if paragraph.strip()]
    story = Story("council-petition", "Councillors say their letters were ignored", first, " ".join(rest))
    with LocalSite() as site:
        publish(site, [story])
        config = write_config(tmp_path / "config", site)
        shutil.copy(SHIPPED / "keywords.yaml", config / "keywords.yaml")
        assert monitor("poll", config=config).exit_code == 0
        digest = json.loads(monitor("digest", "--dry-run", "--json", config=config).output)
        shown = monitor("digest", "--dry-run", config=config).output

    entries = [entry for section in digest["sections"] for entry in section["entries"]]
    assert digest["stories"] == 1 and len(entries) == 1
    assert set(entries[0]["topics"]) == SEED_TOPICS
    assert shown.count(story.title) == 1


KNIFE_CRIME_PAPER = [
    "Knife crime action plan: progress report",
    "Possession of a bladed article by under-18s in the city rose by a fifth this year. Knife arches will be used at "
    "both railway stations on Friday nights and the youth service will run weapons awareness sessions in schools.",
]


@pytest.mark.parametrize(("place", "reported"), [("southend", True), (None, False)])
def test_a_council_source_that_stands_for_southend_reports_a_knife_crime_paper_that_never_names_it(
    tmp_path, site, place, reported
):
    council = ModernGovSite(site)
    council.documents["60001"] = (200, PDF, make_pdf(KNIFE_CRIME_PAPER))
    keywords = (SHIPPED / "keywords.yaml").read_text(encoding="utf-8")
    app = council_app(tmp_path, site, keywords, place=place)
    try:
        [poll] = app.poll()
        assert poll.error is None
        urls = {match.url for match in app.views.matches(topic="knife-crime")}
    finally:
        app.close()
    assert not re.search(r"southend|westcliff|leigh", " ".join(KNIFE_CRIME_PAPER), re.IGNORECASE)
    assert (site.url("mgConvert2PDF.aspx?ID=60001") in urls) is reported


def readme_block_after(heading: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert heading in readme, f"README.md has no {heading!r}"
    found = re.search(r"^```yaml\n(.*?)^```", readme[readme.index(heading) :], re.MULTILINE | re.DOTALL)
    assert found, f"no yaml block after {heading!r} in README.md"
    return found.group(1)


def test_the_readme_lists_the_shipped_places_whole():
    copy = YAML(typ="safe").load(readme_block_after("### The shipped places"))
    assert copy == {"places": KEYWORDS["places"]}


def test_the_readme_table_names_every_shipped_topic_in_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The shipped rules") : readme.index("### The shipped places")]
    assert re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE) == [topic["id"] for topic in KEYWORDS["topics"]]
