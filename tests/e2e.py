"""A small local news site and a config pointing at it, for end-to-end tests that go from YAML to a printed digest."""

from __future__ import annotations

import html
import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from ruamel.yaml import YAML

from monitor.demo.server import LocalSite

NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Clock:
    """The time as a test sets it: a clock to inject wherever Beatwatch asks for "now"."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    summary: str
    body: str
    age: timedelta = timedelta(hours=2)


# The body carries the decisive words; the feed summary never does, so only full-text matching finds them.
STORIES = (
    Story(
        "high-street-attack",
        "Man taken to hospital after attack on Southend High Street",
        "Emergency services were called to the town centre on Saturday night.",
        "A 24-year-old man was stabbed in the leg outside a shop on Southend High Street. Officers found a machete "
        "nearby and a 19-year-old from Westcliff has been arrested on suspicion of wounding.",
    ),
    Story(
        "budget-vote",
        "Council budget passes in knife-edge vote",
        "Councillors in Southend approved the budget by a single vote.",
        "The knife-edge vote at the civic centre in Southend followed a long debate on parking charges and libraries.",
        age=timedelta(hours=3),
    ),
    Story(
        "manchester-stabbing",
        "Teenager stabbed in Manchester",
        "Greater Manchester Police are appealing for witnesses.",
        "A teenager was stabbed in Moss Side on Friday evening. Detectives are appealing for dashcam footage.",
        age=timedelta(hours=4),
    ),
)

SIDEBAR = "".join(
    f'<li><a href="/news/other-{i}.html">{headline}</a></li>'
    for i, headline in enumerate(["Machete attack in Basildon park", "Southend pier opening times", "Weather warning"])
)


def article_page(story: Story) -> str:
    paragraphs = "".join(f"<p>{sentence.strip()}.</p>" for sentence in story.body.split(". ") if sentence.strip())
    return f"""<!doctype html><html><head><title>{story.title} | Local News</title></head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div></header>
<main><article><h1>{story.title}</h1><p class="byline">By Sam Reporter, Crime reporter</p>
<p>{story.summary}</p>{paragraphs}
<p>Anyone with information should call 101, quoting the incident number, or Crimestoppers anonymously.</p>
</article>
<aside class="most-read"><h2>Most read</h2><ul>{SIDEBAR}</ul></aside>
<section class="comments"><h2>Comments</h2><p>Reader123: Another stabbing, this town is finished.</p></section>
</main><footer>Copyright Local News Ltd. All rights reserved. Privacy policy. Contact us.</footer></body></html>"""


def rss_feed(site: LocalSite, stories=STORIES) -> str:
    # A title is HTML in RSS, so a headline that reads "<!channel>" is written &amp;lt;!channel&amp;gt; by its site.
    items = "".join(
        f"""<item><title>{escape(html.escape(story.title, quote=False))}</title>
<link>{site.url(f"/news/{story.slug}.html")}</link>
<guid isPermaLink="false">local-news-{story.slug}</guid><description><![CDATA[<p>{story.summary}</p>]]></description>
<pubDate>{format_datetime(NOW - story.age)}</pubDate></item>"""
        for story in stories
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Local News</title>
<link>{site.url("/")}</link><description>News from the patch</description>{items}</channel></rss>"""


def publish(site: LocalSite, stories=STORIES) -> None:
    for story in stories:
        site.add(f"/news/{story.slug}.html", article_page(story), content_type="text/html; charset=utf-8")
    site.add("/news/rss.xml", rss_feed(site, stories), content_type="application/rss+xml")


MONITOR_YAML = """timezone: Europe/London
user_agent: "Beatwatch-test/0.1 (+https://example.org/beatwatch; test@example.org)"
first_run_backfill: {backfill}
digest:
  schedule: ["0 8 * * *"]
outputs:
  console: true
fetch:
  host_delay: 0s
  timeout: 5
"""

SOURCES_YAML = """defaults:
  every: 15m
  full_text: true
  jitter: 0s
sources:
  - id: local-news
    name: Local News
    type: feed
    url: {feed}
"""

KEYWORDS_YAML = """places:
  southend: [Southend, Southend-on-Sea, Westcliff, Leigh-on-Sea]
topics:
  - id: knife-crime
    name: Knife crime
    any: ["knife crime", "stabbing", "stabbed", "machete", "bladed article"]
    all: []
    not: []
    place: southend
    urgent: false
"""


def write_config(
    directory: Path,
    site: LocalSite,
    *,
    backfill: str = "7d",
    extra_sources: str = "",
    monitor_extra: Mapping[str, Any] | None = None,
    full_text: bool = True,
    urgent: bool = False,
    extra_topics: str = "",
) -> Path:
    """The three files for ``site``. ``monitor_extra`` is merged into monitor.yaml (e.g. outputs, routes, admin,
    delivery); ``full_text=False`` matches feed text only (no page fetches); ``urgent`` makes knife-crime urgent;
    ``extra_topics`` is YAML appended to the topics list."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "monitor.yaml").write_text(_merged_yaml(MONITOR_YAML.format(backfill=backfill), monitor_extra or {}))
    sources = SOURCES_YAML.format(feed=site.url("/news/rss.xml"))
    (directory / "sources.yaml").write_text(
        sources.replace("full_text: true", f"full_text: {str(full_text).lower()}") + extra_sources
    )
    keywords = KEYWORDS_YAML.replace("urgent: false", f"urgent: {str(urgent).lower()}")
    (directory / "keywords.yaml").write_text(keywords + extra_topics)
    return directory


def _merged_yaml(text: str, extra: Mapping[str, Any]) -> str:
    if not extra:
        return text
    yaml = YAML(typ="safe", pure=True)
    merged = _deep_merge(yaml.load(text), extra)
    out = io.StringIO()
    yaml.dump(merged, out)
    return out.getvalue()


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        both_maps = isinstance(value, Mapping) and isinstance(merged.get(key), dict)
        merged[key] = _deep_merge(merged[key], value) if both_maps else value
    return merged


def kill_poll_at_page(site: LocalSite, path: str, config: Path, data: Path) -> None:
    """Run `monitor poll` as a process and SIGKILL it while it waits for the page at ``path``; the page is then served
    normally again."""
    reached, release = threading.Event(), threading.Event()

    def hang(_request):
        reached.set()
        release.wait(10)
        return 200, {"Content-Type": "text/html"}, b""  # nobody is listening any more

    site.add_handler(path, hang)
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "poll"],
        env={**os.environ, "MONITOR_DATA_DIR": str(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert reached.wait(30), f"the poll never reached {path}"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        release.set()
        process.kill()
    publish(site)


@pytest.fixture
def news_site():
    with LocalSite() as site:
        publish(site)
        yield site
