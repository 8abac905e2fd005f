"""Watching `monitor run` from outside: /healthz, /metrics and `monitor health`, against the real daemon process."""

from __future__ import annotations

import re
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from monitor.app import App
from monitor.config import ConfigWatcher
from monitor.scheduler import Daemon as DaemonParts
from monitor.store import Store
from tests.e2e import publish, write_config
from tests.test_daemon import STOP_LIMIT, Daemon

GONE_SOURCE = """  - id: gone-news
    name: Gone News
    type: feed
    url: {url}
"""


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with exactly ``labels`` in a /metrics answer; None when it is absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def polls_of(source: str, text: str) -> float:
    outcomes = ("ok", "not_modified", "failed")
    return sum(metric(text, "beatwatch_polls_total", source=source, outcome=outcome) or 0 for outcome in outcomes)


def scrape_until(base: str, holds: Callable[[str], bool], limit: float = 20.0) -> str:
    """/metrics once ``holds`` is true of it: the daemon logs a poll a moment before it counts it."""
    deadline = time.monotonic() + limit
    while not holds(text := httpx2.get(f"{base}/metrics").text):
        if time.monotonic() > deadline:
            pytest.fail(f"/metrics did not come to hold within {limit} s:\n{text}")
        time.sleep(0.05)
    return text


@pytest.fixture
def health(monitor, monkeypatch):
    """`monitor health` (in-process) asking the daemon at ``address``, as a HEALTHCHECK does in the image."""

    def ask(address: str, config: Path | None = None):
        monkeypatch.setenv("MONITOR_HTTP_LISTEN", address)
        return monitor("health", config=config)

    return ask


@pytest.fixture
def watched_daemon(news_site, tmp_path):
    """`monitor run` polling every second, with a feed that works and one that answers 404, serving /healthz and
    /metrics on a port of its choosing; yields (daemon, base URL, data folder)."""
    publish(news_site)
    extra = GONE_SOURCE.format(url=news_site.url("/gone/rss.xml"))
    config = write_config(
        tmp_path / "config", news_site, extra_sources=extra, monitor_extra={"http": {"listen": "127.0.0.1:0"}}
    )
    sources = config / "sources.yaml"
    sources.write_text(sources.read_text().replace("every: 15m", "every: 1s"))
    daemon = Daemon(config, tmp_path / "data")
    try:
        base = re.search(r"at (http://\S+)", daemon.wait_for("serving /healthz")).group(1)
        yield daemon, base, tmp_path / "data"
    finally:
        daemon.process.kill()


def test_healthz_metrics_and_monitor_health_follow_the_daemon_and_its_database(watched_daemon, health):
    daemon, base, data = watched_daemon
    daemon.wait_for("source local-news:")
    first = scrape_until(base, lambda text: polls_of("local-news", text) > 0)
    polls = polls_of("local-news", first)
    assert metric(first, "beatwatch_items_total", source="local-news") == 3
    assert metric(first, "beatwatch_matches_total", source="local-news", topic="knife-crime") == 1
    assert metric(first, "beatwatch_outbox_deliveries", state="pending") is not None
    assert metric(first, "beatwatch_database_up") == 1
    scrape_until(base, lambda text: polls_of("local-news", text) > polls)
    failures = scrape_until(
        base, lambda text: metric(text, "beatwatch_polls_total", source="gone-news", outcome="failed")
    )
    assert metric(failures, "beatwatch_fetch_failures_total", source="gone-news", reason="http_404") >= 1
    assert metric(failures, "beatwatch_poll_duration_seconds_count", source="gone-news") >= 1

    healthy = httpx2.get(f"{base}/healthz")
    assert healthy.status_code == 200 and healthy.text.startswith("ok: 2 sources")
    address = base.removeprefix("http://")
    answer = health(address)
    assert answer.exit_code == 0 and answer.stdout.startswith("ok")
    assert httpx2.get(f"{base}/elsewhere").status_code == 404

    for path in data.glob("beatwatch.sqlite3*"):
        path.unlink()
    sick = httpx2.get(f"{base}/healthz")
    assert sick.status_code == 503
    assert sick.text.count("\n") == 1 and "beatwatch.sqlite3 is gone" in sick.text
    answer = health(address)
    assert answer.exit_code == 1 and "is gone" in answer.stdout

    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(timeout=STOP_LIMIT) == 0


