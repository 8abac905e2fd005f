"""Items: the unit every source produces and every later stage consumes, how an item is recognised again, and what a
piece of council material says about where it belongs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.urls import is_tracking_parameter


class CouncilEvent(StrEnum):
    """What happened to a piece of council material, which is what the digest says about it first."""

    AGENDA_PUBLISHED = "agenda_published"
    MINUTES_PUBLISHED = "minutes_published"
    MINUTES_CHANGED = "minutes_changed"
    DOCUMENT_ADDED = "document_added"
    DOCUMENT_CHANGED = "document_changed"
    MEETING_CANCELLED = "meeting_cancelled"
    DECISION_PUBLISHED = "decision_published"


@dataclass(frozen=True)
class CouncilReference:
    """Where a piece of council material belongs: its meeting (committee, date, page), its agenda item, its document,
    or the decision and who made it; "" and None where the council system does not say."""

    event: CouncilEvent
    committee: str = ""
    meeting_date: date | None = None
    meeting_url: str = ""
    item_number: str = ""  # as displayed: "7", "7a"
    item_title: str = ""
    document_url: str = ""
    decision_maker: str = ""
    decision_date: date | None = None


@dataclass(frozen=True)
class Item:
    """One story, agenda item, minute, document or decision, as a source found it.

    ``key`` identifies the item within its source. ``aliases`` are other keys under which the same item could come
    back (its normalised link, a hash of title and date) so that a feed that changes GUIDs or republishes is not
    reported twice. ``body`` is the full text (filled by the extract stage for articles, by the source for council
    material); ``body_note`` says why it is missing when it is. ``council`` says where council material belongs; None
    for articles.
    """

    source_id: str
    key: str
    url: str
    title: str
    summary: str = ""
    published: datetime | None = None
    body: str | None = None
    body_note: str = ""
    aliases: tuple[str, ...] = ()
    kind: str = "article"
    council: CouncilReference | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *(alias for alias in self.aliases if alias != self.key))

    def with_body(self, body: str | None, note: str = "") -> Item:
        return replace(self, body=body, body_note=note)


def normalise_url(url: str) -> str:
    """The form of a link used for identity: lower-case host, no fragment, no tracking parameters, no trailing slash."""
    parts = urlsplit(url.strip())
    # Two links that differ only by tracking parameters are the same story.
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_parameter(k)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(sorted(query)), ""))


def identity_keys(entry_id: str | None, link: str | None, title: str, published: datetime | None) -> tuple[str, ...]:
    """Every key under which an entry may be recognised, strongest first: its id, its normalised link, a content
    hash."""
    keys: list[str] = []
    if entry_id and entry_id.strip():
        keys.append("id:" + entry_id.strip())
    if link and link.strip():
        keys.append("url:" + normalise_url(link))
    if not keys:
        stamp = published.isoformat() if published else ""
        keys.append("hash:" + hashlib.sha256(f"{title.strip()}\n{stamp}".encode()).hexdigest()[:32])
    return tuple(dict.fromkeys(keys))
