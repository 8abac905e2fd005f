"""Benchmark of the extract stage: milliseconds per article page for ``read_article`` (text and canonical link).

Builds synthetic news pages of about 20 to 80 KB from word lists and a fixed seed, so every run sees the same pages, in
the shape of a local paper's site: a head full of meta tags, JSON-LD and inline scripts, a cookie banner, a large menu,
a "most read" sidebar, the article (byline with a date, a figure, 10 to 60 paragraphs, now and then a table), share
tools, reader comments and a footer of links.

Each round frees trafilatura's caches first and extracts every page once; prints the median and mean milliseconds per
page of the best round, and the pages' sizes. Times are CPU time of this process, so that other work on a shared
machine slows the figures down less than it would wall-clock time.

    .venv/bin/python bench/extract.py [--pages N] [--rounds R] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from monitor.extract import read_article, reset_caches

MIN_BYTES, MAX_BYTES = 20_000, 80_000

WORDS = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "was",
    "is",
    "for",
    "on",
    "that",
    "with",
    "as",
    "by",
    "at",
    "from",
    "police",
    "officer",
    "council",
    "councillor",
    "court",
    "arrested",
    "charged",
    "resident",
    "residents",
    "road",
    "street",
    "town",
    "city",
    "centre",
    "seafront",
    "station",
    "school",
    "hospital",
    "family",
    "witnesses",
    "appeal",
    "incident",
    "said",
    "told",
    "says",
    "added",
    "would",
    "could",
    "after",
    "before",
    "during",
    "while",
    "week",
    "night",
    "morning",
    "evening",
    "year",
    "years",
    "new",
    "old",
    "local",
    "southend",
    "leigh",
    "westcliff",
    "shoeburyness",
    "basildon",
    "chelmsford",
    "essex",
    "plans",
    "budget",
    "meeting",
    "cabinet",
    "report",
    "scheme",
    "funding",
    "community",
    "people",
    "business",
    "shop",
    "shops",
    "park",
    "pier",
    "high",
    "street",
    "victim",
    "suspect",
    "custody",
    "investigation",
    "inquiries",
    "officers",
]
PLACES = ["Southend", "Leigh-on-Sea", "Westcliff", "Shoeburyness", "Prittlewell", "Rochford", "Basildon", "Rayleigh"]
SECTIONS = ["News", "Crime", "Court", "Politics", "Education", "Health", "Transport", "Sport", "What's On", "Jobs"]


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + rng.choice(".....?")


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng, rng.randint(8, 24)) for _ in range(rng.randint(1, 4)))


def headline(rng: random.Random) -> str:
    return sentence(rng, rng.randint(6, 12)).rstrip(".?") + f" in {rng.choice(PLACES)}"


def links(rng: random.Random, count: int, css: str) -> str:
    items = "".join(
        f'<li><a href="/news/{rng.randrange(10**8)}/">{escape(headline(rng))}</a></li>' for _ in range(count)
    )
    return f'<ul class="{css}">{items}</ul>'


def head(rng: random.Random, title: str, published: datetime) -> str:
    script = ";".join(f"window.cfg{n}={{slot:'{rng.randrange(10**6)}',sizes:[[300,250],[728,90]]}}" for n in range(60))
    return f"""<head><meta charset="utf-8"><title>{escape(title)} | Echo Bench</title>
<meta name="description" content="{escape(paragraph(rng))}">
<meta property="og:title" content="{escape(title)}"><meta property="og:type" content="article">
<meta property="article:published_time" content="{published.isoformat()}">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"{escape(title)}","datePublished":"{published.isoformat()}"}}</script>
<script>{script}</script><style>.sidebar{{float:right}} .cookie{{position:fixed}}</style></head>"""


def article(rng: random.Random, title: str, published: datetime, size: int) -> str:
    body = [
        f'<figure><img src="/img/{rng.randrange(10**6)}.jpg" alt=""><figcaption>{paragraph(rng)}</figcaption></figure>'
    ]
    while sum(map(len, body)) < size:
        body.append(f"<p>{escape(paragraph(rng))}</p>")
        if rng.random() < 0.03:
            rows = "".join(f"<tr><td>{rng.choice(WORDS)}</td><td>{rng.randint(1, 999)}</td></tr>" for _ in range(6))
            body.append(f"<table>{rows}</table>")
    return f"""<article class="article"><h1>{escape(title)}</h1>
<div class="byline">By A. Reporter &middot; <time datetime="{published.isoformat()}">{published:%d %B %Y}</time></div>
<div class="article-body">{"".join(body)}</div>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a> <a href="#">Email</a></div></article>"""


def comments(rng: random.Random) -> str:
    count = rng.randint(0, 25)
    items = "".join(
        f'<div class="comment"><span class="author">reader{rng.randrange(999)}</span>'
        f"<p>{escape(paragraph(rng))}</p></div>"
        for _ in range(count)
    )
    return f'<section id="comments"><h3>Comments ({count})</h3>{items}</section>'


def page(rng: random.Random, number: int) -> bytes:
    size = rng.randint(MIN_BYTES, MAX_BYTES)
    title = headline(rng)
    published = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(40_000))
    menu = "".join(
        f'<li><a href="/{section.lower()}/">{section}</a>{links(rng, 6, "sub")}</li>' for section in SECTIONS
    )
    chrome = f"""<!DOCTYPE html><html lang="en-GB">{head(rng, title, published)}<body>
<div class="cookie"><p>We use cookies to show personalised advertising.</p><button>Accept all</button></div>
<header><a href="/">Echo Bench</a><nav><ul>{menu}</ul></nav></header><main>
<aside class="sidebar"><h2>Most read</h2>{links(rng, 10, "most-read")}<div class="ad" id="ad-{number}"></div></aside>
{{article}}{comments(rng)}</main>
<footer>{links(rng, 30, "footer")}<p>&copy; 2026 Echo Bench</p></footer></body></html>"""
    room = max(size - len(chrome.encode()), 4_000)
    return chrome.replace("{article}", article(rng, title, published, room)).encode()


def pages(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [page(rng, number) for number in range(count)]


def timed_round(documents: list[bytes]) -> list[float]:
    reset_caches()
    times = []
    for number, document in enumerate(documents):
        started = time.process_time()
        extracted = read_article(document, f"https://www.echo-bench.example/news/{number}/").text
        times.append((time.process_time() - started) * 1000)
        if extracted is None:
            raise SystemExit(f"page {number} gave no text: the benchmark pages are broken")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    documents = pages(args.pages, args.seed)
    timed_round(documents[:3])  # warm-up: imports, compiled XPath expressions
    best = min((timed_round(documents) for _ in range(args.rounds)), key=statistics.median)
    sizes = [len(document) / 1000 for document in documents]
    print(f"{len(documents)} pages of {min(sizes):.0f}-{max(sizes):.0f} KB (mean {statistics.mean(sizes):.0f} KB)")
    print(f"read_article: median {statistics.median(best):.1f} ms a page, mean {statistics.mean(best):.1f} ms")


if __name__ == "__main__":
    main()
