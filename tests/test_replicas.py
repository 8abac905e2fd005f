"""Three `monitor run` processes on one PostgreSQL database share 200 feeds of a local site; one is killed on the way.

What the site saw proves the schedule: every feed asked for about once an interval, never twice within half of one, a
dead daemon's feeds taken up by the others; what Slack received proves that every match was alerted once."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from monitor.demo.server import LocalSite, Request
from tests.e2e import NOW, write_config
from tests.slack_server import SlackServer
from tests.test_daemon import start_daemon
from tests.test_delivery import links

pytestmark = [pytest.mark.both_backends, pytest.mark.usefixtures("database_url")]

FEEDS = 200
EVERY = 8.0  # seconds: short, so the test sees several turns; 200 feeds in 8 s keep three daemons busy enough
LATE = 3.0  # what a loaded test machine may add to a turn (scheduling, a busy poll pool)
CHANNEL = "#crime-alerts"
POLLED = re.compile(r"source (feed-\d+): ")


class Feeds:
    """The site's 200 feeds: each request is timed, and a story can be added to any feed."""

    def __init__(self, site: LocalSite) -> None:
        self.site = site
        self.asked: dict[str, list[float]] = defaultdict(list)
        self.stories: dict[str, list[str]] = defaultdict(list)
        self._lock = threading.Lock()
        for number in range(FEEDS):
            site.add_handler(f"/feeds/{number}.xml", self._answer)

    def _answer(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        feed = f"feed-{request.path.rsplit('/', 1)[1].removesuffix('.xml')}"
        with self._lock:
            self.asked[feed].append(time.monotonic())
            stories = list(self.stories[feed])
        items = "".join(
            f"<item><title>Man stabbed in Southend ({slug})</title><link>{self.site.url(f'/news/{slug}.html')}</link>"
            f"<guid>{slug}</guid><description>A man was stabbed in Southend.</description>"
            f"<pubDate>{NOW.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
            for slug in stories
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{feed}</title>{items}</channel></rss>'
        return 200, {"Content-Type": "application/rss+xml"}, body.encode()

    def publish(self, feeds: list[str], label: str) -> list[str]:
        """A new story on each of ``feeds``; their links."""
        with self._lock:
            for feed in feeds:
                self.stories[feed].append(f"{feed}-{label}")
        return [self.site.url(f"/news/{feed}-{label}.html") for feed in feeds]

    def times(self) -> dict[str, list[float]]:
        with self._lock:
            return {feed: list(times) for feed, times in self.asked.items()}


class Replica:
    """`monitor run` as a process, its log kept line by line."""

    def __init__(self, config: Path, data: Path) -> None:
        self.process = start_daemon(config, data)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def polled(self) -> set[str]:
        return {match[1] for line in list(self.lines) if (match := POLLED.search(line))}


def wait_for(condition, what: str, seconds: float, replicas: list[Replica]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            logs = "".join(f"--- daemon {n}\n" + "".join(r.lines[-15:]) for n, r in enumerate(replicas))
            pytest.fail(f"gave up waiting for {what}; the last lines of each daemon's log:\n{logs}")
        time.sleep(0.1)


def alerted(slack: SlackServer) -> set[str]:
    return {link for message in slack.messages for link in links(message)}


def sources_yaml(site: LocalSite) -> str:
    entries = "".join(
        f"  - {{id: feed-{n}, name: Feed {n}, type: feed, url: {site.url(f'/feeds/{n}.xml')}}}\n" for n in range(FEEDS)
    )
    return f"defaults:\n  every: {EVERY:.0f}s\n  jitter: 0s\n  full_text: false\nsources:\n{entries}"


def held_by(database_url: str, replica: Replica) -> list[str]:
    """The sources the database says ``replica`` polls."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        held = connection.scalars(
            text(
                "SELECT source_id FROM poll_turns JOIN replicas ON replicas.id = poll_turns.replica_id "
                "WHERE replicas.name LIKE :name ORDER BY source_id"
            ),
            {"name": f"%:{replica.process.pid}"},
        ).all()
    engine.dispose()
    return list(held)


def test_three_daemons_share_200_feeds_and_the_survivors_take_over_a_killed_ones(postgres_only, tmp_path):
    database_url = postgres_only
    with LocalSite() as site, SlackServer(channels={CHANNEL}) as slack:
        feeds = Feeds(site)
        outputs = {"console": False, "slack": {"token": slack.token, "api_url": slack.api_url, "channel": CHANNEL}}
        config = write_config(tmp_path / "config", site, urgent=True, monitor_extra={"outputs": outputs})
        (config / "sources.yaml").write_text(sources_yaml(site))
        replicas = [Replica(config, tmp_path / f"data-{n}") for n in range(3)]
        try:
            wait_for(lambda: len(feeds.times()) == FEEDS, "every feed to be polled once", 60, replicas)
            time.sleep(2 * EVERY)  # the daemons settle their shares
            first = feeds.publish([f"feed-{n}" for n in range(0, FEEDS, 5)], "before")
            wait_for(lambda: alerted(slack) >= set(first), "the first alerts", 30, replicas)

            doomed = replicas[2]
            orphans = held_by(database_url, doomed)
            doomed.process.kill()
            killed_at = time.monotonic()
            second = feeds.publish(orphans, "after")
            wait_for(lambda: alerted(slack) >= set(first + second), "the alerts found after the kill", 30, replicas)
            time.sleep(EVERY)
            ended_at = time.monotonic()
        finally:
            for replica in replicas:
                replica.process.send_signal(signal.SIGTERM)
            codes = [replica.process.wait(15) for replica in replicas]
        asked = feeds.times()

    assert codes[:2] == [0, 0]
    shares = [len(replica.polled()) for replica in replicas]
    assert all(shares) and len(orphans) > 0, f"each daemon polled some feeds: {shares}"
    assert held_by(database_url, replicas[0]) and held_by(database_url, replicas[1])
    gaps = {feed: [later - earlier for earlier, later in pairwise(times)] for feed, times in asked.items()}
    # A poll the killed daemon had begun counts from when it took its turn, and its request may have gone out a while
    # later on a busy machine: the gap across the kill is the one gap that may be shorter (that poll died with it).
    alive_gaps = {
        feed: [
            later - earlier
            for earlier, later in pairwise(asked[feed])
            if not (feed in orphans and earlier <= killed_at < later)
        ]
        for feed in asked
    }
    # A request may leave up to LATE after its turn on a loaded machine, and the next one on time: two daemons taking
    # one turn would ask within moments of each other, far under this.
    too_soon = {feed: min(gap) for feed, gap in alive_gaps.items() if gap and min(gap) < EVERY / 2 - LATE}
    assert len(asked) == FEEDS
    assert not too_soon, f"feeds polled again within half an interval: {too_soon}"
    for feed, times in asked.items():  # the wait since the last poll counts too: no feed was left behind
        gaps[feed].append(ended_at - times[-1])
    too_late = {feed: max(gap) for feed, gap in gaps.items() if max(gap) > EVERY * 3 / 2 + LATE}
    assert not too_late, f"feeds that waited longer than an interval and a half: {too_late}"
    for feed in orphans:
        taken_up = [moment for moment in asked[feed] if moment > killed_at]
        assert taken_up and taken_up[0] - killed_at <= EVERY * 3 / 2 + LATE, feed
    every_link = [link for message in slack.messages for link in links(message)]
    assert sorted(every_link) == sorted(first + second)  # each match alerted once, none lost
