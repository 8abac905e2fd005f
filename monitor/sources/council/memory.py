"""What a council source remembers between looks (its checkpoint): each meeting it still watches, with the agenda
items, minutes and documents already reported, and each document's version and content hash.

Everything is keyed by the council system's own ids, so reading the same council another way (ModernGov's web service
or its HTML pages) finds the same memories.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Self

from monitor.extract.documents import content_hash
from monitor.sources.base import Checkpoint
from monitor.sources.council.model import Meeting, MeetingRef


@dataclass(frozen=True)
class MeetingMemory:
    """What was reported about a meeting: enough to tell what is new next time, and when to stop looking."""

    committee_id: str
    day: date
    url: str
    fingerprint: str
    cancelled: bool
    minutes_published: bool
    items: tuple[str, ...] = ()
    minutes: Mapping[str, str] = field(default_factory=dict)  # agenda item id -> content_hash of its minutes
    documents: tuple[str, ...] = ()

    @classmethod
    def of(cls, meeting: Meeting, previous: MeetingMemory | None) -> MeetingMemory:
        """The memory of a meeting just reported. Ids seen before are kept: an item or document that drops off the
        page for a while is not new when it comes back."""
        return cls(
            committee_id=meeting.committee_id,
            day=meeting.day,
            url=meeting.url,
            fingerprint=meeting.fingerprint(),
            cancelled=meeting.cancelled,
            minutes_published=meeting.minutes_published,
            items=_union(previous.items if previous else (), (item.item_id for item in meeting.items)),
            minutes={
                **(previous.minutes if previous else {}),
                **{item.item_id: content_hash(item.minutes) for item in meeting.items if item.minutes},
            },
            documents=_union(previous.documents if previous else (), (doc.doc_id for doc in meeting.documents)),
        )

    def ref(self, meeting_id: str) -> MeetingRef:
        return MeetingRef(meeting_id, self.committee_id, self.day, self.url)

    def settled(self, today: date, settle_after: timedelta) -> bool:
        """Done with: minutes out (or cancelled) and older than settle_after; or twice that old with no minutes ever."""
        age = today - self.day
        return (age > settle_after and (self.minutes_published or self.cancelled)) or age > 2 * settle_after


def _union(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))


@dataclass(frozen=True)
class DocumentMemory:
    """A document read (``hash`` set) or still failing to download (``tries``), at the ``version`` the system gave."""

    version: str = ""
    hash: str = ""
    tries: int = 0


@dataclass(frozen=True)
class CouncilMemory(Checkpoint):
    """The meetings a council source watches and their documents, by id: a CMIS source's whole checkpoint, and the
    meetings part of a ModernGov source's."""

    meetings: Mapping[str, MeetingMemory] = field(default_factory=dict)
    documents: Mapping[str, DocumentMemory] = field(default_factory=dict)

    @classmethod
    def restore(cls, document: Mapping[str, Any]) -> Self:
        return super().restore(unflattened(document) if is_flat(document) else document)

    def forget(self, meeting_id: str) -> CouncilMemory:
        """Without the meeting and its documents: it settled, went, or is no longer watched."""
        gone = self.meetings.get(meeting_id)
        documents = set(gone.documents) if gone else set()
        return replace(
            self,
            meetings={key: value for key, value in self.meetings.items() if key != meeting_id},
            documents={key: value for key, value in self.documents.items() if key not in documents},
        )

    def retrying(self, meeting_id: str) -> bool:
        """Whether a document of the meeting failed to download and waits to be tried again."""
        remembered = self.meetings.get(meeting_id)
        return remembered is not None and any(
            self.documents.get(doc_id, DocumentMemory()).tries for doc_id in remembered.documents
        )


# --- checkpoints written before they were typed ----------------------------------------------------------------------


def is_flat(document: Mapping[str, Any]) -> bool:
    """Whether ``document`` is a checkpoint as council sources wrote them before they were typed: one flat map with
    ``meeting:<id>`` and ``doc:<id>`` keys holding JSON strings (and the adapter's own keys beside them)."""
    return any(key.startswith(("meeting:", "doc:")) for key in document)


def unflattened(document: Mapping[str, Any]) -> dict[str, Any]:
    """The CouncilMemory document of a flat one: the JSON strings name the same fields the memories have."""
    return {
        "meetings": _entries(document, "meeting:"),
        "documents": _entries(document, "doc:"),
    }


def _entries(document: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {key.removeprefix(prefix): json.loads(value) for key, value in document.items() if key.startswith(prefix)}
