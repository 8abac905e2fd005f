"""End to end through the `monitor` command: YAML files in, a local news site polled, a digest printed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e import STORIES, publish, write_config

REPO = Path(__file__).resolve().parent.parent


def test_check_accepts_the_shipped_config(monitor):
    result = monitor("check", config=REPO / "config")
    assert result.exit_code == 0, result.output
    assert "Topics" in result.output and "knife-crime" in result.output
    assert "Next digest:" in result.output
    assert "  console: all topics" in result.output


def test_check_names_file_line_and_fix_of_a_misspelt_key(monitor, tmp_path, news_site):
    config = write_config(tmp_path / "config", news_site)
    keywords = config / "keywords.yaml"
    keywords.write_text(keywords.read_text().replace("    all: []", "    al: []"))
    result = monitor("check", config=config)
    assert result.exit_code == 2
    line = next(n for n, text in enumerate(keywords.read_text().splitlines(), 1) if "al: []" in text)
    assert f"keywords.yaml:{line}:5: " in result.output
    assert "'all'" in result.output  # the suggested fix


def test_check_reports_an_absurd_interval_as_a_located_error_not_a_traceback(monitor, tmp_path, news_site):
    config = write_config(tmp_path / "config", news_site)
    sources = config / "sources.yaml"
    sources.write_text(sources.read_text().replace("every: 15m", "every: 99999999999d"))
    result = monitor("check", config=config)
    assert result.exit_code == 2
    line = next(n for n, text in enumerate(sources.read_text().splitlines(), 1) if "99999999999d" in text)
    assert f"sources.yaml:{line}:10: '99999999999d' is longer than ten years" in result.output
    assert "Traceback" not in result.output


def test_poll_stores_matches_and_a_second_poll_is_conditional(monitor, tmp_path, news_site):
    config = write_config(tmp_path / "config", news_site)
    first = monitor("poll", config=config)
    assert first.exit_code == 0, first.output
    assert "local-news" in first.output

    listed = json.loads(monitor("matches", "--json", config=config).output)
    assert [(m["topic"], m["title"]) for m in listed] == [("knife-crime", STORIES[0].title)]
    match = listed[0]
    assert set(match) >= {"topic", "source", "title", "url", "published", "terms", "snippet", "delivered"}
    assert match["source"] == "local-news" and match["delivered"] is False
    assert set(match["terms"]) == {"stabbed", "machete"}
    assert match["published"].endswith("+00:00")
    assert "**stabbed**" in match["snippet"]

    feed_requests_before = [r for r in news_site.requests if r.path == "/news/rss.xml"]
    second = monitor("poll", config=config)
    assert second.exit_code == 0
    assert "not modified" in second.output
    feed_requests = [r for r in news_site.requests if r.path == "/news/rss.xml"][len(feed_requests_before) :]
    assert len(feed_requests) == 1 and feed_requests[0].headers.get("if-none-match")
    assert len(json.loads(monitor("matches", "--json", config=config).output)) == 1


def test_digest_dry_run_records_nothing_then_digest_delivers_once(monitor, tmp_path, news_site):
    config = write_config(tmp_path / "config", news_site)
    monitor("poll", config=config)

    dry = monitor("digest", "--dry-run", config=config)
    assert STORIES[0].title in dry.output
    assert not (tmp_path / "data" / "digests").exists()
    assert json.loads(monitor("matches", "--json", config=config).output)[0]["delivered"] is False

    sent = monitor("digest", config=config)
    assert sent.exit_code == 0
    assert STORIES[0].title in sent.output
    assert len(list((tmp_path / "data" / "digests").glob("*.md"))) == 1
    assert len(list((tmp_path / "data" / "digests").glob("*.html"))) == 1
    assert json.loads(monitor("matches", "--json", config=config).output)[0]["delivered"] is True

    again = monitor("digest", config=config)
    assert again.output.strip().startswith("No new matches")
    assert len(again.output.strip().splitlines()) == 1


def test_first_poll_records_old_items_without_reporting_them(monitor, tmp_path, news_site):
    config = write_config(tmp_path / "config", news_site, backfill="1h")  # every story is older than an hour
    result = monitor("poll", config=config)
    assert result.exit_code == 0
    assert json.loads(monitor("matches", "--json", config=config).output) == []
    page_fetches = [r for r in news_site.requests if r.path.startswith("/news/") and r.path.endswith(".html")]
    assert page_fetches == []  # backfilled stories are not fetched either

    newer = STORIES[0].__class__(
        "new-attack",
        "Second attack in Leigh-on-Sea",
        "Police were called.",
        "A man was stabbed in Leigh-on-Sea on Broadway.",
    )
    publish(news_site, (*STORIES, newer))
    monitor("poll", config=config)
    titles = [m["title"] for m in json.loads(monitor("matches", "--json", config=config).output)]
    assert titles == [newer.title]


def test_a_failing_source_does_not_stop_a_healthy_one(monitor, tmp_path, news_site):
    extra = f"""  - id: broken-site
    name: Broken
    type: feed
    url: {news_site.url("/missing.xml")}
  - id: not-a-feed
    name: Not a feed
    type: feed
    url: {news_site.url("/news/budget-vote.html")}
