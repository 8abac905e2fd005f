"""When each source is polled next, against a local server that sends the caching and waiting headers real servers
send: Cache-Control and Expires floors (capped), Retry-After on 429 and 503 for that source only, a back-off after
repeated failures, and a 410 Gone that stops a source until its entry changes, with one admin notice. The time is an
injected clock: nothing sleeps."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest

from monitor import terminal
from monitor.app import App
from monitor.config import ConfigWatcher, load_config
from monitor.config_checks import rules_check
from monitor.fetch import FetchError
from monitor.fetch.freshness import fresh_for
from monitor.next_poll import Turn
from monitor.scheduler import Daemon
from monitor.store import Store, WaitReason
from tests.e2e import NOW, STORIES, Clock, Story, publish, rss_feed, write_config
from tests.slack_server import SlackServer

FEED = "/news/rss.xml"
EVERY = timedelta(minutes=15)  # tests.e2e's sources.yaml: every 15m, no jitter
LATER = Story("pier-arrest", "Arrest after pier fight", "A man was arrested on the pier.", "He was stabbed.")
SERVER_DATE = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # the server's own clock, which need not be ours
ADMIN_CHANNEL = "#beatwatch-admin"
START = NOW.replace(hour=12, minute=0, second=0)  # noon: the waits below end the same day, so shown as HH:MM
ZONE = "Europe/London"  # tests.e2e's monitor.yaml


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def dated(**expires_after: int) -> dict[str, str]:
    """A Date, and an Expires ``minutes`` after it."""
    return {"Date": http_date(SERVER_DATE), "Expires": http_date(SERVER_DATE + timedelta(**expires_after))}


# --- reading an answer's freshness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "fresh"),
    [
        ({}, None),
        ({"cache-control": "max-age=600"}, timedelta(minutes=10)),
        ({"cache-control": 'public, MAX-AGE="600"'}, timedelta(minutes=10)),
        ({"cache-control": "max-age=600", "age": "120"}, timedelta(minutes=8)),
        ({"cache-control": "max-age=600", "age": "600"}, None),
        ({"cache-control": "max-age=0, must-revalidate"}, None),
        ({"cache-control": "no-cache, max-age=600"}, None),
        ({"cache-control": "private, no-store"}, None),
        ({"cache-control": "max-age=600", "expires": http_date(SERVER_DATE)}, timedelta(minutes=10)),  # max-age wins
        ({"cache-control": "s-maxage=600"}, None),  # for shared caches only
        ({"date": http_date(SERVER_DATE), "expires": http_date(SERVER_DATE + timedelta(hours=1))}, timedelta(hours=1)),
        ({"date": http_date(SERVER_DATE), "expires": http_date(SERVER_DATE - timedelta(hours=1))}, None),
        ({"date": http_date(SERVER_DATE), "expires": "0"}, None),  # an invalid date means "already expired"
        ({"expires": http_date(SERVER_DATE + timedelta(minutes=5))}, timedelta(minutes=5)),  # no Date: our clock
    ],
)
def test_freshness_is_read_from_cache_control_expires_date_and_age(headers, fresh):
    assert fresh_for(headers, now=SERVER_DATE) == fresh


# --- the app, on an injected clock ---------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def hh_mm(moment: datetime) -> str:
    """A time as `monitor status` shows it: the time alone on the day of START, else the day too."""
    local = moment.astimezone(ZoneInfo(ZONE))
    return f"{local:%H:%M}" if local.date() == START.astimezone(ZoneInfo(ZONE)).date() else f"{local:%a %d %b %H:%M}"


@pytest.fixture
def make_app(tmp_path, site, clock, caplog):
    """``make_app(extra_sources="...", **write_config options)``: the whole app over ``site``, feed text only."""
    caplog.set_level(logging.INFO)
    apps: list[App] = []

    def make(**options) -> App:
        directory = write_config(tmp_path / "config", site, full_text=False, **options)
        store = Store(Store.default_url(tmp_path / "data"))
        apps.append(App(load_config(directory, checks=[rules_check]), store, clock=clock, stream=io.StringIO()))
        return apps[-1]

    yield make
    for app in apps:
        app.close()
        app.store.close()


def requests_to(site, path: str) -> list[dict[str, str]]:
    return [dict(request.headers) for request in site.requests if request.path == path]


def warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def status_lines(app: App) -> list[str]:
    return terminal.waiting_lines(app.views.status())


# --- the floor: Cache-Control and Expires, each with validators of its own ----------------------------------------

# (validators, caching headers, the floor after a 200, the floor after a 304); the interval is 15 minutes, so no floor
# is longer than an hour.
SERVERS = {
    "no caching headers, both validators": ({}, {}, None, None),
    "max-age of 30 minutes, strong ETag": (dict(last_modified=None), {"Cache-Control": "max-age=1800"}, 30, 30),
    "max-age of a day, capped at four intervals": ({}, {"Cache-Control": "public, max-age=86400"}, 60, 60),
    "max-age less the Age a cache added, Last-Modified only": (
        dict(etag=None),
        {"Cache-Control": "max-age=1800", "Age": "600"},
        20,
        20,
    ),
    "Expires 45 minutes after Date, no validators": (dict(etag=None, last_modified=None), dated(minutes=45), 45, 45),
    "Expires before Date, weak ETag": (dict(etag="weak", last_modified=None), dated(minutes=-60), None, None),
    "an Expires that is not a date": ({}, {"Expires": "0"}, None, None),
    "no-cache beside a max-age": ({}, {"Cache-Control": "no-cache, max-age=1800"}, None, None),
    "no-store, a new ETag every time": (dict(etag="per-request"), {"Cache-Control": "no-store"}, None, None),
    "max-age=0": ({}, {"Cache-Control": "max-age=0, must-revalidate"}, None, None),
    "max-age beside a later Expires": ({}, {"Cache-Control": "max-age=600", **dated(hours=2)}, 10, 10),
    "caching headers on the 200 only (bare 304)": (dict(bare_304=True), {"Cache-Control": "max-age=1800"}, 30, None),
}


def serve_feed(site, stories, validators, headers) -> None:
    site.add(FEED, rss_feed(site, stories), content_type="application/rss+xml", headers=headers, **validators)


@pytest.mark.parametrize(("validators", "headers", "after_200", "after_304"), SERVERS.values(), ids=SERVERS.keys())
def test_a_feed_is_not_asked_again_before_its_floor_and_each_story_is_stored_once(
    make_app, site, clock, caplog, validators, headers, after_200, after_304
):
    app = make_app()
    serve_feed(site, STORIES, validators, headers)
    [source] = app.config.sources.sources
    reports = []
    for poll in range(4):
        if poll == 3:
            serve_feed(site, (*STORIES, LATER), validators, headers)
        reports.append(app.poller.poll_source(source))
        # An unchanged feed is a 304 where the server sent validators, else a 200 with the same body.
        answered_304 = reports[-1].unchanged and validators != dict(etag=None, last_modified=None)
        floor = after_304 if answered_304 else after_200
        [health] = app.store.source_health()
        if floor is None:
            assert health.wait is None and reports[-1].next_poll == ""
            clock.advance(EVERY)
            continue
        assert health.wait.reason is WaitReason.FRESH
        assert health.wait.until == clock.now + timedelta(minutes=floor)
        asked = len(requests_to(site, FEED))
        clock.advance(timedelta(minutes=floor) - timedelta(seconds=1))
        early = app.poller.poll_source(source)
        assert early.postponed and len(requests_to(site, FEED)) == asked  # no request made
        assert "the server said the feed stays the same until then" in terminal.poll_remarks(early)
        assert status_lines(app) == [
            "Sources waiting before their next poll:",
            f"  local-news: next poll at {hh_mm(health.wait.until)}: the server said the feed stays the same until "
            "then",
        ]
        clock.advance(timedelta(seconds=1))

    assert [report.error for report in reports] == [None] * 4
    assert [report.new_items for report in reports] == [len(STORIES), 0, 0, 1]
    assert [report.unchanged for report in reports] == [False, True, True, False]
    assert sorted(item.title for item in app.store.items(since=START - timedelta(days=1))) == sorted(
        story.title for story in (*STORIES, LATER)
    )
    sent = requests_to(site, FEED)
    assert len(sent) == 4
    for request in sent[1:]:  # conditional wherever the server gave a validator
        assert ("if-none-match" in request) == (validators.get("etag", "strong") is not None)
        assert ("if-modified-since" in request) == (validators.get("last_modified", "imf") is not None)
    assert warnings(caplog) == []


def test_a_floor_is_no_longer_than_four_intervals_of_the_source(make_app, site, clock):
    app = make_app(extra_sources="    every: 2h\n")  # the local-news entry polls every two hours
    serve_feed(site, STORIES, {}, {"Cache-Control": "max-age=31536000"})

    app.poll()

    [health] = app.store.source_health()
    assert health.wait.until == clock.now + 4 * timedelta(hours=2)


def test_naming_a_source_polls_it_before_its_floor_and_says_so(make_app, site, clock):
    app = make_app()
    serve_feed(site, STORIES, {}, {"Cache-Control": "max-age=1800"})
    app.poll()

    [skipped] = app.poll()
    [named] = app.poll(["local-news"], named=True)

    assert skipped.postponed and not named.postponed
    assert named.unchanged and named.notes == (
        f"polled because it was named; otherwise next poll at {hh_mm(START + timedelta(minutes=30))}: the server said "
        "the feed stays the same until then",
    )
    assert len(requests_to(site, FEED)) == 2


# --- Retry-After: that source, and no other, waits --------------------------------------------------------------------

BUSY = "/busy.xml"
BUSY_SOURCE = """  - id: busy
    name: Busy
    type: feed
    url: {url}
