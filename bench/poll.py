"""Benchmark of the poll, each figure beside its yardstick in the same run, as the ratios issue 13 sets targets for.

A local site (``monitor.demo.server.LocalSite``, kept-alive connections) serves, from a process of its own, FEEDS
feeds of ITEMS items (RSS 2.0; one in five Atom; one in ten without ETag or Last-Modified, as some servers send) and
the pages of new stories (20 to 80 KB, made as bench/extract.py makes them), all from a fixed seed. Beatwatch runs as
`monitor poll` in a process of its own, with politeness opened up since every feed sits on one local host
(``per_host: 16``, ``host_delay: 0s``) and the shipped keyword rules.

- (a) first look: every item recorded, nothing reported, no page fetched; rss2email's ``run --no-send`` beside it.
- (b) nothing changed: one conditional GET a feed; rss2email beside it, and the same requests made by a bare client
  (16 threads, keep-alive), against the poll timed inside a process (``App.poll``, no start-up).
- (c) STORIES new stories spread over the feeds: their pages fetched, extracted, matched and stored; trafilatura's own
  throughput on the same pages, with as many processes as cores, beside it. Before it, a poll of the same feeds with a
  new build date and no new entry (as many feeds are rebuilt on a schedule), so that the stories' own cost can be told
  from the cost of reading the feeds that carry them.
- start-up: `monitor check`, and a whole `monitor poll` of one unchanged feed after (b) (each best of three):
  start-up, the store and client opened, one conditional GET, the poll recorded.

Each line gives wall and CPU seconds (user + system, child processes included), requests and body bytes served, and
peak memory, of the command and every process under it, the pool's included (bench/process_tree.py).

    .venv/bin/python bench/poll.py [--feeds 500] [--items 40] [--stories 400] [--rss2email PATH]

rss2email is not a dependency: it is timed when ``r2e`` is on PATH or given with --rss2email.
"""

from __future__ import annotations

import argparse
import compileall
import multiprocessing
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from multiprocessing.connection import Connection
from pathlib import Path

# Run from a checkout, installed or not; the checkout's root also makes bench/extract.py, which makes pages, importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extract import headline, page, paragraph
from bench.process_tree import TreeSampler
from monitor.demo.server import LocalSite

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.now(UTC).replace(microsecond=0)
BARE_THREADS = 16
MIB = 1024 * 1024


# --- the site ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    number: str  # "<feed>-<n>"
    title: str
    summary: str
    published: datetime


@dataclass(frozen=True)
class Feed:
    path: str
    atom: bool
    validators: bool
    entries: tuple[Entry, ...]

    def document(self, base: str, built: datetime = NOW) -> str:
        """The feed as served, saying it was built at ``built`` (a new build date alone changes the body)."""
        return _atom(self, base, built) if self.atom else _rss(self, base, built)


def feeds_of(count: int, items: int, seed: int) -> list[Feed]:
    """The feeds before any new story: items dated from two to thirty days back, so a first look reports none."""

    rng = random.Random(seed)
    feeds = []
    for number in range(count):
        entries = tuple(
            Entry(
                f"{number}-{n}", headline(rng), paragraph(rng), NOW - timedelta(days=2, minutes=rng.randrange(40_000))
            )
            for n in range(items)
        )
        atom = number % 5 == 4
        feeds.append(Feed(f"/feeds/{number}.{'atom' if atom else 'xml'}", atom, number % 10 != 9, entries))
    return feeds


def with_new_stories(feeds: list[Feed], stories: int, seed: int) -> tuple[list[Feed], dict[str, bytes]]:
    """The feeds after ``stories`` new stories, spread over them (the oldest item of a feed drops off for each one),
    and the new stories' pages by path."""

    rng = random.Random(seed + 1)
    changed, pages = list(feeds), {}
    for story in range(stories):
        index = story * len(feeds) // stories
        feed = changed[index]
        entry = Entry(f"{index}-new{story}", headline(rng), paragraph(rng), NOW - timedelta(minutes=story % 60))
        changed[index] = Feed(feed.path, feed.atom, feed.validators, (entry, *feed.entries[:-1]))
        pages[_article_path(entry)] = page(rng, story)
    return changed, pages


