"""Story pages that fail are fetched again on later polls: bounded tries, an age limit, Retry-After honoured; a page
read at last adds the topics only its text matches, reported like any new match and never twice.

Every test runs the real poll against a local site whose page routes answer 503, 429, time out, refuse connections
and so on; the app's clock is injected and moved by hand, so no test waits for the retry times."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.app import App
from monitor.cli import cli
from monitor.config import load_config
from monitor.config_checks import rules_check
from monitor.deliver.render import render_markdown
from monitor.demo.server import LocalSite
from monitor.page_retry import FIRST_PAGE_RETRY, PAGE_RETRY_AGE, PAGE_TRIES
from monitor.store import Store
from tests.e2e import (
    NOW,
    STORIES,
    Clock,
    Story,
    article_page,
    kill_poll_at_page,
    publish,
    rss_feed,
    write_config,
)

ATTACK = STORIES[0]  # its feed text says nothing of a stabbing: only the page's text matches knife-crime
ATTACK_PAGE = f"/news/{ATTACK.slug}.html"
EPOCH = datetime(2000, 1, 1, tzinfo=NOW.tzinfo)


def make_app(tmp_path: Path, site: LocalSite, clock: Clock, **config) -> App:
    directory = write_config(tmp_path / "config", site, **config)
    store = Store(Store.default_url(tmp_path / "data"))
    return App(
        load_config(directory, checks=[rules_check]),
        store,
        data_dir=tmp_path / "data",
        clock=clock,
        stream=io.StringIO(),
    )


def answer(status: int, headers: dict[str, str] | None = None, body: bytes = b"busy, try later"):
    return lambda _request: (status, {"Content-Type": "text/plain", **(headers or {})}, body)


def page_requests(site: LocalSite, path: str = ATTACK_PAGE) -> int:
    return sum(request.path == path for request in site.requests)


def attack_item(app: App):
    return next(item for item in app.store.items(since=EPOCH) if item.title == ATTACK.title)


def waiting(app: App) -> int:
    return sum(health.pages_waiting for health in app.store.source_health())


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


# --- a page that fails, then recovers -------------------------------------------------------------------------------


def test_a_page_that_fails_then_recovers_gives_its_body_only_match_on_a_later_poll(tmp_path, news_site, clock):
    news_site.add_handler(ATTACK_PAGE, answer(503))
    app = make_app(tmp_path, news_site, clock, urgent=True)

    [first] = app.poll()
    assert (first.new_items, first.new_matches, first.pages_failed) == (3, 0, 1)
    assert "answered 503 Service Unavailable (will try again)" in first.page_error
    assert app.views.matches() == [] and waiting(app) == 1

    clock.advance(FIRST_PAGE_RETRY)
    news_site.add(ATTACK_PAGE, article_page(ATTACK))
    [second] = app.poll()
    assert (second.new_items, second.new_matches, second.pages_failed, second.pages_read_late) == (0, 1, 0, 1)
    [match] = app.views.matches()
    assert match.title == ATTACK.title and {"stabbed", "machete"} <= set(match.terms)
    assert {hit.field for hit in match.hits} == {"body"}
    assert waiting(app) == 0
    item = attack_item(app)
    assert "was stabbed in the leg" in item.body and item.body_note == ""

    # Reported as new: an urgent alert as soon as the poll is over, and the next digest.
    app.delivery.after_poll([second])
    assert ATTACK.title in app.stream.getvalue()
    assert ATTACK.title in render_markdown(app.delivery.pending_digest())

    clock.advance(timedelta(hours=1))
    [third] = app.poll()
    app.delivery.after_poll([third])
    assert (third.new_matches, third.pages_read_late) == (0, 0)
    assert page_requests(news_site) == 2
    assert app.stream.getvalue().count(f"[{ATTACK.title}]") == 1  # alerted once


def test_feed_text_matches_are_reported_at_once_and_the_page_adds_only_new_topics(tmp_path, clock):
    story = Story(
        "cannabis-raid",
        "Man stabbed in Southend",
        "A man was stabbed in Southend on Friday.",
        "A man was stabbed in Southend on Friday. Officers later found a cannabis factory in a flat nearby.",
    )
    drugs = """  - id: drugs
    name: Drugs
    any: ["cannabis"]
