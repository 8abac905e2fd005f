"""A command imports what it needs when it needs it: `monitor check` reads the configuration without the libraries
that poll, store, render or send, `monitor poll` runs without those of the work it does not reach, a poll of an
unknown source stops before it opens the store, and a poll of a few sources that reads nothing starts no readers'
processes.

Each command runs in a fresh interpreter (on the shipped configuration, or on the local news site); the test reads
which modules it loaded, not how long it took, so it fails when someone adds a heavy import at module level again (the
figures are in the issue-13 notes, measured outside the suite).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.e2e import write_config

CONFIG = Path(__file__).resolve().parent.parent / "config"

# Runs the command as `python -m monitor` would, then writes to stdout's last line the top-level packages it had loaded
# and the processes it had started that are still running (the readers' server outlives the pool until the command
# ends), and exits as the command did.
_RUN = """
import gc, glob, json, sys
from monitor.cli import main
sys.argv = ["monitor", *json.loads(sys.argv[1])]
code = 0
try:
    main()
except SystemExit as end:
    code = end.code
children = [pid for path in glob.glob("/proc/self/task/*/children") for pid in open(path).read().split()]
print()
packages = sorted({name.partition(".")[0] for name in sys.modules})
print(json.dumps({"packages": packages, "children": children, "gc_thresholds": gc.get_threshold()}))
sys.exit(code)
"""

# What only polling, storing, rendering, sending or serving needs, and rich, which draws the other commands' tables.
NOT_FOR_CHECK = {
    "sqlalchemy",
    "httpx2",
    "feedparser",
    "bs4",
    "lxml",
    "w3lib",
    "trafilatura",
    "pypdf",
    "pypdfium2",
    "jinja2",
    "slack_sdk",
    "css_inline",
    "prometheus_client",
    "numpy",
    "rich",
}
# What a poll loads only when it reads an article or a PDF, renders, or sends with an output the shipped configuration
# does not have; metrics are the daemon's. Feeds and articles are read in the pool's processes, never in the command's,
# and bs4 reads the kinds of source a poll of feeds does not build (pages, council sites).
NOT_FOR_POLL_START = {
    "trafilatura", "feedparser", "pypdf", "pypdfium2", "jinja2", "slack_sdk", "prometheus_client", "numpy",
    "bs4", "lxml",
}  # fmt: skip


@dataclass(frozen=True)
class Run:
    packages: set[str]  # top-level packages loaded
    children: list[str]  # processes started and still running at the end
    gc_thresholds: tuple[int, ...]  # the garbage collector's, at the end


def run_monitor(tmp_path: Path, *args: str, config: Path = CONFIG, exit_status: int = 0) -> Run:
    answer = subprocess.run(
        [sys.executable, "-c", _RUN, json.dumps(["--config", str(config), *args])],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "MONITOR_DATA_DIR": str(tmp_path / "data")},
        timeout=120,
    )
    assert answer.returncode == exit_status, answer.stderr
    seen = json.loads(answer.stdout.splitlines()[-1])
    return Run(set(seen["packages"]), seen["children"], tuple(seen["gc_thresholds"]))


def loaded_packages(tmp_path: Path, *args: str, config: Path = CONFIG, exit_status: int = 0) -> set[str]:
    return run_monitor(tmp_path, *args, config=config, exit_status=exit_status).packages


def test_check_loads_none_of_the_libraries_that_poll_store_or_send(tmp_path):
    loaded = loaded_packages(tmp_path, "check")

    assert "pydantic" in loaded and "monitor" in loaded  # it did read the configuration
    assert loaded & NOT_FOR_CHECK == set()


def test_poll_loads_none_of_the_libraries_of_work_it_does_not_reach(tmp_path, news_site):
    # A poll of the local news site: its feed and article pages are fetched, read (in the readers' processes), matched
    # and stored, and nothing is sent.
    config = write_config(tmp_path / "config", news_site)

    loaded = loaded_packages(tmp_path, "poll", config=config)

    assert {"sqlalchemy", "httpx2"} <= loaded  # it did store and fetch
    assert loaded & NOT_FOR_POLL_START == set()


def test_a_poll_of_an_unknown_source_stops_before_opening_the_store_or_a_client(tmp_path):
    loaded = loaded_packages(tmp_path, "poll", "--source", "no-such-source", exit_status=2)

    assert "pydantic" in loaded and "monitor" in loaded  # it did read the configuration
    assert loaded & {"sqlalchemy", "httpx2"} == set()
    assert not (tmp_path / "data").exists()


def test_a_poll_of_one_unchanged_feed_starts_no_readers_and_a_poll_of_many_starts_them_at_once(tmp_path, news_site):
    # Three more sources, whose address is not found, make a poll of four: enough to start the readers before anything
    # needs reading (monitor.startup.READERS_AT_ONCE_FROM).
    gone = [news_site.url(f"/gone-{n}.xml") for n in range(3)]
    missing = "".join(f"  - {{id: gone-{n}, name: Gone {n}, type: feed, url: '{url}'}}\n" for n, url in enumerate(gone))
    config = write_config(tmp_path / "config", news_site, extra_sources=missing)
    first_look = run_monitor(tmp_path, "poll", "--source", "local-news", config=config)
    assert first_look.children  # the feed and its pages were read, in the readers' processes

    unchanged = run_monitor(tmp_path, "poll", "--source", "local-news", config=config)
    assert unchanged.children == []  # the feed answered "not modified": nothing to read, no readers started
    # The command closed its store itself (the end of the process no longer finalises it): SQLite folded its
    # write-ahead log into the database file as it closed.
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == ["beatwatch.sqlite3"]
    # Garbage is collected rarely while the command starts, and as Python usually does once its work begins.
    assert unchanged.gc_thresholds == gc.get_threshold()
    assert {"sqlalchemy", "httpx2"} <= unchanged.packages
    assert unchanged.packages & NOT_FOR_POLL_START == set()

    many = run_monitor(tmp_path, "poll", config=config)
    assert many.children  # started at once, though again nothing changed