def test_monitor_health_fails_when_nothing_answers_or_nothing_is_configured(health, news_site, tmp_path):
    with socket.socket() as reserved:  # bound but not listening: connections to it are refused
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        answer = health(f"0.0.0.0:{port}")
    assert answer.exit_code == 1
    assert f"no answer from http://127.0.0.1:{port}/healthz" in answer.stdout
    answer = health("", config=write_config(tmp_path / "config", news_site))
    assert answer.exit_code == 1 and "set http.listen in monitor.yaml" in answer.stderr


def test_run_says_in_one_line_when_its_http_address_is_taken(monitor, news_site, tmp_path, monkeypatch):
    config = write_config(tmp_path / "config", news_site)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        monkeypatch.setenv("MONITOR_HTTP_LISTEN", address)
        result = monitor("run", config=config)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert f"cannot serve /healthz and /metrics on {address}" in line and "MONITOR_HTTP_LISTEN" in line


def test_a_listen_address_that_is_not_host_and_port_is_a_config_error_with_its_line(monitor, news_site, tmp_path):
    config = write_config(tmp_path / "config", news_site, monitor_extra={"http": {"listen": "9464"}})
    result = monitor("check", config=config)
    assert result.exit_code == 2
    assert re.search(r"monitor\.yaml:\d+:\d+: .*not an address to listen on; write host:port", result.output)


def test_metrics_show_the_outbox_and_when_each_destination_last_had_a_digest(monitor, news_site, tmp_path):
    publish(news_site)
    config = write_config(tmp_path / "config", news_site)
    monitor("poll", config=config)
    assert monitor("digest", config=config).exit_code == 0
    watcher = ConfigWatcher(config)
    store = Store(Store.default_url(tmp_path / "data"))
    parts = DaemonParts(watcher, App(watcher.current, store, data_dir=tmp_path / "data"))
    text = generate_latest(parts.metrics.registry).decode()
    [sent] = store.deliveries(states=["sent"])
    assert metric(text, "beatwatch_last_digest_timestamp_seconds", output="console", destination=sent.destination) == (
        sent.sent_at.timestamp()
    )
    assert metric(text, "beatwatch_outbox_deliveries", state="pending") == 0
    assert metric(text, "beatwatch_outbox_deliveries", state="failed") == 0
    store.close()


def test_reloads_are_counted_ok_and_failed(news_site, tmp_path):
    config = write_config(tmp_path / "config", news_site)
    watcher = ConfigWatcher(config)
    parts = DaemonParts(watcher, App(watcher.current, Store("sqlite://"), data_dir=tmp_path / "data"))
    keywords = config / "keywords.yaml"
    original = keywords.read_text()
    keywords.write_text(original.replace("any:", "ani:", 1))
    parts.reload()
    keywords.write_text(original.replace("machete", "cleaver"))
    parts.reload()
    text = generate_latest(parts.metrics.registry).decode()
    assert metric(text, "beatwatch_config_reloads_total", result="failed") == 1
    assert metric(text, "beatwatch_config_reloads_total", result="ok") == 1


def test_health_is_unwell_until_the_scheduler_runs(news_site, tmp_path: Path):
    config = write_config(tmp_path / "config", news_site)
    watcher = ConfigWatcher(config)
    parts = DaemonParts(watcher, App(watcher.current, Store("sqlite://"), data_dir=tmp_path / "data"))
    assert parts.health().ok is False and parts.health().reason == "the scheduler is not running"
