"""Council material through the whole pipeline: a ModernGov council polled twice, read as the digest shows it."""

from __future__ import annotations

import io

from monitor.app import App, rules_check
from monitor.config import load_config
from monitor.deliver.render import render_markdown
from monitor.store import Store
from tests.test_moderngov import NOW, ModernGovSite

KEYWORDS = """topics:
  - id: police-numbers
    name: Police numbers
    any: ["police officers", "more officers"]
"""


def council_app(tmp_path, site) -> App:
    config = tmp_path / "config"
    config.mkdir()
    (config / "monitor.yaml").write_text(
        'user_agent: "Beatwatch-test/0.1 (+https://example.org)"\nfirst_run_backfill: 3650d\nfetch: {host_delay: 0s}\n'
    )
    (config / "sources.yaml").write_text(
        f"sources:\n  - id: council\n    name: Southend Council\n    type: moderngov\n    url: {site.base_url}\n"
    )
    (config / "keywords.yaml").write_text(KEYWORDS)
    store = Store(Store.default_url(tmp_path / "data"))
    return App(load_config(config, checks=[rules_check]), store, data_dir=tmp_path / "data", clock=lambda: NOW,
               stream=io.StringIO())


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
