"""CPU time of reading a feed (``parse_feed``) on the poll bench's feeds: the lean lxml reader, and feedparser alone;
and a feed that gained one entry, read with the fingerprints of the body before (what a poll reads it with).

The feeds are bench/poll.py's (40 items, one in five Atom), so the figures are what the pool pays per feed in that
bench: the first two at a first look, the last per changed feed in its (c). CPU time of this process
(``time.process_time``), best of three rounds, so that other work on the machine counts for little; --profile prints
where a changed feed's time goes.

    .venv/bin/python bench/feedread.py [--feeds 200] [--items 40] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.poll import feeds_of, with_new_stories
from monitor.sources.feed import ParsedFeed, _parsed_feed, _read_with_feedparser, parse_feed

BASE = "http://127.0.0.1:8000"
HEADERS = {"content-type": "application/rss+xml"}


def lean(body: bytes, url: str) -> ParsedFeed:
    return parse_feed("bench", body, url=url, headers=HEADERS)


def feedparser_alone(body: bytes, url: str) -> ParsedFeed:
    return _parsed_feed("bench", url, *_read_with_feedparser(body, url, HEADERS))


def reader_knowing(before: list[tuple[bytes, str]]) -> Callable[[bytes, str], ParsedFeed]:
    """The lean reader given, for each address, the fingerprints the body ``before`` left in the checkpoint."""
    known = {url: frozenset(lean(body, url).entry_prints) for body, url in before}

    def read(body: bytes, url: str) -> ParsedFeed:
        return parse_feed("bench", body, url=url, headers=HEADERS, known=known[url])

    return read


def best_cpu(read: Callable[[bytes, str], ParsedFeed], bodies: list[tuple[bytes, str]], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for body, url in bodies:
            read(body, url)
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    options.add_argument("--feeds", type=int, default=200)
    options.add_argument("--items", type=int, default=40)
    options.add_argument("--profile", action="store_true")
    args = options.parse_args()
    feeds = feeds_of(args.feeds, args.items, seed=13)
    bodies = [(feed.document(BASE).encode(), BASE + feed.path) for feed in feeds]
    changed = [(feed.document(BASE).encode(), BASE + feed.path) for feed in with_new_stories(feeds, len(feeds), 13)[0]]
    assert all(lean(*each).items == feedparser_alone(*each).items for each in bodies), "the two readers disagree"
    print(f"{len(bodies)} feeds x {args.items} items ({sum(feed.atom for feed in feeds)} Atom), CPU best of 3")
    knowing = reader_knowing(bodies)
    assert all(len(knowing(*each).items) == 1 for each in changed), "a changed feed gives more than its new entry"
    before, after = best_cpu(feedparser_alone, bodies), best_cpu(lean, bodies)
    one_new = best_cpu(knowing, changed)
    for name, seconds in (("feedparser alone", before), ("lean reader", after), ("one new, rest known", one_new)):
        print(f"  {name:20} {seconds:6.2f} s, {seconds / len(bodies) * 1000:6.2f} ms a feed")
    print(f"  ratio: the lean reader takes {after / before:.2f} of feedparser's time")
    print(f"  ratio: a feed with one new entry takes {one_new / after:.2f} of reading it all")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(best_cpu, knowing, changed, 1)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
