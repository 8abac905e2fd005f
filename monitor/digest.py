"""Digest: undelivered match records -> a ``Digest`` value (sections by topic in YAML order, entries newest first).

The digest is plain data with every time already in the configured zone; outputs only format it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from difflib import SequenceMatcher
from zoneinfo import ZoneInfo

from monitor.items import CouncilReference, normalise_url
from monitor.match.settings import TopicConfig
from monitor.match.types import Snippet
from monitor.store.records import MatchRecord, SourceHealth
from monitor.urls import clean_link


@dataclass(frozen=True)
class TopicName:
    id: str
    name: str


@dataclass(frozen=True)
class OtherCopy:
    """The same story from another outlet (or under another link): shown as "also covered by"."""

    source_name: str
    url: str


@dataclass(frozen=True)
class DigestEntry:
    """One story in one destination's digest: it sits once, under its first topic in keywords.yaml order among those
    routed there; ``topics`` names every topic of the story routed there, that one first."""

    match_ids: tuple[int, ...]  # every match the entry stands for: all its topics, all its copies
    topic_id: str  # the section it sits in
    title: str
    url: str
    source_name: str
    published: datetime | None  # in the configured time zone
    terms: tuple[str, ...]
    snippet: Snippet
    kind: str = "article"
    council: CouncilReference | None = None  # where council material belongs
    alerted: bool = False  # already sent as an urgent alert
    also_in: tuple[OtherCopy, ...] = ()  # the same story elsewhere
    topics: tuple[TopicName, ...] = ()  # every topic of the story routed here, the section's first
    story_id: str = ""  # shared by every item of one story
    shown_in_full: bool = True  # False: beyond max_items_per_topic, shown as a one-line title link

    @property
    def other_topics(self) -> tuple[TopicName, ...]:
        """The story's topics besides the section it sits in ("also: Police numbers, PFCC")."""
        return tuple(topic for topic in self.topics if topic.id != self.topic_id)


@dataclass(frozen=True)
class DigestSection:
    topic_id: str
    topic_name: str
    entries: tuple[DigestEntry, ...]  # those shown in full first, then those shown as title links

    @property
    def in_full(self) -> tuple[DigestEntry, ...]:
        return tuple(entry for entry in self.entries if entry.shown_in_full)

    @property
    def in_brief(self) -> tuple[DigestEntry, ...]:
        return tuple(entry for entry in self.entries if not entry.shown_in_full)


@dataclass(frozen=True)
class SourceProblem:
    source_name: str
    problem: str


@dataclass(frozen=True)
class Digest:
    generated_at: datetime
    since: datetime | None
    sections: tuple[DigestSection, ...]
    health: tuple[SourceProblem, ...] = ()
    edition: str = ""  # which run of digest.schedule: its name ("Morning") or its time ("08:00")

    @property
    def total(self) -> int:
        """Stories in the digest, each counted once."""
        return sum(len(section.entries) for section in self.sections)

    @property
    def empty(self) -> bool:
        return not self.sections

    @property
    def match_ids(self) -> tuple[int, ...]:
        """Every match the digest carries, those of stories shown as title links included: every one of them is in
        front of the reader, so sending the digest delivers them all."""
        return tuple(i for section in self.sections for entry in section.entries for i in entry.match_ids)


# --- building -----------------------------------------------------------------------------------------------------

# Titles this alike (after lower-casing and dropping punctuation) are one story told by two outlets.
SAME_TITLE_RATIO = 0.9

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def build_digest(
    records: Sequence[MatchRecord],
    *,
    topics: Sequence[TopicConfig],
    source_names: Mapping[str, str],
    zone: ZoneInfo,
    now: datetime,
    since: datetime | None = None,
    health: Sequence[SourceHealth] = (),
    max_items_per_topic: int | None = None,
) -> Digest:
    """The digest of ``records``: one section per topic in YAML order (topics with nothing are left out), entries newest
    first, one story from several outlets shown once, at most ``max_items_per_topic`` entries a section.

    Records of topics no longer in the YAML are left out: the digest shows what staff currently ask for.
    """
    by_topic: dict[str, list[MatchRecord]] = defaultdict(list)
    for record in records:
        by_topic[record.topic_id].append(record)
    sections = tuple(
        _section(topic, by_topic[topic.id], source_names, zone, max_items_per_topic)
        for topic in topics
        if by_topic[topic.id]
    )
    return Digest(
        generated_at=in_zone(now, zone),
        since=in_zone(since, zone) if since else None,
        sections=sections,
        health=tuple(
            SourceProblem(source_names.get(state.source_id, state.source_id), _failure_text(state, zone))
            for state in health
            if state.consecutive_failures > 0
        ),
    )