def _article_path(entry: Entry) -> str:
    return f"/articles/{entry.number}.html"


def _rss(feed: Feed, base: str, built: datetime) -> str:
    items = "".join(
        f"<item><title>{escape(entry.title)}</title><link>{base}{_article_path(entry)}</link>"
        f'<guid isPermaLink="false">bench-{entry.number}</guid><description>{escape(entry.summary)}</description>'
        f"<pubDate>{format_datetime(entry.published)}</pubDate></item>"
        for entry in feed.entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench news</title>'
        f"<link>{base}/</link><description>Stories</description><lastBuildDate>{format_datetime(built)}</lastBuildDate>"
        f"{items}</channel></rss>"
    )


def _atom(feed: Feed, base: str, built: datetime) -> str:
    entries = "".join(
        f'<entry><title>{escape(entry.title)}</title><link href="{base}{_article_path(entry)}"/>'
        f"<id>urn:bench:{entry.number}</id><updated>{entry.published.isoformat()}</updated>"
        f'<summary type="html">{escape(entry.summary)}</summary></entry>'
        for entry in feed.entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Bench news</title>'
        f'<link href="{base}/"/><id>urn:bench:{feed.path}</id><updated>{built.isoformat()}</updated>{entries}</feed>'
    )


def publish(site: LocalSite, feeds: Sequence[Feed], pages: dict[str, bytes], built: datetime = NOW) -> None:
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    for feed in feeds:
        kind = "application/atom+xml" if feed.atom else "application/rss+xml"
        validators = {} if feed.validators else {"etag": None, "last_modified": None}
        site.add(feed.path, feed.document(site.base_url, built), kind, **validators)  # type: ignore[arg-type]
    for path, body in pages.items():
        site.add(path, body)


def serve(site: LocalSite, before: list[Feed], after: list[Feed], pages: dict[str, bytes], orders: Connection) -> None:
    """The site's own process: serve the feeds, then what ``orders`` asks ("rebuilt": the same feeds with a new build
    date; "news": the new stories; "count": requests and bytes so far; "stop")."""
    with site:
        publish(site, before, {})
        orders.send("ready")
        while (order := orders.recv()) != "stop":
            if order == "rebuilt":
                publish(site, before, {}, built=NOW + timedelta(minutes=1))
            elif order == "news":
                publish(site, after, pages, built=NOW + timedelta(minutes=2))
            orders.send((len(site.requests), site.bytes_sent))


class Site:
    """The bench site, running in a process of its own so that its work is not counted as the bench's."""

    def __init__(self, feeds: int, items: int, stories: int, seed: int) -> None:
        self.site = LocalSite(keep_alive=True)  # bound here, so the address is known to build the feeds
        self.base = self.site.base_url
        self.before = feeds_of(feeds, items, seed)
        self.after, self.pages = with_new_stories(self.before, stories, seed)
        self._orders, theirs = multiprocessing.Pipe()
        context = multiprocessing.get_context("fork")
        self._process = context.Process(target=serve, args=(self.site, self.before, self.after, self.pages, theirs))
        self._process.start()
        if self._orders.recv() != "ready":
            raise SystemExit("the bench site did not start")

    def counts(self, order: str = "count") -> tuple[int, int]:
        self._orders.send(order)
        requests, sent = self._orders.recv()
        return requests, sent

    def close(self) -> None:
        self._orders.send("stop")
        self._process.join(10)
        self.site.close()

    def feed_urls(self) -> list[str]:
        return [self.base + feed.path for feed in self.before]


# --- measuring ---------------------------------------------------------------------------------------------------


