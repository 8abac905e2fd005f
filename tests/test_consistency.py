"""Nothing lost, nothing twice: reordered or republished feeds, and a poll killed half-way."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from click.testing import CliRunner

from monitor.cli import cli
from tests.e2e import STORIES, kill_poll_at_page, publish, write_config


def matches_json(config, data_dir) -> list[dict]:
    result = CliRunner().invoke(
        cli, ["--config", str(config), "matches", "--json"], env={"MONITOR_DATA_DIR": str(data_dir)}
    )
    return json.loads(result.output)


def poll(config, data_dir):
    return CliRunner().invoke(cli, ["--config", str(config), "poll"], env={"MONITOR_DATA_DIR": str(data_dir)})


def test_reordered_and_republished_feed_reports_nothing_twice(news_site, tmp_path):
    config, data = write_config(tmp_path / "config", news_site), tmp_path / "data"
    poll(config, data)
    assert len(matches_json(config, data)) == 1

    republished = tuple(replace(story, age=story.age - timedelta(minutes=30)) for story in reversed(STORIES))
    publish(news_site, republished)  # new order, new dates, new ETag: the feed body is parsed again
    result = poll(config, data)
    assert "not modified" not in result.output
    assert len(matches_json(config, data)) == 1


def test_a_poll_killed_mid_way_loses_nothing_and_repeats_nothing(news_site, tmp_path):
    config, data = write_config(tmp_path / "config", news_site), tmp_path / "data"
    kill_poll_at_page(news_site, f"/news/{STORIES[0].slug}.html", config, data)
    poll(config, data)
    poll(config, data)
    found = matches_json(config, data)
    assert [m["title"] for m in found] == [STORIES[0].title]
