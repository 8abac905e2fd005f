"""Benchmark of the match stage: the Aho-Corasick ``Matcher`` against the naive one-regex-per-term reference.

Builds 500 terms across 30 topics (plain words, phrases, wildcards, NEAR, place gates) and 10,000 synthetic
articles of about 4 KB (title, summary, body) from word lists and a fixed seed, so every run sees the same data.
Most articles are off the beat and meet a term only by chance; one in five is about one topic and uses its terms
the ways copy does (phrases broken by hyphens, dashes and line breaks, wildcard endings, NEAR pairs near and far).
Decoy words (establish for stab*), curly quotes, dashes, accents, £ and leftover entities are sprinkled in.

Prints MB/s and articles/s of both matchers (the matcher: best of 3 runs after a warm-up; the naive loop: one run),
the ratio, and the number of articles on which the two disagree, which must be 0 (exit status 1 otherwise). The
matcher's MB/s in CPU time is printed too: on a machine shared with other busy processes, wall time says more about
them than about the matcher, so compare two versions by CPU time, run back to back.

Then what a poll pays for each new story: the shipped rules (config/keywords.yaml) over the text that
``read_article`` takes from ``bench/extract.py``'s pages (about 25 KB each, thick with the beat's words and place
names), in CPU time, best of 3, and again the number of articles on which the matcher and the reference disagree
(among those short enough for the reference's pairing of NEAR occurrences to finish in seconds).

    .venv/bin/python bench/match.py [--articles N] [--seed S] [--pages P]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# Run from a checkout, installed or not; the checkout's root also makes the yardstick in tests/ importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.config import load_config
from monitor.match import Matcher
from monitor.match.settings import KeywordsFile
from tests.reference_matcher import ReferenceMatcher

TOPICS = 30
TERMS = 500
ARTICLE_CHARS = 4000
ON_BEAT = 0.2  # share of articles about one topic
TARGET_MB_S = 75
REFERENCE_MOST_CHARS = 18_000  # the longest article text of bench/extract.py's that the reference is run on

# Words a crime and council beat uses; terms are built from these and from made-up words.
BEAT_WORDS = [
    "knife",
    "stabbing",
    "stabbed",
    "machete",
    "blade",
    "weapon",
    "police",
    "officer",
    "officers",
    "constable",
    "sergeant",
    "detective",
    "arrest",
    "arrested",
    "charged",
    "court",
    "crown",
    "magistrates",
    "custody",
    "bail",
    "sentence",
    "jailed",
    "prison",
    "burglary",
    "robbery",
    "theft",
    "shoplifting",
    "assault",
    "attack",
    "victim",
    "suspect",
    "witness",
    "murder",
    "manslaughter",
    "shooting",
    "firearm",
    "gun",
    "drugs",
    "cannabis",
    "cocaine",
    "heroin",
    "dealer",
    "dealing",
    "county",
    "lines",
    "gang",
    "gangs",
    "violence",
    "violent",
    "disorder",
    "riot",
    "protest",
    "council",
    "councillor",
    "cabinet",
    "budget",
    "cuts",
    "funding",
    "precept",
    "grant",
    "planning",
    "application",
    "housing",
    "homes",
    "flats",
    "development",
    "school",
    "pupils",
    "teachers",
    "hospital",
    "patients",
    "ambulance",
    "fire",
    "firefighters",
    "blaze",
    "crash",
    "collision",
    "road",
    "closure",
    "flood",
    "storm",
    "pier",
    "seafront",
    "beach",
    "harbour",
    "station",
    "railway",
    "train",
    "bus",
    "commissioner",
    "panel",
    "inspection",
    "report",
    "review",
    "strategy",
    "scheme",
    "youth",
    "youths",
    "parents",
    "family",
    "neighbours",
    "residents",
    "community",
    "businesses",
    "shop",
    "shops",
    "market",
    "festival",
    "museum",
    "library",
    "park",
    "playground",
    "cctv",
    "camera",
    "patrol",
    "dispersal",
    "order",
]

COMMON_WORDS = [
    "the",
    "the",
    "the",
    "the",
    "a",
    "a",
    "a",
    "of",
    "of",
    "of",
    "to",
    "to",
    "to",
    "and",
    "and",
    "and",
    "in",
    "in",
    "in",
    "was",
    "was",
    "is",
    "is",
    "for",
    "for",
    "on",
    "on",
    "that",
    "that",
    "with",
    "with",
    "as",
    "as",
    "by",
    "by",
    "at",
    "at",
    "from",
    "from",
    "it",
    "it",
    "he",
    "she",
    "they",
    "we",
    "his",
    "her",
    "their",
    "this",
    "this",
    "said",
    "said",
    "after",
    "before",
    "when",
    "while",
    "but",
    "but",
    "or",
    "not",
    "no",
    "more",
    "most",
    "some",
    "many",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "first",
    "last",
    "new",
    "old",
    "local",
    "town",
    "city",
    "area",
    "people",
    "year",
    "years",
    "week",
    "day",
    "night",
    "morning",
    "evening",
    "told",
    "says",
    "could",
    "would",
    "should",
    "will",
    "has",
    "have",
    "had",
    "been",
    "being",
    "also",
    "about",
    "over",
]

# Words that contain a beat word without being it: the traps whole-word matching must get right.
DECOYS = [
    "establish",
    "established",
    "establishment",
    "unstable",
    "stable",
    "stables",
    "knifes",
    "knifeless",
    "police-style",
    "policed",
    "copshop",
    "scuttle",
    "cutsie",
    "haircuts",
    "shortcuts",
    "fireplace",
    "firework",
    "fireworks",
    "gunwale",
    "begun",
    "gunning",
    "armchair",
    "army",
    "harmony",
    "charming",
    "dealership",
    "ideal",
    "councils",
    "counselling",
    "budgeted",
    "parkland",
    "marketing",
    "stationery",
    "trainee",
    "busy",
    "crashing",
    "floodlight",
]

ODDITIES = ["café", "£5m", "naïve", "Zoë", "15%", "&amp;", "O’Brien", "…", "Straße"]

PLACES = {
    "southend": [
        "Southend",
        "Southend-on-Sea",
        "Westcliff",
        "Leigh-on-Sea",
        "Shoeburyness",
        "Prittlewell",
        "Southchurch",
        "Eastwood",
        "Thorpe Bay",
        "Chalkwell",
    ],
    "basildon": ["Basildon", "Pitsea", "Laindon", "Wickford", "Billericay", "Vange", "Lee Chapel", "Noak Bridge"],
    "castle-point": ["Canvey Island", "Benfleet", "Hadleigh", "Thundersley", "Daws Heath", "South Benfleet"],
}

# About what news copy has: a comma every 12 words, a full stop every 18, a paragraph every 50, a few dashes.
SEPARATORS = [" "] * 160 + [", "] * 16 + [". "] * 10 + ["\n\n"] * 4 + [" – ", " - ", ": ", "; "]
PHRASE_GAPS = [" "] * 12 + ["-", " – ", "\n", "  ", "—"]  # what stands between the words of a phrase in copy
QUOTES = [("‘", "’"), ("“", "”"), ('"', '"'), ("'", "'")]
TERM_SYLLABLES = [
    "ba",
    "be",
    "bo",
    "ca",
    "co",
    "da",
    "de",
    "di",
    "fa",
    "fe",
    "ga",
    "go",
    "ha",
    "he",
    "la",
    "le",
    "li",
    "lo",
    "ma",
    "me",
    "mi",
    "mo",
    "na",
    "ne",
    "no",
    "pa",
    "pe",
    "ra",
    "re",
    "ri",
    "ro",
]
FILLER_SYLLABLES = [
    "ku",
    "ki",
    "ko",
    "kay",
    "wu",
    "wi",
    "wo",
    "zu",
    "zi",
    "zo",
    "ju",
    "ji",
    "jo",
    "xu",
    "xi",
    "yu",
    "yi",
    "quo",
    "kel",
    "ky",
    "tu",
    "tim",
    "vun",
]


def made_up_words(rng: random.Random, count: int, syllables: list[str]) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def build_rules(rng: random.Random, made_up: list[str]) -> tuple[dict, dict[str, int]]:
    """30 topics whose terms, with the place names, add up to 500; each topic has words of its own, and shares some."""
    kinds = {
        "plain": 0,
        "phrase": 0,
        "wildcard": 0,
        "NEAR": 0,
        "not/ignore": 0,
        "place": sum(len(names) for names in PLACES.values()),
    }
    budget = TERMS - kinds["place"]
    topics = []
    own = len(made_up) // TOPICS
    for index in range(TOPICS):
        vocabulary = made_up[index * own : (index + 1) * own] * 2 + BEAT_WORDS[index::TOPICS]
        share = budget // TOPICS + (1 if index < budget % TOPICS else 0)
        terms: dict[str, list[str]] = {"any": [], "all": [], "not": [], "ignore": []}
        for slot in range(share):
            kind = ("plain", "plain", "plain", "plain", "phrase", "phrase", "wildcard", "NEAR", "not/ignore")[slot % 9]
            kinds[kind] += 1
            target = "any" if kind != "not/ignore" else rng.choice(["not", "ignore"])
            terms[target].append(make_term(rng, kind, vocabulary))
        if index % 5 == 4:  # some topics also need a second word
            terms["all"].append(terms["any"].pop())
        topic = {"id": f"topic-{index}", "name": f"Topic {index}", **terms}
        if index % 3 == 0:
            topic["place"] = list(PLACES)[index % len(PLACES)]
        topics.append(topic)
    return {"places": PLACES, "topics": topics}, kinds


def make_term(rng: random.Random, kind: str, vocabulary: list[str]) -> str:
    word = lambda: rng.choice(vocabulary)  # noqa: E731
    if kind == "phrase":
        return " ".join(word() for _ in range(rng.randint(2, 3)))
    if kind == "wildcard":
        stem = word()
        return stem[: max(4, len(stem) - rng.randint(0, 2))] + "*"
    if kind == "NEAR":
        return f"{word()} NEAR/{rng.randint(2, 10)} {word()}"
    if kind == "not/ignore":
        return " ".join(word() for _ in range(2))
    return word()


class ArticleWriter:
    """Synthetic copy: common words and filler, with the terms of one topic worked in when the story is on the beat."""

    def __init__(self, rng: random.Random, rules: dict, vocabulary: list[str], filler: list[str]) -> None:
        self.rng = rng
        self.rules = rules
        self.vocabulary = vocabulary
        self.filler = filler

    def article(self) -> dict[str, str]:
        topic = self.rng.choice(self.rules["topics"]) if self.rng.random() < ON_BEAT else None
        lengths = {"title": 60, "summary": 200, "body": ARTICLE_CHARS - 260}
        return {field: self.text(length, topic) for field, length in lengths.items()}

    def text(self, length: int, topic: dict | None) -> str:
        pieces, size, capital = [], 0, True
        while size < length:
            word = self.topical(topic) if topic and self.rng.random() < 0.015 else self.word()
            if capital:
                word = word[:1].upper() + word[1:]
            separator = self.rng.choice(SEPARATORS)
            capital = separator in (". ", "\n\n")
            pieces += [word, separator]
            size += len(word) + len(separator)
        return "".join(pieces).strip()

    def word(self) -> str:
        rng, roll = self.rng, self.rng.random()
        if roll < 0.0005:
            return rng.choice(self.vocabulary)
        if roll < 0.0015:
            return rng.choice(DECOYS)
        if roll < 0.0035:
            return rng.choice([name for names in PLACES.values() for name in names])
        if roll < 0.005:
            return rng.choice(ODDITIES)
        if roll < 0.015:
            left, right = rng.choice(QUOTES)
            return left + rng.choice(COMMON_WORDS + self.filler[:50]) + right
        return rng.choice(COMMON_WORDS) if roll < 0.45 else rng.choice(self.filler)

    def topical(self, topic: dict) -> str:
        """A term of ``topic`` as copy would have it, or a place of its gazetteer."""
        rng = self.rng
        if "place" in topic and rng.random() < 0.2:
            return rng.choice(PLACES[topic["place"]])
        term = rng.choice(topic["any"] + topic["all"] + topic["not"][:1] + topic["ignore"][:1])
        if term.endswith("*"):
            return term[:-1] + rng.choice(["", "s", "ed", "ing", "ings"])
        if " NEAR/" in term:
            left, rest = term.split(" NEAR/")
            distance, right = rest.split(" ", 1)
            sides = [left, right] if rng.random() < 0.5 else [right, left]
            between = [self.word() for _ in range(rng.randint(0, int(distance) + 1))]  # sometimes one too many
            return " ".join([sides[0], *between, sides[1]])
        return "".join(word + rng.choice(PHRASE_GAPS) for word in term.split(" ")).rstrip(" -–—\n")


def timed(match: Callable[[dict[str, str]], list], articles: Sequence[dict[str, str]]) -> tuple[float, float, list]:
    """(wall seconds, CPU seconds, the results)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    results = [match(article) for article in articles]
    return time.perf_counter() - started, time.process_time() - cpu_started, results