def compile_bytecode(checkout: Path) -> None:
    """Write the bytecode of the checkout's ``monitor`` as installing does (pip compiles what it installs, the image's
    included), so that start-up is timed as users meet it, even where PYTHONDONTWRITEBYTECODE is set and nothing would
    write it: without it, every command compiles a hundred modules from source first (~0.1 s of CPU)."""
    compileall.compile_dir(checkout / "monitor", quiet=1)


@dataclass(frozen=True)
class Figures:
    wall: float
    cpu: float
    requests: int = 0
    sent: int = 0
    peak_mib: float = 0.0

    def line(self, label: str) -> str:
        memory = f", peak {self.peak_mib:.0f} MiB" if self.peak_mib else ""
        return (
            f"  {label:<34} {self.wall:7.2f} s wall, {self.cpu:6.2f} s CPU, {self.requests:6d} requests, "
            f"{self.sent / MIB:6.1f} MiB{memory}"
        )


class Runner:
    """Starts the commands timed, from a small process forked before the bench grows: a child's peak memory counts
    the memory of the process it was forked from, so forking from the bench itself would inflate it."""

    def __init__(self) -> None:
        self._orders, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(target=_run_commands, args=(theirs,), daemon=True)
        self._process.start()

    def run(self, command: Sequence[str], site: Site, *, env: dict[str, str], log: Path, ok: Sequence[int]) -> Figures:
        """Run ``command`` to its end: its wall time, and the CPU time and peak memory of it and every process under it
        (``TreeSampler``), and the requests it made of the site."""
        requests, sent = site.counts()
        self._orders.send((list(command), env, str(log)))
        wall, cpu, peak_kib, code = self._orders.recv()
        if code not in ok:
            raise SystemExit(f"{' '.join(command)} exited with {code}; see {log}")
        requests_after, sent_after = site.counts()
        return Figures(wall, cpu, requests_after - requests, sent_after - sent, peak_kib / 1024)

    def close(self) -> None:
        self._orders.send(None)
        self._process.join(10)


def _run_commands(orders: Connection) -> None:
    while (order := orders.recv()) is not None:
        command, env, log = order
        started = time.perf_counter()
        with open(log, "ab") as errors:
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
            tree = TreeSampler(process.pid)
            _, status, usage = os.wait4(process.pid, 0)
        below = tree.stop()
        process.returncode = code = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime + below
        orders.send((time.perf_counter() - started, cpu, max(tree.peak_kib, usage.ru_maxrss), code))


def run_in_process(work: Callable[[], object], site: Site) -> Figures:
    requests, sent = site.counts()
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
    requests_after, sent_after = site.counts()
    return Figures(wall, cpu, requests_after - requests, sent_after - sent)


def ratio(label: str, value: float, target: str = "") -> str:
    aim = f"   target {target}" if target else ""
    return f"  {label:<58} {value:6.2f}{aim}"


# --- Beatwatch ---------------------------------------------------------------------------------------------------


