"""Matches: what each stored item matched, read back with the item and with where the match has been delivered.

Matches are written with their item (``ItemsStore``); where they have been delivered is written when a delivery is sent
(``OutboxStore``), and here for the matches of a story that a destination has already received. This part reads them,
and says how a match is stored.

A destination receives a story once (and once more as an urgent alert): a match whose story has reached a destination,
or is on its way there, is not offered to it again; it counts as delivered there (``cover_received_stories``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, Row, Select, and_, func, insert, select
from sqlalchemy.engine import Connection

from monitor.match.types import Hit, Match, Snippet
from monitor.store.engine import StoreBase
from monitor.store.records import FAILED, PENDING, MatchRecord
from monitor.store.schema import (
    deliveries_table,
    delivery_matches_table,
    items_table,
    match_deliveries_table,
    matches_table,
)


class MatchesStore(StoreBase):
    def matches(
        self,
        *,
        since: datetime | None = None,
        topic: str | None = None,
        undelivered_to: tuple[str, str] | None = None,
        kind: str = "digest",
        ids: Iterable[int] | None = None,
    ) -> list[MatchRecord]:
        """Stored matches, newest first (by publication time, else by the time they were found).

        ``since`` keeps matches found since then; ``undelivered_to=(output, destination)`` keeps those whose story has
        neither been delivered there as a ``kind`` ("digest" or "alert") nor is waiting in the outbox to go there as
        one; ``ids`` keeps only those.
        """
        query = select(
            matches_table,
            items_table.c.story_id,
            items_table.c.source_id,
            items_table.c.kind,
            items_table.c.title,
            items_table.c.url,
            items_table.c.summary,
            items_table.c.published,
            items_table.c.found_at,
            items_table.c.council,
        ).join(items_table, items_table.c.id == matches_table.c.item_id)
        if since is not None:
            query = query.where(items_table.c.found_at >= since)
        if topic is not None:
            query = query.where(matches_table.c.topic_id == topic)
        if undelivered_to is not None:
            query = query.where(
                ~_story_delivered_there(*undelivered_to, kind), ~_story_queued_for(*undelivered_to, kind)
            )
        if ids is not None:
            query = query.where(matches_table.c.id.in_(list(ids)))
        newest_first = func.coalesce(items_table.c.published, items_table.c.found_at).desc()
        with self._reading() as connection:
            rows = connection.execute(query.order_by(newest_first, matches_table.c.id.desc())).all()
            # The same filters select the deliveries, so no list of ids has to travel back as bound parameters.
            deliveries = _deliveries_of(connection, query.with_only_columns(matches_table.c.id))
        return [_match_record(row, deliveries.get(row.id, [])) for row in rows]

    def cover_received_stories(
        self, output: str, destination: str, *, topics: Collection[str], since: datetime, at: datetime
    ) -> int:
        """Mark delivered to (output, destination) the matches of ``topics`` (those routed there) found since ``since``
        whose story it has already received (as a digest, or as an alert for alerts) though they were not in it:
        copies found later, topics a page read late added. They are never sent there; return how many were marked."""
        marked = 0
        with self._writing() as connection:
            for alert in (False, True):
                kind = "alert" if alert else "digest"
                covered = connection.scalars(
                    select(matches_table.c.id)
                    .join(items_table, items_table.c.id == matches_table.c.item_id)
                    .where(
                        items_table.c.found_at >= since,
                        matches_table.c.topic_id.in_(list(topics)),
                        ~_delivered_there(output, destination, kind),
                        _story_delivered_there(output, destination, kind),
                    )
                ).all()
                if covered:
                    there = {"output": output, "destination": destination, "alert": alert, "delivered_at": at}
                    connection.execute(insert(match_deliveries_table), [{"match_id": i, **there} for i in covered])
                marked += len(covered)
        return marked


def match_rows(item_id: int, matches: Sequence[Match]) -> list[dict[str, Any]]:
    """The rows that store ``matches`` of the item ``item_id``."""
    return [
        {
            "item_id": item_id,
            "topic_id": match.topic_id,
            "terms": list(match.terms),
            "hits": [[hit.term, hit.field, hit.start, hit.end] for hit in match.hits],
            "snippet_text": match.snippet.text,
            "snippet_marks": [list(mark) for mark in match.snippet.marks],
            "snippet_page": match.snippet.page,
            "urgent": match.urgent,
        }
        for match in matches
    ]


def _delivered_there(output: str, destination: str, kind: str) -> Exists:
    """The match (of the outer query) has been delivered to (output, destination) as a ``kind``."""
    return (
        select(match_deliveries_table.c.match_id)
        .where(match_deliveries_table.c.match_id == matches_table.c.id, _there(output, destination, kind))
        .exists()
    )


def _story_delivered_there(output: str, destination: str, kind: str) -> Exists:
    """A match of the story of the outer query's item has been delivered to (output, destination) as a ``kind``."""
    return (
        select(match_deliveries_table.c.match_id)
        .join(_OTHER_MATCHES, _OTHER_MATCHES.c.id == match_deliveries_table.c.match_id)
        .join(_OTHER_ITEMS, _OTHER_ITEMS.c.id == _OTHER_MATCHES.c.item_id)
        .where(_OTHER_ITEMS.c.story_id == items_table.c.story_id, _there(output, destination, kind))
        .exists()
    )


