"""Nothing lost, nothing twice: reordered or republished feeds, and a poll killed half-way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta

from click.testing import CliRunner

from monitor.cli import cli
from tests.e2e import STORIES, article_page, publish, write_config


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
    reached, release = threading.Event(), threading.Event()
    stuck_path = f"/news/{STORIES[0].slug}.html"

    def hang(_request):
        reached.set()
        release.wait(10)
        return 200, {"Content-Type": "text/html"}, article_page(STORIES[0]).encode()

    news_site.add_handler(stuck_path, hang)
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "poll"],
        env={**os.environ, "MONITOR_DATA_DIR": str(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert reached.wait(30), "the poll never reached the article page"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        release.set()
        process.kill()

    publish(news_site)  # the page answers normally again
    poll(config, data)
    poll(config, data)
    found = matches_json(config, data)
    assert [m["title"] for m in found] == [STORIES[0].title]
