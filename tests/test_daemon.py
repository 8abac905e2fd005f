"""`monitor run` as a process: it polls on schedule, reloads edited rules, and exits 0 soon after SIGTERM."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.e2e import STORIES, Story, publish, write_config

pytestmark = [pytest.mark.both_backends, pytest.mark.usefixtures("database_url")]

STOP_LIMIT = 10.0


def start_daemon(config_dir: Path, data_dir: Path) -> subprocess.Popen[str]:
    """`monitor run` in a child process, its log (stdout and stderr) in one text pipe."""
    # Polls every second are refused in real configurations; this daemon is allowed them so the test is quick.
    env = {**os.environ, "MONITOR_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", "MONITOR_SHORTEST_INTERVAL": "1s"}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config_dir), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_to_the_end(config_dir: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`monitor run` that is expected to stop by itself (refusing to start), with what it said."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config_dir), "run"],
        env={**os.environ, "MONITOR_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=30,
    )


class Daemon:
    """`monitor run` in a child process, its log read line by line in a thread so waits can have a deadline."""

    def __init__(self, config_dir: Path, data_dir: Path) -> None:
        self.process = start_daemon(config_dir, data_dir)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, needle: str, limit: float = 30.0) -> str:
        """The first new log line containing ``needle``; fails if the daemon ends or ``limit`` passes first."""
        deadline = time.monotonic() + limit
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail("daemon ended early:\n" + "".join(self.seen))
            self.seen.append(line)
            if needle in line:
                return line
        pytest.fail(f"no {needle!r} within {limit} s:\n" + "".join(self.seen))

    def rest(self) -> str:
        self.process.wait(5)
        lines = []
        while (line := self.lines.get(timeout=5)) is not None:
            lines.append(line)
        return "".join(lines)


def test_run_polls_at_once_and_stops_cleanly_on_sigterm(news_site, tmp_path):
    config_dir = write_config(tmp_path / "config", news_site)
    daemon = Daemon(config_dir, tmp_path / "data")
    try:
        assert "1 new matches" in daemon.wait_for("source local-news:")
        daemon.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = daemon.process.wait(timeout=STOP_LIMIT)
        assert time.monotonic() - started < STOP_LIMIT
        assert code == 0
        assert "stopped" in daemon.rest()
    finally:
        daemon.process.kill()


def test_run_refuses_to_start_on_a_broken_config(news_site, tmp_path):
    config_dir = write_config(tmp_path / "config", news_site)
    keywords = config_dir / "keywords.yaml"
    keywords.write_text(keywords.read_text().replace("any:", "ani:", 1))
    result = run_to_the_end(config_dir, tmp_path / "data")
    assert result.returncode == 2
    assert "keywords.yaml:" in result.stderr and "ani" in result.stderr
    assert len(result.stderr.splitlines()) == 1  # one problem, one line: what is wrong and how to fix it


@pytest.mark.usefixtures("sqlite_only")
def test_a_second_daemon_on_the_same_sqlite_file_is_refused_in_one_line(news_site, tmp_path):
    config_dir = write_config(tmp_path / "config", news_site)
    first = Daemon(config_dir, tmp_path / "data")
    try:
        first.wait_for("running:")
        second = run_to_the_end(config_dir, tmp_path / "data")
    finally:
        first.process.send_signal(signal.SIGTERM)
        first.process.wait(STOP_LIMIT)
    assert second.returncode == 2
    [line] = second.stderr.splitlines()
    assert line.startswith(f"another `monitor run` is already working on {tmp_path / 'data' / 'beatwatch.sqlite3'}")
    assert first.process.returncode == 0


def replace_file(path: Path, text: str) -> None:
    """Write as an editor saves: whole, in one step, so the daemon never reads half a file."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def test_edited_rules_take_effect_without_restart_and_a_broken_edit_keeps_the_old_ones(news_site, tmp_path):
    config_dir = write_config(tmp_path / "config", news_site)
    sources = config_dir / "sources.yaml"
    sources.write_text(sources.read_text().replace("every: 15m", "every: 1s"))
    keywords = config_dir / "keywords.yaml"
    daemon = Daemon(config_dir, tmp_path / "data")
    try:
        daemon.wait_for("1 new matches")

        replace_file(keywords, keywords.read_text().replace('"machete",', '"machete", "knife-edge",'))
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for("configuration reloaded")
        vote = Story("second-vote", "Another close vote", "Councillors met again.", "A knife-edge vote in Southend.")
        publish(news_site, (*STORIES, vote))
        assert "1 new matches" in daemon.wait_for("1 new items")

        good = keywords.read_text()
        replace_file(keywords, good.replace("    all: []", "    al: []"))
        broken_line = next(n for n, text in enumerate(keywords.read_text().splitlines(), 1) if "al: []" in text)
        complaint = daemon.wait_for("keeping the last good configuration")
        assert f"keywords.yaml:{broken_line}:5:" in complaint and "'all'" in complaint
        attack = Story("leigh-attack", "Attack in Leigh-on-Sea", "Police called.", "A man was stabbed in Leigh-on-Sea.")
        publish(news_site, (*STORIES, vote, attack))
        assert "1 new matches" in daemon.wait_for("1 new items")  # the old rules still work
    finally:
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(STOP_LIMIT)


def test_run_sends_an_urgent_alert_through_the_delivery_pool_after_the_poll_that_found_it(
    news_site, tmp_path, monkeypatch
):
    from tests.slack_server import SlackServer

    with SlackServer(channels={"#crime-digest"}) as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        outputs = {
            "console": False,
            "slack": {
                "token": "${SLACK_BOT_TOKEN}",
                "api_url": slack.api_url,
                "channel": "#crime-digest",
                "timeout": 5,
            },
        }
        config_dir = write_config(tmp_path / "config", news_site, urgent=True, monitor_extra={"outputs": outputs})
        daemon = Daemon(config_dir, tmp_path / "data")
        try:
            assert "1 new matches" in daemon.wait_for("source local-news:")
            assert "slack #crime-digest" in daemon.wait_for("delivered alert #1")
        finally:
            daemon.process.send_signal(signal.SIGTERM)
            daemon.process.wait(STOP_LIMIT)
        [alert] = slack.messages
        assert alert.blocks[0]["text"]["text"] == "Urgent: Knife crime — 1 new story"


def test_a_run_refused_because_the_last_is_still_going_is_told_from_a_missed_one(news_site, tmp_path, caplog):
    from datetime import UTC, datetime

    from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent, JobSubmissionEvent

    from tests.test_editions import daemon_for

    daemon, _ = daemon_for(tmp_path, news_site)
    at = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    daemon._on_job_trouble(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, "poll:local-news", "default", [at, at]))
    daemon._on_job_trouble(JobExecutionEvent(EVENT_JOB_MISSED, "digest:0:", "default", at))
    assert [record.getMessage() for record in caplog.records if record.name == "monitor.daemon"] == [
        f"job poll:local-news did not run at {at}, {at}: its previous run was still going",
        f"job digest:0: did not run at {at}: the daemon was too late for it (the machine asleep, paused or overloaded)",
    ]
