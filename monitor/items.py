"""Items: the unit every source produces and every later stage consumes, how an item is recognised again, and what a
piece of council material says about where it belongs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from monitor.urls import has_parameter, identity_link

LINK_KEY = "url:"  # how the keys made of a link begin


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
    back (its link in its identity form, where its link led, the address its page names as its own, a hash of title
    and date) so that a feed that changes GUIDs or republishes is not reported twice. ``body`` is the full text (filled
    by the extract stage for articles, by the source for council material); ``body_note`` says why it is missing when
    it is. ``council`` says where council material belongs; None for articles.
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

    def known_also_as(self, keys: Iterable[str]) -> Item:
        """This item, with ``keys`` among its aliases (those it has already are not repeated)."""
        return replace(self, aliases=tuple(key for key in dict.fromkeys((*self.aliases, *keys)) if key != self.key))


def link_key(url: str, also_drop: tuple[str, ...] = ()) -> str:
    """The key of an item whose link is ``url``: the link in its identity form (``monitor.urls.identity_link``)."""
    return LINK_KEY + identity_link(url, also_drop)


def link_keys_without(keys: Sequence[str], also_drop: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of ``keys`` made of a link, each again without the query parameters of ``also_drop``, where that
    changes it. The keys with them stay keys too, so that a change to the list never makes a known item look new."""
    # A link without such a parameter is its own identity already: not made again (w3lib's canonical form is the
    # dearest part of it, and a poll identifies every new item so).
    without = (
        link_key(key.removeprefix(LINK_KEY), also_drop)
        for key in keys
        if also_drop and key.startswith(LINK_KEY) and has_parameter(key, also_drop)
    )
    return tuple(dict.fromkeys(key for key in without if key not in keys))


def identity_keys(
    entry_id: str | None,
    link: str | None,
    title: str,
    published: datetime | None,
    *,
    other_links: Iterable[str | None] = (),
) -> tuple[str, ...]:
    """Every key under which an entry may be recognised, strongest first: its id, its link (and ``other_links``, such
    as the redirector's link a feed gives beside the publisher's) in their identity form; a hash of its title and date
    only when it has neither id nor link."""
    keys: list[str] = []
    if entry_id and entry_id.strip():
        keys.append("id:" + entry_id.strip())
    keys += [link_key(each) for each in (link, *other_links) if each and each.strip()]
    if not keys:
        stamp = published.isoformat() if published else ""
        keys.append("hash:" + hashlib.sha256(f"{title.strip()}\n{stamp}".encode()).hexdigest()[:32])
    return tuple(dict.fromkeys(keys))