"""
    config = write_config(tmp_path / "config", news_site, extra_sources=extra)
    result = monitor("poll", config=config)
    assert result.exit_code == 0
    assert "404" in result.output
    assert "feed" in result.output.split("not-a-feed", 1)[1]
    assert len(json.loads(monitor("matches", "--json", config=config).output)) == 1


def test_poll_of_an_unknown_source_is_a_usage_error_found_before_the_store_is_opened(monitor, tmp_path, news_site):
    config = write_config(tmp_path / "config", news_site)
    result = monitor("poll", "--source", "nope", config=config)
    assert result.exit_code == 2
    assert "no source with id nope" in result.output
    assert not (tmp_path / "data").exists()  # MONITOR_DATA_DIR: no database was created


def test_status_shows_each_sources_health(monitor, tmp_path, news_site):
    extra = f"""  - id: broken-site
    name: Broken
    type: feed
    url: {news_site.url("/missing.xml")}
"""
    config = write_config(tmp_path / "config", news_site, extra_sources=extra)
    before = monitor("status", config=config)
    assert "never" in before.output
    monitor("poll", config=config)
    after = monitor("status", config=config)
    assert after.exit_code == 0, after.output
    broken = next(line for line in after.output.splitlines() if "broken-site" in line)
    assert "404" in broken and " 1 " in broken
    assert "Outbox: 0 pending, 0 failed" in after.output


def test_a_route_to_an_unknown_topic_or_an_unconfigured_output_is_a_config_error(monitor, tmp_path, news_site):
    routes = {"routes": [{"topics": ["knife-crime", "knif-crime"], "slack_channel": "#crime"}]}
    config = write_config(tmp_path / "config", news_site, monitor_extra=routes)
    result = monitor("check", config=config)
    assert result.exit_code == 2
    assert "monitor.yaml:" in result.output and "'knif-crime', which is not in keywords.yaml" in result.output
    assert "outputs.slack is not configured" in result.output


def test_a_bug_in_one_source_is_reported_in_the_table_and_the_others_still_poll(
    monitor, tmp_path, news_site, monkeypatch
):
    from monitor.sources.feed import FeedSource

    real_discover = FeedSource.discover

    def discover(self, fetcher, state):  # fault injection: one source breaks in a way nobody planned for
        if self.config.id == "buggy":
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        return real_discover(self, fetcher, state)

    monkeypatch.setattr(FeedSource, "discover", discover)
    extra = f"""  - id: buggy
    name: Buggy
    type: feed
    url: {news_site.url("/news/rss.xml")}
"""
    config = write_config(tmp_path / "config", news_site, extra_sources=extra)
    result = monitor("poll", config=config)
    assert result.exit_code == 0, result.output
    assert "an unexpected problem while reading" in result.output
    assert "UnicodeDecodeError" not in result.output  # the traceback, with its name, is in the log only
    assert len(json.loads(monitor("matches", "--json", config=config).output)) == 1
    status = monitor("status", config=config).output
    assert " 1 " in next(line for line in status.splitlines() if "buggy" in line)