"""
    with LocalSite() as site:
        publish(site, (story,))
        page = f"/news/{story.slug}.html"
        site.add_handler(page, answer(502))
        app = make_app(tmp_path, site, clock, extra_topics=drugs)

        [first] = app.poll()
        assert (first.new_matches, first.pages_failed) == (1, 1)
        [knife] = app.views.matches()
        assert knife.topic_id == "knife-crime" and {hit.field for hit in knife.hits} == {"title", "summary"}

        clock.advance(FIRST_PAGE_RETRY)
        site.add(page, article_page(story))
        [second] = app.poll()

    assert second.new_matches == 1
    by_topic = {match.topic_id: match for match in app.views.matches()}
    assert sorted(by_topic) == ["drugs", "knife-crime"]
    assert by_topic["knife-crime"] == knife  # the match made on the feed text stays as it was reported
    assert "**cannabis**" in by_topic["drugs"].snippet.marked("**", "**")


# --- when to try again, and when not ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(tmp_path, news_site, clock, status):
    news_site.add_handler(ATTACK_PAGE, answer(status, {"Retry-After": "3600"}))
    app = make_app(tmp_path, news_site, clock)
    app.poll()
    assert attack_item(app).page_retry_at == NOW + timedelta(hours=1)

    for _ in range(3):  # well past the usual wait, still before the server's time
        clock.advance(timedelta(minutes=15))
        app.poll()
    assert page_requests(news_site) == 1

    clock.now = NOW + timedelta(hours=1)
    news_site.add(ATTACK_PAGE, article_page(ATTACK))
    [report] = app.poll()
    assert page_requests(news_site) == 2 and report.new_matches == 1


def test_tries_stop_at_the_bound(tmp_path, news_site, clock):
    news_site.add_handler(ATTACK_PAGE, answer(500))
    app = make_app(tmp_path, news_site, clock)
    app.poll()
    waits = []
    while (due := attack_item(app).page_retry_at) is not None:
        waits.append(due - clock.now)
        clock.now = due
        app.poll()

    assert page_requests(news_site) == PAGE_TRIES
    assert waits == [FIRST_PAGE_RETRY * 2**n for n in range(PAGE_TRIES - 1)]  # each wait twice the one before
    assert attack_item(app).body_note == (
        f"page not fetched after {PAGE_TRIES} tries: answered 500 Internal Server Error (gave up)"
    )
    clock.advance(timedelta(hours=1))
    app.poll()
    assert page_requests(news_site) == PAGE_TRIES and waiting(app) == 0


def test_tries_stop_at_the_age_limit(tmp_path, news_site, clock):
    news_site.add_handler(ATTACK_PAGE, answer(503, {"Retry-After": str(10 * 3600)}))
    app = make_app(tmp_path, news_site, clock)
    for _ in range(5):
        app.poll()
        clock.advance(timedelta(hours=10))

    assert page_requests(news_site) == 3  # at 0, 10 and 20 hours; a try at 30 hours would be past the limit
    assert attack_item(app).body_note.endswith("answered 503 Service Unavailable (gave up)")
    assert waiting(app) == 0


def test_a_waiting_page_is_not_fetched_once_past_the_age_limit(tmp_path, news_site, clock):
    news_site.add_handler(ATTACK_PAGE, answer(503))
    app = make_app(tmp_path, news_site, clock)
    app.poll()

    clock.advance(PAGE_RETRY_AGE + timedelta(minutes=1))  # the daemon was stopped for a day
    news_site.add(ATTACK_PAGE, article_page(ATTACK))
    [report] = app.poll()

    assert page_requests(news_site) == 1 and report.new_matches == 0 and waiting(app) == 0
    assert attack_item(app).body_note == (
        "page not fetched: answered 503 Service Unavailable (gave up: 1d passed since the story was found)"
    )


def huge_page(_request):
    return 200, {"Content-Type": "text/html"}, b"<p>" + b"x" * 50_000 + b"</p>"


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (answer(404), "answered 404 Not Found"),
        (answer(410), "answered 410 Gone"),
        (answer(403), "answered 403 Forbidden"),
        (huge_page, "response is larger than the 20 kB limit"),
    ],
)
def test_a_permanent_failure_is_not_retried(tmp_path, news_site, clock, route, reason):
    news_site.add_handler(ATTACK_PAGE, route)
    app = make_app(tmp_path, news_site, clock, monitor_extra={"fetch": {"max_bytes": 20_000}})
    [first] = app.poll()
    assert first.pages_failed == 1

    for _ in range(3):
        clock.advance(timedelta(hours=2))
        app.poll()

    assert page_requests(news_site) == 1 and waiting(app) == 0
    assert attack_item(app).body_note == f"page not fetched: {reason}"


def test_a_page_refused_by_robots_txt_is_not_retried(tmp_path, news_site, clock):
    news_site.add("/robots.txt", f"User-agent: *\nDisallow: {ATTACK_PAGE}\n", content_type="text/plain")
    app = make_app(tmp_path, news_site, clock)
    app.poll()
    clock.advance(timedelta(hours=2))
    app.poll()

    assert page_requests(news_site) == 0 and waiting(app) == 0
    assert "robots.txt" in attack_item(app).body_note and "will try again" not in attack_item(app).body_note


def test_a_timeout_waits_for_the_page_again(tmp_path, news_site, clock):
    release = threading.Event()

    def stall(_request):
        release.wait(10)
        return 200, {"Content-Type": "text/html"}, article_page(ATTACK)

    news_site.add_handler(ATTACK_PAGE, stall)
    app = make_app(tmp_path, news_site, clock, monitor_extra={"fetch": {"timeout": 0.5}})
    try:
        [report] = app.poll()
    finally:
        release.set()
    assert report.page_error.endswith("timed out after 0.5 s (will try again)")
    assert attack_item(app).page_retry_at == NOW + FIRST_PAGE_RETRY


def test_a_refused_connection_waits_for_the_page_again(tmp_path, clock):
    with LocalSite() as pages:
        gone = pages.url(ATTACK_PAGE)
    with LocalSite() as site:
        publish(site)
        site.add(
            "/news/rss.xml", rss_feed(site).replace(site.url(ATTACK_PAGE), gone), content_type="application/rss+xml"
        )
        # The story's page lives on another local port: another host, which only an intranet setting lets us follow.
        app = make_app(
            tmp_path, site, clock, monitor_extra={"fetch": {"robots_txt": False, "allow_private_links": True}}
        )
        [report] = app.poll()

    assert "could not connect: connection refused (will try again)" in report.page_error
    assert waiting(app) == 1


def test_an_unreadable_robots_txt_waits_for_the_page_again_no_sooner_than_it_is_asked_again(tmp_path, clock):
    with LocalSite() as pages, LocalSite() as site:
        pages.add_handler("/robots.txt", answer(503))
        publish(site)
        site.add(
            "/news/rss.xml",
            rss_feed(site).replace(site.url(ATTACK_PAGE), pages.url(ATTACK_PAGE)),
            content_type="application/rss+xml",
        )
        app = make_app(tmp_path, site, clock, monitor_extra={"fetch": {"allow_private_links": True}})
        [report] = app.poll()

    assert "robots.txt of 127.0.0.1" in report.page_error and report.page_error.endswith("(will try again)")
    due = attack_item(app).page_retry_at
    assert NOW + timedelta(minutes=9) < due <= NOW + timedelta(minutes=10)  # when the fetcher asks for robots.txt again


# --- nothing twice, nothing lost --------------------------------------------------------------------------------------


def test_a_page_read_by_two_processes_at_once_is_stored_once(tmp_path, news_site, clock):
    news_site.add_handler(ATTACK_PAGE, answer(503))
    first = make_app(tmp_path, news_site, clock)
    first.poll()
    clock.advance(FIRST_PAGE_RETRY)
    # A second store on the same file behaves like a second process: `monitor poll` typed beside the daemon.
    second = App(
        first.config,
        Store(Store.default_url(tmp_path / "data")),
        data_dir=tmp_path / "data",
        clock=clock,
        stream=io.StringIO(),
    )
    both_asked = threading.Barrier(2, timeout=10)

    def page_once_both_asked(_request):
        both_asked.wait()
        return 200, {"Content-Type": "text/html"}, article_page(ATTACK)

    news_site.add_handler(ATTACK_PAGE, page_once_both_asked)
    reports = {}
    polls = [threading.Thread(target=lambda app=app: reports.setdefault(app, app.poll())) for app in (first, second)]
    for poll in polls:
        poll.start()
    for poll in polls:
        poll.join(30)

    assert page_requests(news_site) == 3  # the first try, then both processes at once
    assert sorted((report.pages_read_late, report.new_matches) for [report] in reports.values()) == [(0, 0), (1, 1)]
    assert len(second.views.matches()) == 1 and waiting(second) == 0


def test_a_poll_stopped_during_a_retry_leaves_the_page_waiting(tmp_path, news_site, clock):
    news_site.add_handler(ATTACK_PAGE, answer(503))
    app = make_app(tmp_path, news_site, clock)
    app.poll()
    clock.advance(FIRST_PAGE_RETRY)

    def stop_while_answering(_request):
        app.stop.set()  # SIGTERM arrives while the page is on its way
        return 200, {"Content-Type": "text/html"}, article_page(ATTACK)

    news_site.add_handler(ATTACK_PAGE, stop_while_answering)
    [stopped] = app.poll()
    assert stopped.new_matches == 0 and waiting(app) == 1 and attack_item(app).page_tries == 1

    app.stop.clear()
    news_site.add(ATTACK_PAGE, article_page(ATTACK))
    [resumed] = app.poll()
    assert resumed.new_matches == 1 and len(app.views.matches()) == 1


def test_a_poll_killed_during_a_retry_loses_nothing_and_repeats_nothing(tmp_path, news_site):
    # The first poll ran an hour ago, so the page is due when `monitor poll` runs now, on the real clock.
    news_site.add_handler(ATTACK_PAGE, answer(503))
    make_app(tmp_path, news_site, Clock(NOW - timedelta(hours=1))).poll()
    config, data = tmp_path / "config", tmp_path / "data"

    kill_poll_at_page(news_site, ATTACK_PAGE, config, data)
    for _ in range(2):
        CliRunner().invoke(cli, ["--config", str(config), "poll"], env={"MONITOR_DATA_DIR": str(data)})
    found = json.loads(
        CliRunner()
        .invoke(cli, ["--config", str(config), "matches", "--json"], env={"MONITOR_DATA_DIR": str(data)})
        .output
    )
    assert [(m["title"], m["fields"]) for m in found] == [(ATTACK.title, ["body"])]
    assert page_requests(news_site) == 3  # the first try, the killed one, the one that read it


# --- what people see --------------------------------------------------------------------------------------------------


def test_the_poll_table_and_status_show_page_failures(monitor, tmp_path, news_site):
    news_site.add_handler(ATTACK_PAGE, answer(503))
    config = write_config(tmp_path / "config", news_site)

    polled = monitor("poll", config=config)
    assert polled.exit_code == 0, polled.output
    assert "pages failed" in polled.output
    row = next(line for line in polled.output.splitlines() if "local-news" in line)
    assert [cell.strip() for cell in row.split("│")[2:5]] == ["3", "0", "1"]  # new items, matches, pages failed
    flat = " ".join(line.strip("│ ") for line in polled.output.splitlines())
    assert "answered 503 Service Unavailable" in flat and "will try again" in flat

    status = monitor("status", config=config)
    line = next(line for line in status.output.splitlines() if line.startswith("  local-news:"))
    assert "1 waiting to be fetched again" in line
    assert f"{news_site.url(ATTACK_PAGE)}: page not fetched: answered 503 Service Unavailable" in line


def test_status_says_nothing_of_pages_when_every_page_was_read(monitor, tmp_path, news_site):
    config = write_config(tmp_path / "config", news_site)
    monitor("poll", config=config)
    assert "Story pages not fetched" not in monitor("status", config=config).output


def test_the_readme_states_the_retry_limits_the_code_uses():
    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").split())
    minutes = int(FIRST_PAGE_RETRY.total_seconds() // 60)
    assert f"first {minutes} minutes later, then after twice as long each time ({2 * minutes}, {4 * minutes}," in readme
    assert f"at most {PAGE_TRIES} times in all" in readme
    assert timedelta(days=1) == PAGE_RETRY_AGE and "not later than 1 day after the story was found" in readme