def long_articles(count: int, seed: int) -> list[dict[str, str]]:
    """The text of ``count`` of bench/extract.py's pages, as a poll reads it, with a title and summary."""
    from bench.extract import pages  # trafilatura is imported only for this figure
    from monitor.extract import read_article

    texts = [read_article(page, "http://127.0.0.1/articles/story.html").text or "" for page in pages(count, seed)]
    return [
        {"title": "Police appeal after incident", "summary": "Officers want to hear from witnesses.", "body": text}
        for text in texts
    ]


def shipped_rules_on_long_articles(count: int, seed: int) -> int:
    """Prints the figure of the shipped rules over long article texts; returns the number of articles on which the
    matcher and the reference differ."""
    keywords = load_config(Path(__file__).resolve().parents[1] / "config").keywords
    articles = long_articles(count, seed)
    megabytes = sum(len(value.encode()) for article in articles for value in article.values()) / 1e6
    matcher = Matcher.compile(keywords)
    timed(matcher.match, articles[:10])  # warm-up
    runs = [timed(matcher.match, articles) for _ in range(3)]
    cpu = min(seconds for _, seconds, _ in runs)
    reference = ReferenceMatcher.compile(keywords)
    checked = [(article, ours) for article, ours in zip(articles, runs[0][2], strict=True) if _checkable(article)]
    differ = sum(1 for article, ours in checked if ours != reference.match(article))
    size = megabytes / len(articles) * 1000
    print(
        f"shipped rules over {len(articles)} article texts of bench/extract.py ({size:.0f} KB each) in CPU time"
        f" (best of 3): {cpu / len(articles) * 1000:.2f} ms an article, {megabytes / cpu:.1f} MB/s"
    )
    print(f"articles whose results differ: {differ} of the {len(checked)} under {REFERENCE_MOST_CHARS:,} characters")
    return differ