class Beatwatch:
    """`monitor` over a configuration of every feed of the site, with its data in ``work``."""

    def __init__(self, runner: Runner, site: Site, work: Path) -> None:
        self.runner = runner
        self.config, self.data, self.log = work / "config", work / "data", work / "monitor.log"
        self.config.mkdir()
        (self.config / "monitor.yaml").write_text(
            'timezone: Europe/London\nuser_agent: "Beatwatch-bench/0.1 (+https://example.org/beatwatch)"\n'
            "first_run_backfill: 0h\nfetch:\n  per_host: 16\n  host_delay: 0s\n"
        )
        sources = "".join(
            f"  - {{id: feed-{n}, name: Feed {n}, type: feed, url: '{url}'}}\n"
            for n, url in enumerate(site.feed_urls())
        )
        (self.config / "sources.yaml").write_text(f"defaults:\n  every: 15m\n  jitter: 0s\nsources:\n{sources}")
        shutil.copy(ROOT / "config" / "keywords.yaml", self.config / "keywords.yaml")
        self.env = {**os.environ, "MONITOR_DATA_DIR": str(self.data)}
        self.site = site

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "monitor", "--config", str(self.config), *args]

    def poll(self) -> Figures:
        return self.runner.run(self.command("poll"), self.site, env=self.env, log=self.log, ok=(0,))

    def start_up(self, *args: str, ok: Sequence[int] = (0,)) -> Figures:
        runs = [self.runner.run(self.command(*args), self.site, env=self.env, log=self.log, ok=ok) for _ in range(3)]
        return min(runs, key=lambda figures: figures.wall)

    def poll_in_process(self) -> Figures:
        """The poll alone, timed inside this process: no interpreter start, imports or configuration loading."""
        import io

        from monitor.app import App
        from monitor.config import load_config
        from monitor.config_checks import rules_check
        from monitor.store import Store

        config = load_config(self.config, checks=[rules_check])
        with Store(Store.default_url(self.data)) as store:
            app = App(config, store, data_dir=self.data, stream=io.StringIO())
            try:
                return run_in_process(app.poll, self.site)
            finally:
                app.close()

    def stored(self) -> tuple[int, int, int]:
        """Items stored, items reported, items with page text."""
        with sqlite3.connect(self.data / "beatwatch.sqlite3") as database:
            row = database.execute("SELECT count(*), sum(reported), count(body) FROM items").fetchone()
        return int(row[0]), int(row[1] or 0), int(row[2])


# --- yardsticks --------------------------------------------------------------------------------------------------


class Rss2email:
    def __init__(self, runner: Runner, r2e: str, site: Site, work: Path) -> None:
        self.runner = runner
        self.r2e, self.site, self.log = r2e, site, work / "r2e.log"
        self.config, self.data = work / "r2e.cfg", work / "r2e.json"
        feeds = "".join(f"[feed.f{n}]\nurl = {url}\n\n" for n, url in enumerate(site.feed_urls()))
        self.config.write_text(f"[DEFAULT]\nto = bench@example.org\nsame-server-fetch-interval = 0\n\n{feeds}")

    def run(self) -> Figures:
        command = [self.r2e, "-c", str(self.config), "-d", str(self.data), "run", "--no-send"]
        return self.runner.run(command, self.site, env=dict(os.environ), log=self.log, ok=(0,))


def bare_client(site: Site) -> Figures:
    """The same conditional GETs as an unchanged poll, from one kept-alive client in 16 threads; the validators come
    from a first, untimed, round."""
    import httpx2

    urls = site.feed_urls()
    limits = httpx2.Limits(max_connections=BARE_THREADS, max_keepalive_connections=BARE_THREADS)
    with httpx2.Client(limits=limits) as client, ThreadPoolExecutor(BARE_THREADS) as pool:
        first = list(pool.map(client.get, urls))
        conditional = [_conditional_headers(response.headers) for response in first]

        def round_of_gets() -> None:
            list(pool.map(lambda url, headers: client.get(url, headers=headers).status_code, urls, conditional))

        return run_in_process(round_of_gets, site)


def _conditional_headers(headers: object) -> dict[str, str]:
    get = headers.get  # type: ignore[attr-defined]
    wanted = {"If-None-Match": get("etag"), "If-Modified-Since": get("last-modified")}
    return {name: value for name, value in wanted.items() if value}


def _extract(document: bytes) -> bool:
    import trafilatura

    text = trafilatura.extract(document, include_comments=False, include_tables=True, deduplicate=False)
    return bool(text)


def trafilatura_throughput(pages: list[bytes], processes: int) -> float:
    """Pages a second trafilatura extracts on its own with ``processes`` processes (pool started and warm)."""
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_extract, pages[: processes * 2]))  # warm-up: imports, compiled expressions
        started = time.perf_counter()
        extracted = list(pool.map(_extract, pages, chunksize=4))
        seconds = time.perf_counter() - started
    if not all(extracted):
        raise SystemExit("trafilatura found no text in some bench pages: the pages are broken")
    return len(pages) / seconds


