"""Benchmark of story prints: milliseconds of CPU to print an article, beside the extraction that gave its text.

The articles are the text ``read_article`` extracts from the synthetic 20 to 80 KB pages of ``bench/extract.py`` (same
seed, so every run sees the same texts). Each round prints every article once (``monitor.stories.story_print``, as the
pool of processes does for a new story) and extracts it again; the best round's mean is printed, with the share of a
print spent finding its words. Times are CPU time of this process, which other work on a shared machine disturbs less
than wall-clock time.

    .venv/bin/python bench/prints.py [--pages N] [--rounds R] [--seed S]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from bench.extract import pages
from monitor.extract import read_article
from monitor.stories import _words, story_print


def mean_ms(work: Callable[[int], object], count: int, rounds: int) -> float:
    """The mean CPU milliseconds of ``work(n)`` for n below ``count``, in the best of ``rounds`` rounds."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for number in range(count):
            work(number)
        best = min(best, (time.process_time() - started) * 1000 / count)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    documents = pages(args.pages, args.seed)
    links = [f"https://www.echo-bench.example/news/{number}/" for number in range(len(documents))]
    texts = [read_article(document, link).text or "" for document, link in zip(documents, links, strict=True)]

    def printed(number: int) -> object:
        return story_print(kind="article", url=links[number], title="Headline", text=texts[number])

    printed(0)  # warm-up: numpy, the permutations
    print_ms = mean_ms(printed, len(texts), args.rounds)
    words_ms = mean_ms(lambda number: _words(texts[number]), len(texts), args.rounds)
    extract_ms = mean_ms(lambda number: read_article(documents[number], links[number]), len(texts), 1)
    words = statistics.mean(len(_words(text)) for text in texts)
    print(f"{len(texts)} articles of {words:.0f} words on average (pages of 20-80 KB)")
    print(f"story_print: {print_ms:.2f} ms of CPU an article, of which finding its words {words_ms:.2f} ms")
    print(f"read_article: {extract_ms:.1f} ms of CPU a page; a print is {print_ms / extract_ms:.0%} of that")


if __name__ == "__main__":
    main()
