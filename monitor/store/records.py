"""What the store hands out: frozen values, never database rows, so no caller can reach past the store into SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from monitor.items import CouncilReference
from monitor.match.types import Hit, Snippet

# The states of an outbox delivery.
PENDING = "pending"  # waiting to be sent, or to be tried again at next_attempt_at
SENT = "sent"  # every part went out
FAILED = "failed"  # gave up; kept until someone runs `monitor outbox retry`


@dataclass(frozen=True)
class MatchRecord:
    """A stored match with the item it belongs to, and where it has been delivered."""

    id: int
    item_id: int
    topic_id: str
    source_id: str
    kind: str
    title: str
    url: str
    summary: str
    published: datetime | None
    found_at: datetime
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]
    snippet: Snippet
    urgent: bool
    council: CouncilReference | None  # where council material belongs; None for articles
    delivered_to: tuple[tuple[str, str], ...]  # (output, destination), first delivery first
    alerted: bool  # sent as an urgent alert to at least one destination
    story_id: int  # shared by every item of one story (monitor/stories.py)

    @property
    def delivered(self) -> bool:
        return bool(self.delivered_to)


@dataclass(frozen=True)
class ItemRecord:
    """A stored item with the topics it matched when it was found (none when it was recorded but not reported)."""

    id: int
    source_id: str
    key: str
    kind: str
    url: str
    title: str
    summary: str
    published: datetime | None
    found_at: datetime
    body: str | None
    body_note: str
    council: CouncilReference | None
    topics: tuple[str, ...]
    reported: bool  # False for first-run backfill: stored so it is never reported, but its matches were not kept
    page_tries: int = 0  # fetches of its page that failed
    page_retry_at: datetime | None = None  # when its page is due to be fetched again; None when it is not waiting
    story_id: int = 0  # shared by every item of one story (monitor/stories.py); the store always gives it


class WaitReason(StrEnum):
    """Why a source is not polled on its usual interval (monitor/next_poll.py has the rules)."""

    FRESH = "fresh"  # its server said the feed stays the same until then (Cache-Control max-age, Expires)
    RETRY_AFTER = "retry-after"  # its server answered 429 or 503 with a Retry-After
    BACKING_OFF = "backing-off"  # it failed poll after poll
    GONE = "gone"  # its server answered 410 Gone: not polled again until its entry in sources.yaml changes


@dataclass(frozen=True)
class SourceWait:
    """When a source may be polled next (``until``; None for GONE), why, and for which version of its entry in
    sources.yaml (``entry``, a fingerprint): an edited entry ends the wait."""

    reason: WaitReason
    until: datetime | None
    entry: str


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    polled_once: bool
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None  # of the latest poll; None once a poll succeeds again
    consecutive_failures: int
    last_new_items: int
    last_new_matches: int
    last_seconds: float
    pages_waiting: int = 0  # story pages that failed and wait to be fetched again
    last_page_error: str | None = None  # the latest story page that could not be fetched ("URL: reason")
    last_page_error_at: datetime | None = None
    wait: SourceWait | None = None  # None: polled on its interval
    checkpoint: dict[str, Any] = field(default_factory=dict)  # the document the last successful poll saved


@dataclass(frozen=True)
class DeliveryRecord:
    """One digest or alert to one (output, destination) in the outbox, made of parts sent in order.

    A retry resumes at ``parts[parts_sent]``; ``receipts`` holds what each part already sent returned (Slack ``ts``).
    ``part_in_flight_since`` is set while that next part may have reached the service unrecorded (a timeout, a dropped
    connection, a process killed mid-send): it is looked for there before it is sent again.
    """

    id: int
    key: str
    output: str
    destination: str
    kind: str  # "digest" | "alert"
    parts: tuple[dict[str, Any], ...]
    parts_sent: int
    receipts: tuple[str | None, ...]
    match_ids: tuple[int, ...]  # the matches it carries, by id, ascending
    state: str  # PENDING | SENT | FAILED
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    part_in_flight_since: datetime | None = None
    claimed_by: str | None = None  # the process sending it ("host:pid"), until claimed_until
    claimed_until: datetime | None = None
