"""Items: each story once per source under every key it is known by, with the matches it brought, its text until the
retention period ends, and its page while that waits to be fetched again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from monitor.items import Item
from monitor.match.types import Match
from monitor.store.engine import StoreBase, rows_with_values
from monitor.store.matches import match_rows
from monitor.store.records import ItemRecord
from monitor.store.schema import item_keys_table, items_table, matches_table
from monitor.store.stories import forget_prints, give_stories, retell_story, stored_text
from monitor.stories import SAME_STORY_WITHIN, StoryPrint

BODY_FORGOTTEN_NOTE = "text removed after the retention period"
_KEY_CHUNK = 500  # keys per IN (...) query, well under every backend's limit on bound parameters


@dataclass(frozen=True)
class NewItem:
    """An item to store with ``add_items``: its matches, whether it is ``reported`` (False: first-run backfill, its
    matches dropped), its page's failed fetches (``page_tries``) and next try (``page_retry_at``), and its story print
    when the caller made it already (``monitor.stories.item_print`` of ``item``; None: the store makes it)."""

    item: Item
    matches: Sequence[Match] = ()
    reported: bool = True
    page_tries: int = 0
    page_retry_at: datetime | None = None
    printed: StoryPrint | None = None


class ItemsStore(StoreBase):
    # Candidates compared to find items' stories, by this store object: how the work grows, counted without a clock.
    stories_compared = 0

    def known_keys(self, source_id: str, keys: Iterable[str]) -> set[str]:
        """The subset of ``keys`` already stored for ``source_id``."""
        with self._reading() as connection:
            return _known_keys(connection, source_id, keys)

    def add_item(
        self,
        item: Item,
        matches: Sequence[Match],
        *,
        found_at: datetime,
        reported: bool,
        page_tries: int = 0,
        page_retry_at: datetime | None = None,
        story_window: timedelta = SAME_STORY_WITHIN,
    ) -> int | None:
        """Store one new item as ``add_items`` does; its id, or None when one of its keys is already known."""
        new = NewItem(item, matches, reported, page_tries, page_retry_at)
        return self.add_items([new], found_at=found_at, story_window=story_window)[0]

    def add_items(
        self, new: Sequence[NewItem], *, found_at: datetime, story_window: timedelta = SAME_STORY_WITHIN
    ) -> list[int | None]:
        """Store new items, each with all its keys, its story and (when ``reported``) its matches, in one transaction
        and in their order; return each one's id.

        An item gets None, and nothing is written for it, when any of its keys is already known for its source (an
        item earlier in ``new`` included). ``reported=False`` (first-run backfill) records the item so it is never
        reported, and drops its matches. With ``page_retry_at`` its page waits to be fetched again then (see
        ``pages_due``). An item joins the story of a stored copy within ``story_window`` of its time, else starts its
        own (``monitor.stories``).
        """
        for each in new:
            _require_one_match_per_topic(each.item, each.matches)
        try:
            with self._writing(durable=False) as connection:
                return self._insert_new(connection, new, found_at, story_window)
        except IntegrityError:
            if len(new) > 1:  # another process stored some of them between our check and our insert: one at a time
                return [self.add_items([each], found_at=found_at, story_window=story_window)[0] for each in new]
            if self.known_keys(new[0].item.source_id, new[0].item.keys):
                return [None]
            raise

    def _insert_new(
        self, connection: Connection, new: Sequence[NewItem], found_at: datetime, story_window: timedelta
    ) -> list[int | None]:
        known: dict[str, set[str]] = {}
        for source_id in dict.fromkeys(each.item.source_id for each in new):
            wanted = [key for each in new if each.item.source_id == source_id for key in each.item.keys]
            known[source_id] = _known_keys(connection, source_id, wanted)
        taken: dict[int, tuple[NewItem, tuple[str, ...]]] = {}  # by position in ``new``
        for position, each in enumerate(new):
            keys, seen = tuple(dict.fromkeys(each.item.keys)), known[each.item.source_id]
            if seen.isdisjoint(keys):
                seen.update(keys)
                taken[position] = (each, keys)
        item_ids = dict(zip(taken, _insert_items(connection, list(taken.values()), found_at), strict=True))
        stored = [
            stored_text(item_ids[position], each.item, found_at, each.printed) for position, (each, _) in taken.items()
        ]
        looks = [each.reported for each, _ in taken.values()]
        self.stories_compared += give_stories(connection, stored, looks, story_window)
        ids = [item_ids.get(position) for position in range(len(new))]
        return ids

    # -- pages fetched again ----------------------------------------------------------------------------------------

    def pages_due(self, source_id: str, *, now: datetime) -> list[ItemRecord]:
        """Items of ``source_id`` whose page waits to be fetched again and is due by ``now``, oldest first."""
        due = (items_table.c.source_id == source_id) & (items_table.c.page_retry_at <= now)
        with self._reading() as connection:
            return _item_records(connection, due)

    def record_page_text(
        self,
        item_id: int,
        *,
        tries: int,
        body: str | None,
        note: str,
        matches: Sequence[Match],
        story_window: timedelta = SAME_STORY_WITHIN,
        url: str | None = None,
        keys: Sequence[str] = (),
        printed: StoryPrint | None = None,
    ) -> list[str] | None:
        """A waiting page was read: store its text and the matches of topics the item had not matched yet, in one
        transaction; return the topics of the matches added. ``tries`` is the item's ``page_tries`` as the caller read
        it: None, and nothing written, when the page is no longer waiting at that count (another process got there).
        An item alone in its story may join another story by its new text (``story_window`` as for ``add_item``).
        ``url`` is the link the item is shown by now (where its link led), and ``keys`` those the page adds to it,
        but for any its source already knows for another item; ``printed`` its story print with the new text and link,
        when the caller made it already (``monitor.stories.story_print``; None: the store makes it)."""
        shown = {"url": url} if url else {}
        with self._writing() as connection:
            if not _update_waiting_page(
                connection, item_id, tries, body=body, body_note=note, page_retry_at=None, **shown
            ):
                return None
            row = connection.execute(select(items_table).where(items_table.c.id == item_id)).one()
            known = _known_keys(connection, row.source_id, keys)
            _insert_keys(connection, _key_rows(row, item_id, [key for key in dict.fromkeys(keys) if key not in known]))
            stored = stored_text(item_id, row, row.found_at, printed)
            self.stories_compared += retell_story(connection, stored, row.story_id, story_window)
            matched = set(
                connection.scalars(select(matches_table.c.topic_id).where(matches_table.c.item_id == item_id))
            )
            new = [match for match in matches if match.topic_id not in matched]
            if new:
                connection.execute(insert(matches_table), match_rows(item_id, new))
            return [match.topic_id for match in new]

    def record_page_failure(self, item_id: int, *, tries: int, note: str, retry_at: datetime | None) -> bool:
        """A waiting page failed again (or its time ran out): one more failed try, the note, and the next time it is due
        (None: given up). False, and nothing written, when it is no longer waiting at ``tries``."""
        with self._writing() as connection:
            return _update_waiting_page(
                connection, item_id, tries, body_note=note, page_tries=tries + 1, page_retry_at=retry_at
            )

    # -- replay and retention ---------------------------------------------------------------------------------------

    def items(self, *, since: datetime) -> list[ItemRecord]:
        """Items found since ``since``, oldest first, with the topics they matched then."""
        with self._reading() as connection:
            return _item_records(connection, items_table.c.found_at >= since)

    def forget_bodies(self, *, before: datetime) -> int:
        """Drop the stored text of items found before ``before``, and the keys their copies were found by; return how
        many items lost their text."""
        with self._writing() as connection:
            forget_prints(connection, before=before)
            result = connection.execute(
                update(items_table)
                .where(items_table.c.found_at < before, items_table.c.body.is_not(None))
                .values(body=None, body_note=BODY_FORGOTTEN_NOTE)
            )
        return result.rowcount


def _known_keys(connection: Connection, source_id: str, keys: Iterable[str]) -> set[str]:
    wanted = list(dict.fromkeys(keys))
    known: set[str] = set()
    for start in range(0, len(wanted), _KEY_CHUNK):
        chunk = wanted[start : start + _KEY_CHUNK]
        known.update(connection.scalars(_KNOWN_KEYS, {"source_id": source_id, "keys": chunk}))
    return known


_KNOWN_KEYS = select(item_keys_table.c.key).where(  # built once: each poll of a changed source runs it
    item_keys_table.c.source_id == bindparam("source_id"), item_keys_table.c.key.in_(bindparam("keys", expanding=True))
)


def _require_one_match_per_topic(item: Item, matches: Sequence[Match]) -> None:
    topics = [match.topic_id for match in matches]
    if len(set(topics)) != len(topics):
        raise ValueError(f"item {item.key!r} of {item.source_id} has several matches for one topic: {topics}")


def _insert_items(
    connection: Connection, new: Sequence[tuple[NewItem, Sequence[str]]], found_at: datetime
) -> list[int]:
    """Insert the items with their keys and (when reported) matches, a few statements for all; their new ids."""
    if not new:
        return []
    rows = [_item_row(each, found_at) for each, _ in new]
    item_ids = list(connection.execute(_INSERT_ITEMS, rows).scalars())
    stored = zip(item_ids, new, strict=True)
    _insert_keys(connection, [row for item_id, (each, keys) in stored for row in _key_rows(each.item, item_id, keys)])
    matches = [
        row
        for item_id, (each, _) in zip(item_ids, new, strict=True)
        if each.reported
        for row in match_rows(item_id, each.matches)
    ]
    if matches:
        connection.execute(insert(matches_table), matches)
    return item_ids


# Built once: each batch of new items runs it.
_INSERT_ITEMS = insert(items_table).returning(items_table.c.id, sort_by_parameter_order=True)


def _item_row(new: NewItem, found_at: datetime) -> dict[str, Any]:
    item = new.item
    return {
        "source_id": item.source_id,
        "key": item.key,
        "kind": item.kind,
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "published": item.published,
        "found_at": found_at,
        "body": item.body,
        "body_note": item.body_note,
        "council": item.council,
        "reported": new.reported,
        "page_tries": new.page_tries,
        "page_retry_at": new.page_retry_at,
    }


def _key_rows(item: Item | Row[Any], item_id: int, keys: Iterable[str]) -> list[dict[str, Any]]:
    """The rows of ``item_keys`` that make ``item`` (stored as ``item_id``) known by ``keys`` for its source."""
    return [{"source_id": item.source_id, "key": key, "item_id": item_id} for key in keys]


def _insert_keys(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(item_keys_table), rows)


def _item_records(connection: Connection, condition: ColumnElement[bool]) -> list[ItemRecord]:
    """The items meeting ``condition``, oldest first, each with the topics it matched."""
    items = select(items_table).where(condition).order_by(items_table.c.found_at, items_table.c.id)
    topics = (
        select(matches_table.c.item_id, matches_table.c.topic_id)
        .where(matches_table.c.item_id.in_(select(items_table.c.id).where(condition)))
        .order_by(matches_table.c.id)
    )
    return [_item_record(row, matched) for row, matched in rows_with_values(connection, items, topics)]


def _update_waiting_page(connection: Connection, item_id: int, tries: int, **values: Any) -> bool:
    """Update the item only while its page still waits after ``tries`` failed fetches; whether it did. One statement,
    so two processes that fetched the same page cannot both record it."""
    still_waiting = update(items_table).where(
        items_table.c.id == item_id, items_table.c.page_retry_at.is_not(None), items_table.c.page_tries == tries
    )
    return connection.execute(still_waiting.values(values)).rowcount == 1


def _item_record(row: Row[Any], topics: Sequence[str]) -> ItemRecord:
    return ItemRecord(
        id=row.id,
        source_id=row.source_id,
        key=row.key,
        kind=row.kind,
        url=row.url,
        title=row.title,
        summary=row.summary,
        published=row.published,
        found_at=row.found_at,
        body=row.body,
        body_note=row.body_note,
        council=row.council,
        topics=tuple(topics),
        reported=row.reported,
        page_tries=row.page_tries,
        page_retry_at=row.page_retry_at,
        story_id=row.story_id,
    )
