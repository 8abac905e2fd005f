"""The labelled corpus of issue 12, and the score of a set of rules on it.

Each ``*.yaml`` file in this folder holds ``stories:``, short news stories written the way the Echo, BBC Essex, Essex
Live, Essex Police and Southend council papers write (all invented), each marked with the topics a Southend crime desk
would want (``topics: []`` for a story it would not). A story has a ``title`` and a ``body`` (the full text, 40 to 150
words) or only a ``summary`` (what a feed gives, at most 50 words), or both; optionally the ``source`` it came from
and, for a source that stands for one place (Southend council's papers), that ``place``. The labelling rules are in the
comment at the top of each file.

``score`` runs any matcher over the stories and counts, per topic and micro-averaged over every (story, topic) label,
the stories labelled, matched, and both; ``shipped_topics`` is the matcher of the shipped ``config/`` as a poll builds
it. ``tests/test_shipped_rules.py`` holds the shipped file to precision and recall of 0.95; ``bench/rules.py`` prints
the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from monitor.config import load_config
from monitor.config.document import YamlDocument, parse_document
from monitor.config.errors import ConfigError, ConfigErrors
from monitor.match import Matcher

FOLDER = Path(__file__).resolve().parent
ROOT = FOLDER.parents[1]
CONFIG = ROOT / "config"

# The shipped topic ids, fixed by the plan of issue 12 so that the corpus and the rules agree.
TOPICS = (
    "knife-crime",
    "violence",
    "burglary-robbery-theft",
    "drugs-county-lines",
    "anti-social-behaviour",
    "police-numbers",
    "pfcc",
    "road-safety",
    "domestic-abuse",
    "sexual-offences",
    "courts",
    "fire-arson",
)
SOURCES = ("echo", "bbc-essex", "essex-live", "essex-police", "southend-council", "essex-pfcc", "other")
PLACES = ("southend",)
TARGET = 0.95  # the precision and recall the shipped rules must reach (issue 12)
BODY_WORDS = (40, 150)
SUMMARY_WORDS = 50
_KEYS = ("title", "summary", "body", "source", "place", "topics")
_EXAMPLE = "see the comment at the top of tests/rules_corpus/__init__.py for the shape of a story"


@dataclass(frozen=True)
class Story:
    where: str  # FILE:LINE, for people fixing a label
    title: str
    summary: str
    body: str
    source: str | None
    place: str | None
    topics: frozenset[str]

    @property
    def kind(self) -> str:
        """The file it is in, without ``.yaml``: the corpus is split by kind of story."""
        return Path(self.where.split(":")[0]).stem

    @property
    def fields(self) -> dict[str, str]:
        """What ``Matcher.match`` reads, as ``story_fields`` gives it for a stored story."""
        return {"title": self.title, "summary": self.summary, "body": self.body}


def load_corpus(folder: Path = FOLDER) -> list[Story]:
    """Every story of every file in ``folder``; raises ``ConfigErrors`` naming FILE:LINE:COL of each malformed one."""
    stories: list[Story] = []
    problems: list[ConfigError] = []
    for path in sorted(folder.glob("*.yaml")):
        name = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        document = parse_document(name, path.read_text(encoding="utf-8"), _EXAMPLE)
        entries = document.root.get("stories")
        if not isinstance(entries, CommentedSeq):
            problems.append(ConfigError(name, 1, 1, "the file needs a 'stories:' list", _EXAMPLE))
            continue
        for index, entry in enumerate(entries):
            found = _problems(document, index, entry)
            problems += found
            if not found:
                stories.append(_story(document, index, entry))
    problems += _repeated_titles(stories)
    if problems:
        raise ConfigErrors(problems)
    return stories


def _problems(document: YamlDocument, index: int, entry: Any) -> list[ConfigError]:
    line, col = document.position(("stories", index))

    def problem(message: str) -> ConfigError:
        return ConfigError(document.file, line, col, message, _EXAMPLE)

    if not isinstance(entry, CommentedMap):
        return [problem("a story should be 'key: value' lines")]
    found = [problem(f"unknown key {key!r}; a story has {', '.join(_KEYS)}") for key in entry if key not in _KEYS]
    if not isinstance(entry.get("title"), str) or not entry["title"].strip():
        found.append(problem("the story has no title"))
    if "body" not in entry and "summary" not in entry:
        found.append(problem("the story needs a body (the full text) or a summary (what a feed gives)"))
    low, high = BODY_WORDS
    if "body" in entry and not low <= _words(entry["body"]) <= high:
        found.append(problem(f"the body has {_words(entry['body'])} words; write {low} to {high}"))
    if "summary" in entry and not 0 < _words(entry["summary"]) <= SUMMARY_WORDS:
        found.append(problem(f"the summary has {_words(entry['summary'])} words; write at most {SUMMARY_WORDS}"))
    for key, allowed in (("source", SOURCES), ("place", PLACES)):
        if key in entry and entry[key] not in allowed:
            found.append(problem(f"{key} {entry[key]!r} is not one of {', '.join(allowed)}"))
    labels = entry.get("topics")
    if not isinstance(labels, list):
        found.append(problem("the story needs 'topics: [...]' (an empty list for a story the desk would not want)"))
    else:
        unknown = [label for label in labels if label not in TOPICS]
        found += [problem(f"unknown topic {label!r}; the topics are {', '.join(TOPICS)}") for label in unknown]
    return found


def _words(text: Any) -> int:
    return len(str(text).split())


def _story(document: YamlDocument, index: int, entry: CommentedMap) -> Story:
    line, _ = document.position(("stories", index))
    return Story(
        where=f"{document.file}:{line}",
        title=entry["title"].strip(),
        summary=str(entry.get("summary", "")).strip(),
        body=str(entry.get("body", "")).strip(),
        source=entry.get("source"),
        place=entry.get("place"),
        topics=frozenset(entry["topics"]),
    )


def _repeated_titles(stories: list[Story]) -> list[ConfigError]:
    first: dict[str, Story] = {}
    problems = []
    for story in stories:
        earlier = first.setdefault(story.title.casefold(), story)
        if earlier is not story:
            file, line = story.where.rsplit(":", 1)
            problems.append(ConfigError(file, int(line), 1, f"the title is also at {earlier.where}", "write another"))
    return problems


@dataclass(frozen=True)
class Tally:
    """Of one topic (or of all labels together): stories labelled, stories matched, and stories both."""

    labelled: int = 0
    matched: int = 0
    true_positives: int = 0

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.matched if self.matched else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.labelled if self.labelled else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.labelled + other.labelled,
            self.matched + other.matched,
            self.true_positives + other.true_positives,
        )


@dataclass(frozen=True)
class Score:
    topics: dict[str, Tally]  # the corpus's topics, then any other topic the rules matched
    false_positives: tuple[tuple[Story, str], ...]
    false_negatives: tuple[tuple[Story, str], ...]

    @property
    def overall(self) -> Tally:
        """Micro-averaged: every (story, topic) label and every (story, topic) match counts once."""
        return sum(self.topics.values(), Tally())

    def meets(self, target: float) -> bool:
        """Whether overall precision and recall both reach ``target``."""
        figures = (self.overall.precision, self.overall.recall)
        return all(figure is not None and figure >= target for figure in figures)

    def table(self) -> str:
        """The per-topic figures and the overall ones, as lines of a plain-text table."""
        rows = [("topic", "labelled", "matched", "true pos", "precision", "recall")]
        rows += [_row(topic, tally) for topic, tally in self.topics.items()]
        rows.append(_row("overall (micro)", self.overall))
        width = max(len(row[0]) for row in rows)
        return "\n".join(f"{row[0]:<{width}}" + "".join(f"{cell:>11}" for cell in row[1:]) for row in rows)

    def errors(self) -> str:
        """Each wrong answer as 'FILE:LINE  topic  title', false positives first, for whoever edits the rules."""
        lines = []
        for heading, pairs in (("false positives", self.false_positives), ("false negatives", self.false_negatives)):
            lines.append(f"{heading} ({len(pairs)}):")
            lines += [f"  {story.where}  {topic}  {story.title}" for story, topic in pairs]
        return "\n".join(lines)


def _row(topic: str, tally: Tally) -> tuple[str, ...]:
    def ratio(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    counts = (tally.labelled, tally.matched, tally.true_positives)
    return (topic, *map(str, counts), ratio(tally.precision), ratio(tally.recall))


def score(stories: Iterable[Story], topics_of: Callable[[Story], Iterable[str]]) -> Score:
    """Precision and recall of ``topics_of`` (the topic ids a matcher gives a story) against the labels."""
    labelled: dict[str, int] = dict.fromkeys(TOPICS, 0)
    matched: dict[str, int] = dict.fromkeys(TOPICS, 0)
    right: dict[str, int] = dict.fromkeys(TOPICS, 0)
    false_positives, false_negatives = [], []
    for story in stories:
        found = set(topics_of(story))
        for topic in story.topics:
            labelled[topic] += 1
        for topic in found:
            matched[topic] = matched.get(topic, 0) + 1
            right[topic] = right.get(topic, 0) + (topic in story.topics)
        false_positives += [(story, topic) for topic in sorted(found - story.topics)]
        false_negatives += [(story, topic) for topic in sorted(story.topics - found)]
    tallies = {topic: Tally(labelled.get(topic, 0), matched[topic], right[topic]) for topic in matched}
    return Score(tallies, tuple(false_positives), tuple(false_negatives))


def shipped_topics(config: Path = CONFIG) -> Callable[[Story], set[str]]:
    """The topics the rules in ``config`` give a story, compiled from ``load_config`` as a poll compiles them."""
    matcher = Matcher.compile(load_config(config).keywords)

    def topics_of(story: Story) -> set[str]:
        # A story from a source that stands for a place (Southend council's papers) passes that place's gates.
        places = (story.place,) if story.place else ()
        return {match.topic_id for match in matcher.match(story.fields, places)}

    return topics_of
