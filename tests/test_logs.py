"""`log: {format: json}`: one JSON object per line, with the source a line is about; secrets never written."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys

from monitor.observe.logs import MASK, JsonFormatter, Redactor, TextFormatter, about_source
from tests.e2e import publish, write_config

SLACK_TOKEN = "xoxb-1111-2222-abcdefSECRET"
PRIVATE_SOURCE = """  - id: members-feed
    name: Members Feed
    type: feed
    url: http://reader:hunter2-pass@127.0.0.1:{port}/feed.xml
"""


def test_a_poll_logs_json_lines_that_name_their_source_and_hide_secrets(news_site, tmp_path):
    publish(news_site)
    with socket.socket() as reserved:  # the members' feed is down: its failure is logged with its address
        reserved.bind(("127.0.0.1", 0))
        config = write_config(
            tmp_path / "config",
            news_site,
            extra_sources=PRIVATE_SOURCE.format(port=reserved.getsockname()[1]),
            monitor_extra={
                "log": {"format": "json"},
                "outputs": {"slack": {"token": "${SLACK_BOT_TOKEN}", "channel": "#crime"}},
            },
        )
        result = subprocess.run(
            [sys.executable, "-m", "monitor", "-v", "--config", str(config), "poll"],
            env={**os.environ, "MONITOR_DATA_DIR": str(tmp_path / "data"), "SLACK_BOT_TOKEN": SLACK_TOKEN},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "event"} <= line.keys() for line in lines)
    found = next(line for line in lines if line["event"].startswith("source local-news: 3 new items"))
    assert found["source"] == "local-news" and found["level"] == "info"
    assert found["new_items"] == 3 and found["new_matches"] == 1 and found["not_modified"] is False
    failed = next(line for line in lines if line["event"].startswith("source members-feed failed"))
    assert failed["source"] == "members-feed" and failed["level"] == "warning"
    assert f"http://reader:{MASK}@127.0.0.1" in failed["event"]
    assert "hunter2-pass" not in result.stderr and SLACK_TOKEN not in result.stderr
    fetches = [line for line in lines if line["logger"] == "monitor.fetch.client"]
    pages = [line for line in fetches if "high-street-attack" in line["event"]]
    assert pages and all(line["source"] == "local-news" for line in pages)  # page fetches run in other threads


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("monitor.test", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_json_line_carries_the_fields_of_its_event_and_its_error():
    formatter = JsonFormatter(Redactor())
    try:
        raise ValueError("the feed had no items")
    except ValueError:
        failing = record("source %s: %d items", "echo", 0, items=0, url="https://example.org/feed")
        failing.exc_info = sys.exc_info()
    with about_source("echo"):
        line = json.loads(formatter.format(failing))
    assert line["event"] == "source echo: 0 items" and line["source"] == "echo" and line["level"] == "warning"
    assert line["items"] == 0 and line["url"] == "https://example.org/feed"
    assert "ValueError: the feed had no items" in line["traceback"]
    assert "source" not in json.loads(formatter.format(record("outside any poll")))


def test_known_secrets_are_masked_in_text_and_json_alike():
    redact = Redactor()
    redact.know(["smtp-password-42", "https://hooks.slack.com/services/T0/B0/abc"])
    message = "login with smtp-password-42 failed; webhook https://hooks.slack.com/services/T0/B0/abc said no"
    for formatter in (TextFormatter(redact), JsonFormatter(redact)):
        text = formatter.format(record(message, secret_field="smtp-password-42"))
        assert "smtp-password-42" not in text and "hooks.slack.com/services" not in text
        assert text.count(MASK) == 2 + isinstance(formatter, JsonFormatter)


def test_an_edited_configuration_taken_up_by_the_daemon_masks_its_new_secrets_in_its_format(news_site, tmp_path):
    from monitor.app import App
    from monitor.config import ConfigWatcher
    from monitor.observe import logs
    from monitor.scheduler import Daemon
    from monitor.store import Store

    config = write_config(tmp_path / "config", news_site)
    watcher = ConfigWatcher(config)
    logs.use_config(watcher.current)
    daemon = Daemon(watcher, App(watcher.current, Store("sqlite://"), data_dir=tmp_path / "data"))
    webhook = "https://hooks.slack.com/services/T0/B0/new-webhook-secret"
    edited = write_config(
        tmp_path / "config",
        news_site,
        monitor_extra={"log": {"format": "json"}, "outputs": {"slack": {"webhook_url": webhook}}},
    )
    assert edited == config

    daemon.reload()

    assert webhook in logs.settings().secrets and logs.settings().form == "json"
    logs.use_format("text", ())  # as the other tests expect it
