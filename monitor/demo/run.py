"""``monitor demo``: the whole pipeline, offline, against a bundled synthetic news site served on 127.0.0.1."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

from monitor.app import App
from monitor.config import load_config
from monitor.config_checks import rules_check
from monitor.deliver.render import render_html, render_markdown
from monitor.demo.sample_site import serve_sample_site
from monitor.demo.server import LocalSite
from monitor.store import Store

_HERE = Path(__file__).parent
CONFIG_FILES = ("monitor.yaml", "sources.yaml", "keywords.yaml")


def run_demo(echo: Callable[[str], None], workdir: Path | None = None) -> Path:
    """Serve the sample site, poll it once into a fresh database, print a dry-run digest; return the HTML preview's
    path."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="beatwatch-demo-"))
    with LocalSite() as site:
        serve_sample_site(site)
        config_dir = write_demo_config(workdir / "config", site.base_url)
        config = load_config(config_dir, checks=[rules_check])
        store = Store(Store.default_url(workdir / "data"))
        app = App(config, store, data_dir=workdir / "data", stream=io.StringIO())
        echo(f"Sample site at {site.url('/')}; polling {len(config.sources.sources)} sources and their articles…")
        for report in app.poll():
            echo(
                f"  {report.source_id}: {report.new_items} new items, {report.new_matches} matches"
                + (f", error: {report.error}" if report.error else "")
            )
        digest = app.delivery.pending_digest()
        app.close()
        store.close()  # the end of the process no longer finalises it (see monitor.startup.garbage_collection)
    echo("")
    echo(render_markdown(digest))
    preview = workdir / "digest-preview.html"
    preview.write_text(render_html(digest), encoding="utf-8")
    echo(f"HTML preview: {preview}")
    return preview


def write_demo_config(target: Path, base_url: str) -> Path:
    """The demo's three configuration files in ``target``, pointing at the sample site served at ``base_url``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in CONFIG_FILES:
        text = (_HERE / "config" / name).read_text(encoding="utf-8")
        (target / name).write_text(text.replace("{{BASE}}", base_url), encoding="utf-8")
    return target