"""


@pytest.mark.parametrize(
    ("status", "retry_after", "wait"),
    [
        (503, "120", timedelta(minutes=2)),
        (429, "3600", timedelta(hours=1)),
        (503, http_date(START + timedelta(hours=2)), timedelta(hours=2)),  # a date, by our clock's reckoning
        (429, "604800", timedelta(days=1)),  # a week: at most a day
    ],
)
def test_retry_after_on_429_or_503_postpones_that_source_and_no_other(make_app, site, clock, status, retry_after, wait):
    publish(site)
    site.add(BUSY, "come back later", status=status, headers={"Retry-After": retry_after})
    app = make_app(extra_sources=BUSY_SOURCE.format(url=site.url(BUSY)))

    first = {report.source_id: report for report in app.poll()}
    clock.advance(wait - timedelta(seconds=1))
    waiting = {report.source_id: report for report in app.poll()}
    named = {report.source_id: report for report in app.poll(["busy"], named=True)}
    clock.advance(timedelta(seconds=1))
    due = {report.source_id: report for report in app.poll()}

    assert f"answered {status}" in first["busy"].error
    until = (
        hh_mm(START + wait)
        if wait < timedelta(hours=12)
        else f"{(START + wait).astimezone(ZoneInfo(ZONE)):%a %d %b %H:%M}"
    )
    assert first["busy"].next_poll == f"waiting for the server's Retry-After until {until}"
    assert waiting["busy"].postponed and named["busy"].postponed  # a name does not go past the server's own request
    assert terminal.poll_remarks(named["busy"]).startswith("not polled: waiting for the server's Retry-After until ")
    assert not waiting["local-news"].postponed and waiting["local-news"].unchanged  # the other source is polled
    assert not due["busy"].postponed and due["busy"].error
    assert len(requests_to(site, BUSY)) == 2
    assert len(requests_to(site, FEED)) == 3


def test_retry_after_on_other_statuses_is_not_a_wait(make_app, site):
    publish(site)
    site.add(BUSY, "oops", status=500, headers={"Retry-After": "3600"})
    app = make_app(extra_sources=BUSY_SOURCE.format(url=site.url(BUSY)))

    app.poll()

    assert {health.source_id: health.wait for health in app.store.source_health()} == {"busy": None, "local-news": None}


# --- back-off after failures -----------------------------------------------------------------------------------------


def test_a_failing_source_backs_off_doubling_its_wait_up_to_the_cap_and_a_success_resets_it(make_app, site, clock):
    app = make_app(extra_sources=BUSY_SOURCE.format(url=site.url(BUSY)))
    publish(site)
    site.add(BUSY, "broken", status=500)
    busy = app.config.sources.sources[1]
    polled_at = []
    for turn in range(60):  # the daemon's turns, every 15 minutes
        report = app.poller.poll_source(busy)
        if not report.postponed:
            polled_at.append(turn)
        if turn == 7:
            said = f"next poll at {hh_mm(clock.now + 8 * EVERY)}: backing off after 4 failures in a row"
            assert report.next_poll == said  # as the poll ends, before anything is read back
            assert status_lines(app) == ["Sources waiting before their next poll:", f"  busy: {said}"]
        clock.advance(EVERY)
    # After failure n (n >= 2) the wait is 2^(n-1) turns: 2, 4, 8, 16, then 6 hours (24 turns) at most.
    assert polled_at == [0, 1, 3, 7, 15, 31, 55]

    serve_feed(site, STORIES, {}, {})
    site.add(BUSY, rss_feed(site), content_type="application/rss+xml")
    clock.advance(24 * EVERY)
    recovered = app.poller.poll_source(busy)
    clock.advance(EVERY)
    next_turn = app.poller.poll_source(busy)

    assert recovered.error is None and not next_turn.postponed
    [health] = app.store.source_health("busy")
    assert (health.consecutive_failures, health.wait) == (0, None)


@pytest.mark.parametrize(
    ("every", "failures", "wait"),
    [
        (timedelta(minutes=15), 1, None),
        (timedelta(minutes=15), 2, timedelta(minutes=30)),
        (timedelta(minutes=15), 6, timedelta(hours=6)),
        (timedelta(hours=2), 3, timedelta(hours=6)),
        (timedelta(days=1), 5, timedelta(days=1)),  # an interval longer than the cap is the cap
    ],
)
def test_the_back_off_doubles_from_the_second_failure_and_is_capped(every, failures, wait):
    turn = Turn("https://feeds.test/rss", "entry", every, START, failures=failures - 1, was_gone=False)

    after = turn.wait_after(FetchError("https://feeds.test/rss", "answered 404 Not Found", status=404), None, now=START)

    assert (after.until - START if after else None) == wait


def test_a_410_from_another_address_than_the_sources_own_does_not_stop_it():
    turn = Turn("https://council.test/", "entry", EVERY, START, failures=0, was_gone=False)

    gone_document = FetchError("https://council.test/doc/1.pdf", "answered 410 Gone", status=410)
    gone_itself = FetchError("https://council.test/", "answered 410 Gone", status=410)

    assert turn.wait_after(gone_document, None, now=START) is None
    assert turn.wait_after(gone_itself, None, now=START).reason is WaitReason.GONE


# --- 410 Gone --------------------------------------------------------------------------------------------------------

GONE = "/gone.xml"
GONE_SOURCE = """  - id: gone-feed
    name: Gone feed
    type: feed
    url: {url}
