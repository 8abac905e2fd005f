"""Read models for the command line: what `monitor matches`, `outbox` and `status` show, as plain values and
as the documented JSON shapes. Reading only: nothing here writes to the store or sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.clock import Clock, utc_now
from monitor.config import Config
from monitor.digest import Digest, DigestEntry
from monitor.next_poll import current_wait, describe_wait
from monitor.sources import SourceConfig
from monitor.sources.kinds import describe_state
from monitor.store import FAILED, PENDING, SENT, DeliveryRecord, MatchRecord, SourceHealth, Store
from monitor.urls import clean_link

JSON = dict[str, Any]


@dataclass(frozen=True)
class SourceStatus:
    source: SourceConfig
    health: SourceHealth | None  # None before the first poll
    read_by: str  # how the source is being read now, in words ("web service" for ModernGov); empty for most kinds
    next_poll: str = ""  # why it waits before its next poll, in words; empty when it is polled on its interval


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    failed: int


class Views:
    """What the store holds, read for people, over one configuration."""

    def __init__(self, config: Config, store: Store, *, clock: Clock = utc_now) -> None:
        self.config, self.store, self.clock = config, store, clock
        self.source_names = source_names(config)

    def matches(self, *, since: timedelta | None = None, topic: str | None = None) -> list[MatchRecord]:
        """Stored matches, newest first; ``since`` a period back from now."""
        start = self.clock() - since if since else None
        return self.store.matches(since=start, topic=topic)

    def match_summaries(self, *, since: timedelta | None = None, topic: str | None = None) -> list[JSON]:
        """`monitor matches --json`."""
        return [match_summary(record, self.source_names) for record in self.matches(since=since, topic=topic)]

    def deliveries(self, sent_since: timedelta) -> list[DeliveryRecord]:
        """Pending and failed deliveries, and those sent in the last ``sent_since``, oldest first."""
        open_ones = self.store.deliveries(states=[PENDING, FAILED])
        sent = self.store.deliveries(states=[SENT], since=self.clock() - sent_since)
        return sorted([*open_ones, *sent], key=lambda delivery: delivery.id)

    def delivery_summaries(self, sent_since: timedelta) -> list[JSON]:
        """`monitor outbox --json`."""
        return [delivery_summary(delivery) for delivery in self.deliveries(sent_since)]

    def outbox_counts(self) -> OutboxCounts:
        waiting = self.store.deliveries(states=[PENDING, FAILED])
        failed = sum(delivery.state == FAILED for delivery in waiting)
        return OutboxCounts(pending=len(waiting) - failed, failed=failed)

    def status(self) -> list[SourceStatus]:
        """Each configured source's health from the store, in config order."""
        health = {row.source_id: row for row in self.store.source_health()}
        zone, now = self.config.monitor.zone, self.clock()
        return [
            SourceStatus(
                source,
                health.get(source.id),
                describe_state(source, _checkpoint(health.get(source.id)), zone=zone),
                self._next_poll(source, health.get(source.id), now),
            )
            for source in self.config.sources.sources
        ]

    def _next_poll(self, source: SourceConfig, health: SourceHealth | None, now: datetime) -> str:
        """The source's wait in words; "" when it has none, or its entry has changed since (which ends the wait)."""
        if health is None or current_wait(source, health) is None:
            return ""
        return describe_wait(health, now=now, zone=self.config.monitor.zone)


def _checkpoint(health: SourceHealth | None) -> dict[str, Any]:
    """The document of the source's checkpoint, read with its health (empty before its first successful poll)."""
    return health.checkpoint if health is not None else {}


def source_names(config: Config) -> dict[str, str]:
    """Each source's name as digests and `matches --json` show it, by id."""
    return {source.id: source.name for source in config.sources.sources}


def match_summary(record: MatchRecord, source_names: dict[str, str]) -> JSON:
    """One stored match in the documented JSON shape of `monitor matches --json`."""
    return {
        "topic": record.topic_id,
        "source": record.source_id,
        "source_name": source_names.get(record.source_id, record.source_id),
        "title": record.title,
        "url": clean_link(record.url),
        "published": record.published.isoformat() if record.published else None,
        "found": record.found_at.isoformat(),
        "terms": list(record.terms),
        "fields": list(dict.fromkeys(hit.field for hit in record.hits)),
        "snippet": record.snippet.marked("**", "**"),
        "page": record.snippet.page,
        "kind": record.kind,
        "urgent": record.urgent,
        "delivered": record.delivered,
        "alerted": record.alerted,
        "story": record.story_id,
    }


def digest_summary(digest: Digest) -> JSON:
    """A digest in the documented JSON shape of `monitor digest --dry-run --json`: sections in order, each story once
    with all its topics (its section's first) and its other copies."""
    return {
        "generated_at": digest.generated_at.isoformat(),
        "edition": digest.edition,
        "stories": digest.total,
        "sections": [
            {
                "topic": section.topic_id,
                "name": section.topic_name,
                "count": len(section.entries),
                "entries": [_entry_summary(entry) for entry in section.entries],
            }
            for section in digest.sections
        ],
    }


def _entry_summary(entry: DigestEntry) -> JSON:
    return {
        "url": entry.url,
        "title": entry.title,
        "source": entry.source_name,
        "published": _iso(entry.published),
        "topics": [topic.id for topic in entry.topics],
        "also_in": [{"source": copy.source_name, "url": copy.url} for copy in entry.also_in],
        "shown_in_full": entry.shown_in_full,
        "terms": list(entry.terms),
        "alerted": entry.alerted,
        "story": int(entry.story_id),
    }


def delivery_summary(delivery: DeliveryRecord) -> JSON:
    """One delivery as `monitor outbox --json` shows it."""
    return {
        "id": delivery.id,
        "state": delivery.state,
        "kind": delivery.kind,
        "output": delivery.output,
        "destination": delivery.destination,
        "matches": len(delivery.match_ids),
        "parts": len(delivery.parts),
        "parts_sent": delivery.parts_sent,
        "attempts": delivery.attempts,
        "created_at": _iso(delivery.created_at),
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "sent_at": _iso(delivery.sent_at),
        "last_error": delivery.last_error,
        "receipts": list(delivery.receipts),
        "part_in_flight_since": _iso(delivery.part_in_flight_since),
        "claimed_by": delivery.claimed_by,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