def _checkable(article: dict[str, str]) -> bool:
    """The reference pairs every two occurrences of a NEAR term's sides: on a long article thick with them that
    takes minutes (40 s for one of 55 KB), so only the shorter ones are compared with it."""
    return len(article["body"]) < REFERENCE_MOST_CHARS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="how many articles (default 10000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pages", type=int, default=60, help="how many bench/extract.py pages (default 60)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    made_up = made_up_words(rng, 300, TERM_SYLLABLES)
    rules, kinds = build_rules(rng, made_up)
    vocabulary = BEAT_WORDS + made_up
    writer = ArticleWriter(rng, rules, vocabulary, made_up_words(rng, 3000, FILLER_SYLLABLES))
    articles = [writer.article() for _ in range(args.articles)]
    megabytes = sum(len(value.encode()) for article in articles for value in article.values()) / 1e6
    keywords = KeywordsFile.model_validate(rules)

    started = time.perf_counter()
    matcher = Matcher.compile(keywords)
    compile_ms = (time.perf_counter() - started) * 1000
    timed(matcher.match, articles[:200])  # warm-up: first sight of each character, regular expression caches
    gc.collect()
    gc.freeze()  # the corpus lives as long as the run: the collector need not walk it again and again
    fast_seconds, fast_cpu, fast = timed(matcher.match, articles)
    for _ in range(2):  # best of 3
        seconds, cpu, _ = timed(matcher.match, articles)
        fast_seconds, fast_cpu = min(fast_seconds, seconds), min(fast_cpu, cpu)
    naive_seconds, _, naive = timed(ReferenceMatcher.compile(keywords).match, articles)
    differ = sum(1 for mine, theirs in zip(fast, naive, strict=True) if mine != theirs)

    kinds_listed = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    print(f"rules: {len(rules['topics'])} topics, {sum(kinds.values())} terms ({kinds_listed})")
    matched = sum(1 for result in fast if result)
    print(
        f"articles: {len(articles):,}, {megabytes:.1f} MB; {matched:,} match a topic, {sum(map(len, fast)):,} matches"
    )
    for label, seconds in (("Aho-Corasick matcher (best of 3)", fast_seconds), ("naive regex per term", naive_seconds)):
        print(f"{label}: {seconds:.2f} s, {megabytes / seconds:.1f} MB/s, {len(articles) / seconds:,.0f} articles/s")
    print(f"Aho-Corasick matcher in CPU time (best of 3): {fast_cpu:.2f} s, {megabytes / fast_cpu:.1f} MB/s")
    print(f"matcher compile: {compile_ms:.0f} ms")
    print(f"ratio: the matcher is {naive_seconds / fast_seconds:.1f}x faster")
    verdict = "met" if megabytes / fast_seconds >= TARGET_MB_S else "NOT met"
    print(f"target {TARGET_MB_S} MB/s: {verdict}")
    print(f"articles whose results differ: {differ}")
    differ += shipped_rules_on_long_articles(args.pages, args.seed)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