"""


@pytest.fixture
def slack(monkeypatch):
    with SlackServer(channels={"#crime-digest", ADMIN_CHANNEL}) as server:
        monkeypatch.setenv("SLACK_BOT_TOKEN", server.token)
        yield server


def admin_notices(slack) -> list[str]:
    return [message.text for message in slack.messages if message.channel == ADMIN_CHANNEL]


@pytest.mark.parametrize("edit", ["a new address", "a new name only"])
def test_a_410_stops_the_source_until_its_entry_changes_with_one_admin_notice(
    tmp_path, make_app, site, clock, slack, edit
):
    publish(site)
    site.add(GONE, "", status=410)
    outputs = {"console": False, "slack": {"token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url,
                                           "channel": "#crime-digest", "timeout": 5}}  # fmt: skip
    settings = {"outputs": outputs, "admin": {"slack_channel": ADMIN_CHANNEL}}
    app = make_app(extra_sources=GONE_SOURCE.format(url=site.url(GONE)), monitor_extra=settings)

    def poll(*source_ids: str, named: bool = False) -> dict[str, object]:
        reports = app.poll(source_ids, named=named)
        app.delivery.after_poll(reports)
        return {report.source_id: report for report in reports}

    def stopped(at: str) -> str:
        return (
            f"stopped: its server said at {at} that it is gone for good (410 Gone); change its entry in sources.yaml, "
            "or name it (monitor poll --source gone-feed) to try it again"
        )

    first = poll()["gone-feed"]
    assert first.gone and first.error == f"{site.url(GONE)}: answered 410 Gone"
    assert first.next_poll == stopped(hh_mm(START))
    [notice] = admin_notices(slack)
    assert "Source gone: Gone feed" in notice and "Beatwatch has stopped polling it" in notice

    later = []
    for _ in range(3):  # the daemon's next turns, and a day later
        clock.advance(EVERY)
        later.append(poll()["gone-feed"])
    clock.advance(timedelta(days=1))
    later.append(poll()["gone-feed"])
    assert all(report.postponed for report in later)
    assert [report.next_poll for report in later[:3]] == [stopped(hh_mm(START))] * 3
    a_day_ago = f"{START.astimezone(ZoneInfo(ZONE)):%a %d %b %H:%M}"
    assert terminal.poll_remarks(later[-1]) == f"not polled: {stopped(a_day_ago)}"
    assert len(requests_to(site, GONE)) == 1 and len(admin_notices(slack)) == 1
    assert f"  gone-feed: {stopped(a_day_ago)}" in status_lines(app)
    [problem] = app.delivery.pending_digest().health
    assert problem.source_name == "Gone feed"
    assert "answered 410 Gone; not polled again until its entry in sources.yaml changes" in problem.problem

    named = poll("gone-feed", named=True)["gone-feed"]  # tried once, said so, and no second notice
    assert not named.postponed and not named.gone and len(requests_to(site, GONE)) == 2
    assert terminal.poll_remarks(named).startswith(f"{site.url(GONE)}: answered 410 Gone; polled because it was named")
    assert len(admin_notices(slack)) == 1

    sources = tmp_path / "config" / "sources.yaml"
    if edit == "a new address":
        site.add("/moved.xml", rss_feed(site), content_type="application/rss+xml")
        sources.write_text(sources.read_text().replace(site.url(GONE), site.url("/moved.xml")))
    else:
        sources.write_text(sources.read_text().replace("name: Gone feed", "name: Gone feed (Echo)"))
    app.use_config(load_config(tmp_path / "config", checks=[rules_check]))
    assert status_lines(app) == []  # the edit ends the wait at once
    after_edit = poll()["gone-feed"]

    assert not after_edit.postponed
    if edit == "a new address":
        assert after_edit.error is None and after_edit.new_items == len(STORIES)
        assert [health.wait for health in app.store.source_health("gone-feed")] == [None]
        assert len(admin_notices(slack)) == 1
    else:  # asked again, still gone: the people who edited it are told
        assert after_edit.gone and len(requests_to(site, GONE)) == 3
        assert len(admin_notices(slack)) == 2


# --- the daemon ------------------------------------------------------------------------------------------------------


def test_the_daemons_poll_job_stays_on_its_interval_and_asks_nothing_while_its_source_waits(tmp_path, site, clock):
    serve_feed(site, STORIES, {}, {"Cache-Control": "max-age=1800"})  # fresh for two of the daemon's turns
    directory = write_config(tmp_path / "config", site, full_text=False)
    watcher = ConfigWatcher(directory, checks=[rules_check])
    with Store(Store.default_url(tmp_path / "data")) as store:
        app = App(watcher.current, store, clock=clock, stream=io.StringIO())
        daemon = Daemon(watcher, app)
        daemon._schedule(watcher.current)
        job = daemon.scheduler.get_job("poll:local-news")
        asked = []
        for _ in range(5):  # the job's turns, every 15 minutes
            job.func()
            asked.append(len(requests_to(site, FEED)))
            clock.advance(EVERY)
        app.close()

    assert job.trigger.interval == EVERY
    assert asked == [1, 1, 2, 2, 3]
