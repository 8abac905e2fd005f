"""Stories in the store: each item's story id, given when it is stored, and the keys its copies find it by.

The candidates for a new article are the stored articles that share one of its keys (``story_keys``, indexed by key)
within the window around its time: a lookup, never a scan of every item, and done in the database, so that every
process sharing it groups alike. Which candidate, if any, is the same story is decided by ``monitor.stories``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection

from monitor.items import Item
from monitor.store.schema import items_table, story_keys_table
from monitor.stories import SAME_STORY_WITHIN, Candidate, StoryPrint, same_story, story_print

_STORY_LOCK = int.from_bytes(b"stories", "big")  # the key of PostgreSQL's advisory lock for giving stories
GROUPED_ON_UPGRADE = timedelta(days=7)  # articles older than this when stories came are no longer copied
_REMADE_AT_ONCE = 500  # articles whose prints are made again in one go: their texts in memory, not every article's


@dataclass(frozen=True)
class StoredText:
    """What the store knows of an item that decides its story."""

    item_id: int
    source_id: str
    kind: str
    url: str
    title: str
    text: str  # its page text, else its feed summary
    at: datetime  # published, else found
    printed: StoryPrint | None = None  # its print when the caller made it already (``item_print``); None: made here


def stored_text(
    item_id: int, item: Item | Row[Any], found_at: datetime, printed: StoryPrint | None = None
) -> StoredText:
    """What decides the story of ``item`` (an item about to be stored, or its row): its page text, else its summary;
    with its print when the caller made it already."""
    return StoredText(
        item_id=item_id,
        source_id=item.source_id,
        kind=item.kind,
        url=item.url,
        title=item.title,
        text=item.body or item.summary,
        at=item.published or found_at,
        printed=printed,
    )


def give_stories(connection: Connection, stored: Sequence[StoredText], looks: Sequence[bool], window: timedelta) -> int:
    """Give newly stored items, in their order, their stories (an existing one each is a copy of, else a new one named
    by its id) and record their keys; return how many candidates were compared. An item whose ``looks`` is False (one
    never reported, as a first poll's old ones) makes a story of its own without looking: its keys still let later
    copies find it. Each item that looks sees the keys of those before it, and only those."""
    stories: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    compared = 0
    for each, look in zip(stored, looks, strict=True):
        printed = _print(each)
        if look and printed is not None:
            _write_prints(connection, stories, keys)  # the items before this one are candidates
            joined, seen = _same_story(connection, each, printed, window)
            compared += seen
        else:
            joined = None
        stories.append(_story_row(each, joined.story_id if joined else each.item_id, printed))
        keys += _key_rows(each, printed)
    _write_prints(connection, stories, keys)
    return compared


def give_story(connection: Connection, stored: StoredText, window: timedelta) -> int:
    """``give_stories`` for one item that looks for its copies."""
    return give_stories(connection, [stored], [True], window)


def retell_story(connection: Connection, stored: StoredText, story_id: int, window: timedelta) -> int:
    """The item's text changed (its page was read at last): its keys become those of the new text, and an item still
    alone in its story may now join another. Return how many candidates were compared."""
    connection.execute(delete(story_keys_table).where(story_keys_table.c.item_id == stored.item_id))
    printed = _print(stored)
    compared = 0
    if _alone_in(connection, story_id, stored.item_id):
        joined, compared = _same_story(connection, stored, printed, window)
        if joined is not None:
            _set_story(connection, stored.item_id, joined.story_id)
    _record_print(connection, stored, printed)
    return compared


def group_stored_articles(connection: Connection, window: timedelta = SAME_STORY_WITHIN) -> None:
    """Give stories to the articles stored before stories existed (each item already a story of its own): those found
    in the ``GROUPED_ON_UPGRADE`` before the latest item are grouped, oldest first, as new ones are."""
    latest = connection.execute(select(func.max(items_table.c.found_at))).scalar()
    if latest is None:
        return
    recent = connection.execute(
        select(items_table)
        .where(items_table.c.kind == "article", items_table.c.found_at >= latest - GROUPED_ON_UPGRADE)
        .order_by(items_table.c.id)
    )
    for row in recent.all():
        give_story(connection, stored_text(row.id, row, row.found_at), window)


def remake_prints(connection: Connection) -> None:
    """Make the prints of the stored articles that have one again, from the text they were made of, after the way
    prints are made changed (``monitor.stories.PRINT_SCHEME``); the stories stay as they were given. An article whose
    text was forgotten after the retention period lost its print with it (``forget_prints``): it has none to remake."""
    printed = select(story_keys_table.c.item_id).distinct().order_by(story_keys_table.c.item_id)
    item_ids = list(connection.scalars(printed))
    for start in range(0, len(item_ids), _REMADE_AT_ONCE):
        chunk = item_ids[start : start + _REMADE_AT_ONCE]
        connection.execute(delete(story_keys_table).where(story_keys_table.c.item_id.in_(chunk)))
        stories: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        for row in connection.execute(select(items_table).where(items_table.c.id.in_(chunk))):
            stored = stored_text(row.id, row, row.found_at)
            printed_again = _print(stored)
            stories.append(_story_row(stored, row.story_id, printed_again))
            keys += _key_rows(stored, printed_again)
        _write_prints(connection, stories, keys)


def forget_prints(connection: Connection, *, before: datetime) -> None:
    """Drop the keys and runs of items found before ``before``: long past any window, their copies are no longer
    looked for."""
    old = items_table.c.found_at < before
    connection.execute(
        delete(story_keys_table).where(story_keys_table.c.item_id.in_(select(items_table.c.id).where(old)))
    )
    connection.execute(update(items_table).where(old, items_table.c.story_runs.is_not(None)).values(story_runs=None))


def _one_at_a_time(connection: Connection) -> None:
    """Two processes storing copies of one story at the same moment would each miss the other's copy, not committed
    yet, and start two stories. SQLite's write transactions already take turns; on PostgreSQL the stories are given
    under a lock held until the transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _STORY_LOCK})