# --- the run -----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--stories", type=int, default=400)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rss2email", metavar="PATH", default=shutil.which("r2e"), help="the r2e command to time")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    compile_bytecode(ROOT)
    runner, started = Runner(), time.perf_counter()
    site = Site(args.feeds, args.items, args.stories, args.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    try:
        print(f"{args.feeds} feeds x {args.items} items, {args.stories} new stories; {cores} cores")
        print(f"  site built in {time.perf_counter() - started:.1f} s; work in {work}")
        rss2email = Rss2email(runner, args.rss2email, site, work) if args.rss2email else None
        report(site, Beatwatch(runner, site, work), rss2email, cores)
    finally:
        site.close()
        runner.close()
        shutil.rmtree(work, ignore_errors=True)


def report(site: Site, beatwatch: Beatwatch, rss2email: Rss2email | None, cores: int) -> None:
    check = beatwatch.start_up("check")
    print("start-up (best of 3)")
    print(check.line("monitor check"))

    print("(a) first look")
    first = beatwatch.poll()
    stored, reported, _ = beatwatch.stored()
    print(first.line(f"Beatwatch ({stored} items, {reported} reported)"))
    r2e_first = rss2email.run() if rss2email else None
    if r2e_first:
        print(r2e_first.line("rss2email run --no-send"))

    print("(b) nothing changed")
    unchanged = beatwatch.poll()
    print(unchanged.line("Beatwatch, whole process"))
    inside = beatwatch.poll_in_process()
    print(inside.line("Beatwatch, inside the process"))
    bare = bare_client(site)
    print(bare.line(f"bare client, {BARE_THREADS} threads, keep-alive"))
    r2e_unchanged = rss2email.run() if rss2email else None
    if r2e_unchanged:
        print(r2e_unchanged.line("rss2email run --no-send"))
    # A whole poll of one unchanged feed: start-up, the store and the client opened, one conditional GET, the poll
    # recorded. (An unknown --source is refused before anything opens, so it no longer measures start-up.)
    poll_start = beatwatch.start_up("poll", "--source", "feed-0")
    print(poll_start.line("monitor poll of one unchanged feed (best of 3)"))

    print(f"(c) {len(site.pages)} new stories")
    site.counts("rebuilt")
    rebuilt = beatwatch.poll()
    print(rebuilt.line("Beatwatch, every feed rebuilt, nothing new"))
    site.counts("news")
    before = beatwatch.stored()
    news = beatwatch.poll()
    after = beatwatch.stored()
    pages = list(site.pages.values())
    print(news.line(f"Beatwatch ({after[0] - before[0]} new, {after[2] - before[2]} with text)"))
    many = trafilatura_throughput(pages, cores)
    own = len(pages) / news.wall
    net = len(pages) / max(news.wall - rebuilt.wall, 1e-9)
    print(f"  Beatwatch: {own:.0f} pages/s whole poll, {net:.0f} pages/s beyond the poll of the rebuilt feeds")
    print(f"  trafilatura alone, {cores} processes: {many:.0f} pages/s")

    print("ratios")
    if r2e_first and r2e_unchanged:
        print(ratio("(a) first look, Beatwatch / rss2email", first.wall / r2e_first.wall, "<= 0.5"))
        print(
            ratio(
                "(b) nothing changed, Beatwatch / rss2email (whole process)",
                unchanged.wall / r2e_unchanged.wall,
                "<= 1",
            )
        )
    print(ratio("(b) nothing changed, inside the process / bare client", inside.wall / bare.wall, "<= 2"))
    print(ratio("(c) new stories, Beatwatch / trafilatura pages a second", own / many, ">= 0.85"))
    print(ratio("    the same, beyond the poll of the rebuilt feeds", net / many))
    print(ratio("peak memory of the first look, MiB", first.peak_mib, "<= 200"))
    print(ratio("start-up of monitor check, s", check.wall, "<= 0.5"))
    print(ratio("start-up of monitor poll (one unchanged feed), s", poll_start.wall, "<= 0.5"))


if __name__ == "__main__":
    main()
