"""Council material through the whole pipeline: a ModernGov council polled twice, read as the digest shows it."""

from __future__ import annotations

import io
from datetime import UTC
from pathlib import Path

from monitor.app import App
from monitor.config import load_config
from monitor.config_checks import rules_check
from monitor.deliver.render import render_html, render_markdown
from monitor.sources.kinds import describe_state
from monitor.store import Store
from tests.test_moderngov import NOW, ModernGovSite
from tests.test_pdf import make_pdf
from tests.test_store import database_made_by

KEYWORDS = """topics:
  - id: police-numbers
    name: Police numbers
    any: ["police officers", "more officers"]
"""


def council_app(tmp_path, site, keywords: str = KEYWORDS, *, place: str | None = None) -> App:
    """The council on ``site`` as one ModernGov source, polled by an App; ``place``: the source's `place:`."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "monitor.yaml").write_text(
        'user_agent: "Beatwatch-test/0.1 (+https://example.org)"\nfirst_run_backfill: 3650d\nfetch: {host_delay: 0s}\n'
    )
    (config / "sources.yaml").write_text(
        f"sources:\n  - id: council\n    name: Southend Council\n    type: moderngov\n    url: {site.base_url}\n"
        + (f"    place: {place}\n" if place else "")
    )
    (config / "keywords.yaml").write_text(keywords)
    store = Store(Store.default_url(tmp_path / "data"))
    return App(
        load_config(config, checks=[rules_check]),
        store,
        data_dir=tmp_path / "data",
        clock=lambda: NOW,
        stream=io.StringIO(),
    )


def test_council_minutes_reach_the_digest_with_meeting_event_item_and_page(tmp_path, site):
    council = ModernGovSite(site)
    app = council_app(tmp_path, site)
    [first] = app.poll()
    assert first.error is None and first.new_matches >= 1
    report = render_markdown(app.delivery.pending_digest())
    assert "p. 4" in report and "**police officers**" in report  # the PDF report, cited by page

    app.delivery.digest()
    council.after = True  # minutes published, a document added, a meeting cancelled
    [second] = app.poll()
    assert second.error is None
    digest = render_markdown(app.delivery.pending_digest())
    assert "Minutes published — item" in digest
    assert "p. 4" not in digest  # what was already delivered is not repeated
    [third] = app.poll()
    assert (third.new_items, third.new_matches) == (0, 0)


# Every kind of council entry, as the digest reads it: agenda items, documents (PDF pages, HTML, Word), decisions, then
# minutes, a new document, a cancelled meeting and a changed document. The expected texts were written by the code
# before council meaning became a typed reference; they must not change.
EVERY_ENTRY_KEYWORDS = """topics:
  - id: council
    name: Council business
    any: [Cabinet, PSPO, "street drinking", apologies, "knife crime", CCTV, allotment, partnership, "police officers"]
"""
EXPECTED = Path(__file__).parent / "fixtures" / "council_digest"


def test_every_kind_of_council_entry_reads_exactly_as_before(tmp_path, site):
    council = ModernGovSite(site)
    app = council_app(tmp_path, site, keywords=EVERY_ENTRY_KEYWORDS)
    texts = []
    for change in (None, "after", "document changed"):
        if change == "after":
            council.after = True
        elif change == "document changed":
            revised = make_pdf(["Crime figures, revised.", "Knife crime fell."])
            council.documents["60003"] = (200, "application/pdf", revised)
            council.replacements["<publicationdate>16/11/2026</publicationdate>"] = (
                "<publicationdate>18/11/2026</publicationdate>"
            )
        [report] = app.poll()
        assert report.error is None
        digest = app.delivery.pending_digest()
        texts.append(render_markdown(digest).replace(site.base_url, "{{BASE}}"))
        texts.append(render_html(digest).replace(site.base_url, "{{BASE}}"))
        app.delivery.digest()

    names = ("first.md", "first.html", "after.md", "after.html", "changed.md", "changed.html")
    assert texts == [(EXPECTED / name).read_text() for name in names]


def test_a_database_of_the_version_before_typed_references_reads_and_polls_on_as_before(tmp_path, site):
    """schema-v4.sql is the first poll of this council by that version: items with (name, value) pairs, and the
    source's checkpoint as a flat map of JSON strings."""
    council = ModernGovSite(site)
    database_made_by("schema-v4.sql", tmp_path / "data", base_url=site.base_url)
    app = council_app(tmp_path, site, keywords=EVERY_ENTRY_KEYWORDS)

    digest = render_markdown(app.delivery.pending_digest()).replace(site.base_url, "{{BASE}}")
    assert digest == (EXPECTED / "first.md").read_text()

    downloads = len(council.requested("/mgConvert2PDF.aspx"))
    [again] = app.poll()
    assert (again.error, again.new_items, list(again.notes)) == (None, 0, [])
    assert len(council.requested("/mgConvert2PDF.aspx")) == downloads  # the old checkpoint was read, not set aside
    state = app.store.source_state("council")
    assert describe_state(app.config.sources.sources[0], state, zone=UTC) == "web service"
