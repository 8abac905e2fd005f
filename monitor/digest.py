"""Digest: undelivered match records -> a ``Digest`` value (sections by topic in YAML order, entries newest first).

The digest is plain data with every time already in the configured zone; outputs only format it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from monitor.items import CouncilReference
from monitor.match.settings import TopicConfig
from monitor.match.types import Snippet
from monitor.store.records import MatchRecord, SourceHealth, WaitReason
from monitor.urls import clean_link, identity_link


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
    """The digest of ``records`` for one destination (``topics``: those routed there, in keywords.yaml order).

    Each story (the records sharing a story id: its copies, and each copy's topics) is one entry, in the section of
    its first topic; sections follow ``topics``, those with nothing left out, entries newest first, the first
    ``max_items_per_topic`` of a section shown in full and the rest as title links. Records of topics not in
    ``topics`` are left out: the digest shows what staff currently ask for there.
    """
    order = {topic.id: position for position, topic in enumerate(topics)}
    stories: dict[int, list[MatchRecord]] = defaultdict(list)
    for record in records:
        if record.topic_id in order:
            stories[record.story_id].append(record)
    names = {topic.id: topic.name for topic in topics}
    by_topic: dict[str, list[tuple[tuple[datetime, int], DigestEntry]]] = defaultdict(list)
    for story in stories.values():
        matched = sorted({record.topic_id for record in story}, key=order.__getitem__)
        lead = max((record for record in story if record.topic_id == matched[0]), key=lambda r: _time(r, zone))
        topic_names = tuple(TopicName(topic_id, names[topic_id]) for topic_id in matched)
        by_topic[matched[0]].append((_time(lead, zone), _story_entry(story, lead, topic_names, source_names, zone)))
    sections = tuple(_section(topic, by_topic[topic.id], max_items_per_topic) for topic in topics if by_topic[topic.id])
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
    topic: TopicConfig, entries: list[tuple[tuple[datetime, int], DigestEntry]], max_items: int | None
) -> DigestSection:
    newest_first = [entry for _, entry in sorted(entries, key=lambda timed: timed[0], reverse=True)]
    if max_items is not None:
        newest_first[max_items:] = [replace(entry, shown_in_full=False) for entry in newest_first[max_items:]]
    return DigestSection(topic_id=topic.id, topic_name=topic.name, entries=tuple(newest_first))


def _story_entry(
    story: list[MatchRecord],
    lead: MatchRecord,
    topics: tuple[TopicName, ...],
    source_names: Mapping[str, str],
    zone: ZoneInfo,
) -> DigestEntry:
    """One story's entry, under its first topic and led by ``lead`` (the newest copy that matched it), with its other
    topics named and its other copies linked; it stands for every record of the story."""
    section = topics[0].id
    return DigestEntry(
        match_ids=tuple(record.id for record in story),
        topic_id=section,
        title=lead.title,
        url=clean_link(lead.url),  # items stored before links were cleaned show clean too
        source_name=source_names.get(lead.source_id, lead.source_id),
        published=in_zone(lead.published, zone) if lead.published else None,
        terms=tuple(dict.fromkeys(term for r in (lead, *story) if r.topic_id == section for term in r.terms)),
        snippet=lead.snippet,
        kind=lead.kind,
        council=lead.council,
        alerted=any(record.alerted for record in story),
        also_in=_other_copies(lead, story, source_names, zone),
        topics=topics,
        story_id=str(lead.story_id),
    )


def _other_copies(
    lead: MatchRecord, story: list[MatchRecord], source_names: Mapping[str, str], zone: ZoneInfo
) -> tuple[OtherCopy, ...]:
    """The story's copies besides the lead's, newest first, each link once: a copy with several topics has one record
    for each, and a copy under the lead's link or another copy's (an aggregator's copy of the publisher's page) adds
    no link to follow."""
    newest_first = sorted(story, key=lambda record: _time(record, zone), reverse=True)
    linked, copies = {identity_link(lead.url)}, []
    for record in newest_first:
        if identity_link(record.url) not in linked:
            linked.add(identity_link(record.url))
            copies.append(OtherCopy(source_names.get(record.source_id, record.source_id), clean_link(record.url)))
    return tuple(copies)


def _time(record: MatchRecord, zone: ZoneInfo) -> tuple[datetime, int]:
    """Where a record sorts among others, newest last: its publication time, else when it was found."""
    return in_zone(record.published or record.found_at, zone), record.id


def _failure_text(state: SourceHealth, zone: ZoneInfo) -> str:
    failures = state.consecutive_failures
    polls = f"{failures} failed poll{'' if failures == 1 else 's'}"
    error = state.last_error or "no reason recorded"
    if state.wait is not None and state.wait.reason is WaitReason.GONE:
        error += "; not polled again until its entry in sources.yaml changes"
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
