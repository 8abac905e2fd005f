"""Edition names (issue 10): each `digest.schedule` entry may carry a name; the daemon's digest job hands it to the
delivery service, and a digest run by hand is named by its time."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.app import App
from monitor.config import ConfigWatcher
from monitor.config_checks import rules_check
from monitor.scheduler import Daemon
from monitor.store import Store
from tests.e2e import STORIES, Story, publish, write_config

SCHEDULE = {"digest": {"schedule": [{"cron": "0 8 * * *", "name": "Morning"}, "0 17 * * 1-5"]}}


def daemon_for(tmp_path, news_site, schedule=SCHEDULE) -> tuple[Daemon, io.StringIO]:
    config = write_config(tmp_path / "config", news_site, monitor_extra=schedule)
    watcher = ConfigWatcher(config, checks=[rules_check])
    stream = io.StringIO()
    app = App(watcher.current, Store(Store.default_url(tmp_path / "data")), data_dir=tmp_path / "data", stream=stream)
    daemon = Daemon(watcher, app)
    daemon._schedule(watcher.current)
    return daemon, stream


def digest_jobs(daemon: Daemon) -> dict[str, object]:
    return {job.id: job for job in daemon.scheduler.get_jobs() if job.id.startswith("digest:")}


def test_the_daemons_digest_job_names_its_edition_and_an_unnamed_one_its_time(tmp_path, news_site):
    daemon, stream = daemon_for(tmp_path, news_site)
    jobs = digest_jobs(daemon)
    assert sorted(jobs) == ["digest:0:Morning", "digest:1:"]

    daemon.app.poll()
    jobs["digest:0:Morning"].func()
    assert re.search(r"^# Beatwatch Morning digest — \w{3} \d+ \w{3} \d{4} — 1 new story$", stream.getvalue(), re.M)

    stream.seek(0)
    stream.truncate()
    publish(news_site, (*STORIES, Story("westcliff", "Man stabbed in Westcliff", "Police were called.", "")))
    daemon.app.poll()
    before = datetime.now(ZoneInfo("Europe/London"))
    jobs["digest:1:"].func()
    after = datetime.now(ZoneInfo("Europe/London"))
    times = {f"{before:%H:%M}", f"{after:%H:%M}"}
    named = re.search(r"^# Beatwatch (\d\d:\d\d) digest", stream.getvalue(), re.M)
    assert named and named.group(1) in times


def test_renaming_an_edition_replaces_its_job(tmp_path, news_site):
    daemon, _ = daemon_for(tmp_path, news_site)
    renamed = {"digest": {"schedule": [{"cron": "0 8 * * *", "name": "Breakfast"}, "0 17 * * 1-5"]}}
    write_config(tmp_path / "config", news_site, monitor_extra=renamed)

    daemon.reload()

    assert sorted(digest_jobs(daemon)) == ["digest:0:Breakfast", "digest:1:"]