def _print(stored: StoredText) -> StoryPrint | None:
    if stored.printed is not None:
        return stored.printed
    return story_print(kind=stored.kind, url=stored.url, title=stored.title, text=stored.text)


def _same_story(
    connection: Connection, stored: StoredText, printed: StoryPrint | None, window: timedelta
) -> tuple[Candidate | None, int]:
    if printed is None:
        return None, 0
    _one_at_a_time(connection)
    candidates = _candidates(connection, stored, printed.keys, window)
    return same_story(printed, stored.source_id, candidates), len(candidates)


def _candidates(connection: Connection, stored: StoredText, keys: Iterable[int], window: timedelta) -> list[Candidate]:
    """The stored articles sharing one of ``keys`` within ``window`` of the item's time, each with the keys it shares
    and its text's word runs."""
    shared: dict[int, set[int]] = defaultdict(set)
    rows = connection.execute(
        select(story_keys_table.c.item_id, story_keys_table.c.key).where(
            story_keys_table.c.key.in_(list(dict.fromkeys(keys))),  # a print has a few dozen keys
            story_keys_table.c.at.between(stored.at - window, stored.at + window),
            story_keys_table.c.item_id != stored.item_id,
        )
    )
    for item_id, key in rows:
        shared[item_id].add(key)
    if not shared:
        return []
    items = connection.execute(
        select(items_table.c.id, items_table.c.story_id, items_table.c.source_id, items_table.c.story_runs).where(
            items_table.c.id.in_(list(shared))
        )
    )
    return [
        Candidate(row.id, row.story_id, row.source_id, frozenset(shared[row.id]), row.story_runs or b"")
        for row in items
    ]


def _alone_in(connection: Connection, story_id: int, item_id: int) -> bool:
    others = select(items_table.c.id).where(items_table.c.story_id == story_id, items_table.c.id != item_id).limit(1)
    return connection.execute(others).first() is None


def _story_row(stored: StoredText, story_id: int, printed: StoryPrint | None) -> dict[str, Any]:
    runs = printed.runs if printed is not None and printed.runs else None
    return {"b_id": stored.item_id, "b_story": story_id, "b_runs": runs}


def _key_rows(stored: StoredText, printed: StoryPrint | None) -> list[dict[str, Any]]:
    if printed is None:
        return []
    return [{"key": key, "item_id": stored.item_id, "at": stored.at} for key in dict.fromkeys(printed.keys)]


def _write_prints(connection: Connection, stories: list[dict[str, Any]], keys: list[dict[str, Any]]) -> None:
    """Write, and empty, the stories and runs (``_story_row``) and keys (``_key_rows``) gathered so far."""
    if stories:
        by_id = items_table.c.id == bindparam("b_id")
        story = update(items_table).where(by_id).values(story_id=bindparam("b_story"), story_runs=bindparam("b_runs"))
        connection.execute(story, stories)
        stories.clear()
    if keys:
        connection.execute(insert(story_keys_table), keys)
        keys.clear()


def _set_story(connection: Connection, item_id: int, story_id: int) -> None:
    connection.execute(update(items_table).where(items_table.c.id == item_id).values(story_id=story_id))


def _record_print(connection: Connection, stored: StoredText, printed: StoryPrint | None) -> None:
    """Keep what later copies find the item by (its keys) and are compared with (its runs)."""
    runs = printed.runs if printed is not None and printed.runs else None
    connection.execute(update(items_table).where(items_table.c.id == stored.item_id).values(story_runs=runs))
    rows = _key_rows(stored, printed)
    if rows:
        connection.execute(insert(story_keys_table), rows)