def _story_queued_for(output: str, destination: str, kind: str) -> Exists:
    """A match of the story of the outer query's item waits in the outbox to go to (output, destination) as a
    ``kind``."""
    return (
        select(delivery_matches_table.c.match_id)
        .join(deliveries_table, deliveries_table.c.id == delivery_matches_table.c.delivery_id)
        .join(_OTHER_MATCHES, _OTHER_MATCHES.c.id == delivery_matches_table.c.match_id)
        .join(_OTHER_ITEMS, _OTHER_ITEMS.c.id == _OTHER_MATCHES.c.item_id)
        .where(
            _OTHER_ITEMS.c.story_id == items_table.c.story_id,
            deliveries_table.c.output == output,
            deliveries_table.c.destination == destination,
            deliveries_table.c.kind == kind,
            deliveries_table.c.state.in_([PENDING, FAILED]),
        )
        .exists()
    )


def _there(output: str, destination: str, kind: str) -> ColumnElement[bool]:
    return and_(
        match_deliveries_table.c.output == output,
        match_deliveries_table.c.destination == destination,
        match_deliveries_table.c.alert == (kind == "alert"),
    )


# The other matches and items of a story, beside those of the outer query.
_OTHER_MATCHES = matches_table.alias("story_matches")
_OTHER_ITEMS = items_table.alias("story_items")


def _deliveries_of(connection: Connection, match_ids: Select[int]) -> dict[int, list[Row[Any]]]:
    rows = connection.execute(
        select(match_deliveries_table)
        .where(match_deliveries_table.c.match_id.in_(match_ids))
        .order_by(match_deliveries_table.c.delivered_at, match_deliveries_table.c.output)
    ).all()
    deliveries: dict[int, list[Row[Any]]] = {}
    for row in rows:
        deliveries.setdefault(row.match_id, []).append(row)
    return deliveries


def _match_record(row: Row[Any], deliveries: Sequence[Row[Any]]) -> MatchRecord:
    return MatchRecord(
        id=row.id,
        item_id=row.item_id,
        topic_id=row.topic_id,
        source_id=row.source_id,
        kind=row.kind,
        title=row.title,
        url=row.url,
        summary=row.summary,
        published=row.published,
        found_at=row.found_at,
        terms=tuple(row.terms),
        hits=tuple(Hit(term, field, start, end) for term, field, start, end in row.hits),
        snippet=Snippet(
            text=row.snippet_text,
            marks=tuple((start, end) for start, end in row.snippet_marks),
            page=row.snippet_page,
        ),
        urgent=row.urgent,
        council=row.council,
        delivered_to=tuple((delivery.output, delivery.destination) for delivery in deliveries if not delivery.alert),
        alerted=any(delivery.alert for delivery in deliveries),
        story_id=row.story_id,
    )