def _section(
    topic: TopicConfig,
    records: list[MatchRecord],
    source_names: Mapping[str, str],
    zone: ZoneInfo,
    max_items: int | None,
) -> DigestSection:
    newest_first = sorted(records, key=lambda r: (in_zone(r.published or r.found_at, zone), r.id), reverse=True)
    entries = merge_same_stories([_entry(record, source_names, zone) for record in newest_first])
    if max_items is not None:
        entries = [*entries[:max_items], *(replace(entry, shown_in_full=False) for entry in entries[max_items:])]
    return DigestSection(topic_id=topic.id, topic_name=topic.name, entries=tuple(entries))


def _entry(record: MatchRecord, source_names: Mapping[str, str], zone: ZoneInfo) -> DigestEntry:
    return DigestEntry(
        match_ids=(record.id,),
        topic_id=record.topic_id,
        title=record.title,
        url=clean_link(record.url),  # items stored before links were cleaned show clean too
        source_name=source_names.get(record.source_id, record.source_id),
        published=in_zone(record.published, zone) if record.published else None,
        terms=tuple(record.terms),
        snippet=record.snippet,
        kind=record.kind,
        council=record.council,
        alerted=record.alerted,
    )


def merge_same_stories(entries: Sequence[DigestEntry]) -> list[DigestEntry]:
    """Show a story covered by several outlets once.

    Entries are the same story when their links are the same once normalised, or their titles are near-identical
    (``SAME_TITLE_RATIO`` after lower-casing and dropping punctuation) and name the same numbers ("Man, 24, stabbed"
    and "Man, 42, stabbed" are two stories). Each group becomes its first entry (the newest,
    as ``entries`` come newest first) with every group member's match ids and terms, ``alerted`` if any member was, and
    the others' (source name, url) in ``also_in``. Order of first appearance is kept.
    """
    groups: list[list[DigestEntry]] = []
    for entry in entries:
        group = next((g for g in groups if any(_same_story(entry, member) for member in g)), None)
        if group is None:
            groups.append([entry])
        else:
            group.append(entry)
    return [_merge(group) for group in groups]


def _same_story(a: DigestEntry, b: DigestEntry) -> bool:
    if a.url and b.url and normalise_url(a.url) == normalise_url(b.url):
        return True
    title_a, title_b = _title_key(a.title), _title_key(b.title)
    if not title_a or not title_b or _numbers(title_a) != _numbers(title_b):
        return False
    similarity = SequenceMatcher(None, title_a, title_b)
    # The quick upper bounds reject most pairs without the quadratic comparison.
    return all(
        bound() >= SAME_TITLE_RATIO for bound in (similarity.real_quick_ratio, similarity.quick_ratio, similarity.ratio)
    )


def _title_key(title: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in title.lower()).split())


def _numbers(title_key: str) -> set[str]:
    return {word for word in title_key.split() if word.isdigit()}


def _merge(group: list[DigestEntry]) -> DigestEntry:
    first, others = group[0], group[1:]
    if not others:
        return first
    elsewhere = dict.fromkeys(OtherCopy(other.source_name, other.url) for other in others)
    elsewhere.pop(OtherCopy(first.source_name, first.url), None)
    return replace(
        first,
        match_ids=tuple(i for entry in group for i in entry.match_ids),
        terms=tuple(dict.fromkeys(term for entry in group for term in entry.terms)),
        alerted=any(entry.alerted for entry in group),
        also_in=tuple(elsewhere),
    )


def _failure_text(state: SourceHealth, zone: ZoneInfo) -> str:
    failures = state.consecutive_failures
    polls = f"{failures} failed poll{'' if failures == 1 else 's'}"
    error = state.last_error or "no reason recorded"
    if state.last_success_at is None:
        return f"failing since it was first polled ({polls}; last error: {error})"
    return f"failing since {format_datetime(in_zone(state.last_success_at, zone))} ({polls}; last error: {error})"


# --- times as staff read them -------------------------------------------------------------------------------------


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` in ``zone``; a naive time (none should arrive: the store returns aware ones) is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def format_date(day: date) -> str:
    """``Thu 26 Nov 2026``: English names whatever the machine's locale, as the digest is written in English."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_datetime(moment: datetime) -> str:
    """``Thu 26 Nov 2026 08:00`` in the time zone ``moment`` carries."""
    return f"{format_date(moment)} {moment:%H:%M}"
