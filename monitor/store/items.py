"""Items: each story once per source under every key it is known by, with the matches it brought, its text until the
retention period ends, and its page while that waits to be fetched again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from monitor.items import Item
from monitor.match.types import Match
from monitor.store.engine import StoreBase, insert_row, rows_with_values
from monitor.store.matches import match_rows
from monitor.store.records import ItemRecord
from monitor.store.schema import item_keys_table, items_table, matches_table
from monitor.store.stories import forget_prints, give_story, retell_story, stored_text
from monitor.stories import SAME_STORY_WITHIN

BODY_FORGOTTEN_NOTE = "text removed after the retention period"
_KEY_CHUNK = 500  # keys per IN (...) query, well under every backend's limit on bound parameters


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
        """Store a new item, all its keys, its story and (when ``reported``) its matches in one transaction; return its
        id.

        Returns None and writes nothing when any of the item's keys is already known for its source.
        ``reported=False`` (first-run backfill) records the item so it is never reported, and drops its matches.
        ``page_tries`` counts failed fetches of its page; with ``page_retry_at`` the page waits to be fetched again then
        (see ``pages_due``). The item joins the story of a stored copy within ``story_window`` of its time, else starts
        its own (``monitor.stories``).
        """
        _require_one_match_per_topic(item, matches)
        keys = tuple(dict.fromkeys(item.keys))
        page = {"page_tries": page_tries, "page_retry_at": page_retry_at}
        try:
            with self._writing() as connection:
                if _known_keys(connection, item.source_id, keys):
                    return None
                item_id = _insert_item(connection, item, keys, matches if reported else (), found_at, reported, page)
                stored = stored_text(item_id, item, found_at)
                self.stories_compared += give_story(connection, stored, story_window, look=reported)
                return item_id
        except IntegrityError:
            if self.known_keys(item.source_id, keys):
                return None  # another process stored the same item between our check and our insert
            raise

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
    ) -> list[str] | None:
        """A waiting page was read: store its text and the matches of topics the item had not matched yet, in one
        transaction; return the topics of the matches added. ``tries`` is the item's ``page_tries`` as the caller read
        it: None, and nothing written, when the page is no longer waiting at that count (another process got there).
        An item alone in its story may join another story by its new text (``story_window`` as for ``add_item``).
        ``url`` is the link the item is shown by now (where its link led), and ``keys`` those the page adds to it,
        but for any its source already knows for another item."""
        shown = {"url": url} if url else {}
        with self._writing() as connection:
            if not _update_waiting_page(
                connection, item_id, tries, body=body, body_note=note, page_retry_at=None, **shown
            ):
                return None
            row = connection.execute(select(items_table).where(items_table.c.id == item_id)).one()
            known = _known_keys(connection, row.source_id, keys)
            _insert_keys(connection, row.source_id, item_id, [key for key in dict.fromkeys(keys) if key not in known])
            stored = stored_text(item_id, row, row.found_at)
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
        known.update(
            connection.scalars(
                select(item_keys_table.c.key).where(
                    item_keys_table.c.source_id == source_id, item_keys_table.c.key.in_(chunk)
                )
            )
        )
    return known


def _require_one_match_per_topic(item: Item, matches: Sequence[Match]) -> None:
    topics = [match.topic_id for match in matches]
    if len(set(topics)) != len(topics):
        raise ValueError(f"item {item.key!r} of {item.source_id} has several matches for one topic: {topics}")


def _insert_item(
    connection: Connection,
    item: Item,
    keys: Sequence[str],
    matches: Sequence[Match],
    found_at: datetime,
    reported: bool,
    page: Mapping[str, Any],
) -> int:
    item_id = insert_row(
        connection,
        insert(items_table).values(
            source_id=item.source_id,
            key=item.key,
            kind=item.kind,
            url=item.url,
            title=item.title,
            summary=item.summary,
            published=item.published,
            found_at=found_at,
            body=item.body,
            body_note=item.body_note,
            council=item.council,
            reported=reported,
            **page,
        ),
    )
    _insert_keys(connection, item.source_id, item_id, keys)
    if matches:
        connection.execute(insert(matches_table), match_rows(item_id, matches))
    return item_id


def _insert_keys(connection: Connection, source_id: str, item_id: int, keys: Sequence[str]) -> None:
    if keys:
        connection.execute(
            insert(item_keys_table), [{"source_id": source_id, "key": key, "item_id": item_id} for key in keys]
        )


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
