"""Stories in the store: each item's story id, given when it is stored, and the keys its copies find it by.

The candidates for a new article are the stored articles that share one of its keys (``story_keys``, indexed by key)
within the window around its time: a lookup, never a scan of every item, and done in the database, so that every
process sharing it groups alike. Which candidate, if any, is the same story is decided by ``monitor.stories``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Row, bindparam, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection

from monitor.items import Item
from monitor.store.schema import items_table, story_keys_table
from monitor.stories import SAME_STORY_WITHIN, Candidate, StoryPrint, same_story, story_print

_STORY_LOCK = int.from_bytes(b"stories", "big")  # the key of PostgreSQL's advisory lock for giving stories
GROUPED_ON_UPGRADE = timedelta(days=7)  # articles older than this when stories came are no longer copied
_REMADE_AT_ONCE = 500  # articles whose prints are made again in one go: their texts in memory, not every article's
_IN_AT_ONCE = 500  # values in one IN (...), well under every backend's limit on bound parameters
_Value = TypeVar("_Value")


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
    printed = [_print(each) for each in stored]
    looking = [(each, print_) for each, print_, look in zip(stored, printed, looks, strict=True) if look and print_]
    index = _KeyIndex(connection, looking, window)
    stories, keys, compared = [], [], 0
    for each, print_, look in zip(stored, printed, looks, strict=True):
        story_id = each.item_id
        if look and print_ is not None:
            candidates = index.candidates(each, print_)
            joined, compared = same_story(print_, each.source_id, candidates), compared + len(candidates)
            story_id = joined.story_id if joined else story_id
        index.add(each, print_, story_id)
        stories.append(_story_row(each, story_id, print_))
        keys += _key_rows(each, print_)
    _write_prints(connection, stories, keys)
    return compared


def retell_story(connection: Connection, stored: StoredText, story_id: int, window: timedelta) -> int:
    """The item's text changed (its page was read at last): its keys become those of the new text, and an item still
    alone in its story may now join another. Return how many candidates were compared."""
    connection.execute(delete(story_keys_table).where(story_keys_table.c.item_id == stored.item_id))
    printed = _print(stored)
    candidates: list[Candidate] = []
    if printed is not None and _alone_in(connection, story_id, stored.item_id):
        candidates = _KeyIndex(connection, [(stored, printed)], window).candidates(stored, printed)
        joined = same_story(printed, stored.source_id, candidates)
        story_id = joined.story_id if joined else story_id
    _write_prints(connection, [_story_row(stored, story_id, printed)], _key_rows(stored, printed))
    return len(candidates)


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
    articles = [stored_text(row.id, row, row.found_at) for row in recent]
    give_stories(connection, articles, [True] * len(articles), window)


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


class _KeyIndex:
    """The story keys near a batch of new articles: those stored within ``window`` of any of their times, looked up
    once for the batch, and those of the batch's own articles as each is given its story. So each article of the batch
    finds the candidates the ``story_keys`` table would give it, had those before it been written already."""

    def __init__(
        self, connection: Connection, looking: Sequence[tuple[StoredText, StoryPrint]], window: timedelta
    ) -> None:
        self._window = window
        self._times: defaultdict[int, dict[int, datetime]] = defaultdict(dict)  # key -> item -> the item's time
        self._items: dict[int, tuple[int, str, bytes]] = {}  # item -> its story, source and word runs
        if not looking:
            return
        _one_at_a_time(connection)
        times = [each.at for each, _ in looking]
        near = {"after": min(times) - window, "before": max(times) + window}
        wanted = list(dict.fromkeys(key for _, printed in looking for key in printed.keys))
        for keys in _chunks(wanted):
            for item_id, key, at in connection.execute(_KEYS_NEAR, {"keys": keys, **near}):
                self._times[key][item_id] = at
        found = list({item_id for by_item in self._times.values() for item_id in by_item})
        for item_ids in _chunks(found):
            for row in connection.execute(_CANDIDATE_ITEMS, {"ids": item_ids}):
                self._items[row.id] = (row.story_id, row.source_id, row.story_runs or b"")

    def candidates(self, stored: StoredText, printed: StoryPrint) -> list[Candidate]:
        """The articles sharing one of ``printed``'s keys within the window of ``stored``'s time, each with the keys it
        shares and its word runs."""
        earliest, latest = stored.at - self._window, stored.at + self._window
        shared: defaultdict[int, set[int]] = defaultdict(set)
        for key in printed.keys:
            for item_id, at in self._times.get(key, {}).items():
                if item_id != stored.item_id and earliest <= at <= latest:
                    shared[item_id].add(key)
        return [self._candidate(item_id, keys) for item_id, keys in shared.items()]

    def add(self, stored: StoredText, printed: StoryPrint | None, story_id: int) -> None:
        """An article given its story: a candidate of those after it."""
        if printed is None:
            return
        for key in printed.keys:
            self._times[key][stored.item_id] = stored.at
        self._items[stored.item_id] = (story_id, stored.source_id, printed.runs)

    def _candidate(self, item_id: int, shared: set[int]) -> Candidate:
        story_id, source_id, runs = self._items[item_id]
        return Candidate(item_id, story_id, source_id, frozenset(shared), runs)


def _chunks(values: Sequence[_Value]) -> Iterator[Sequence[_Value]]:
    """``values`` a few at a time, for ``IN (...)``: under every backend's limit on bound parameters."""
    return (values[start : start + _IN_AT_ONCE] for start in range(0, len(values), _IN_AT_ONCE))


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
    """Write the stories and runs (``_story_row``) and keys (``_key_rows``) of some items."""
    if stories:
        connection.execute(_SET_STORY, stories)
    if keys:
        connection.execute(insert(story_keys_table), keys)


# Built once: each new article runs them, and building a statement costs more than SQLite running it.
_KEYS_NEAR = select(story_keys_table.c.item_id, story_keys_table.c.key, story_keys_table.c.at).where(
    story_keys_table.c.key.in_(bindparam("keys", expanding=True)),
    story_keys_table.c.at.between(bindparam("after"), bindparam("before")),
)
_CANDIDATE_ITEMS = select(
    items_table.c.id, items_table.c.story_id, items_table.c.source_id, items_table.c.story_runs
).where(items_table.c.id.in_(bindparam("ids", expanding=True)))
_SET_STORY = (
    update(items_table)
    .where(items_table.c.id == bindparam("b_id"))
    .values(story_id=bindparam("b_story"), story_runs=bindparam("b_runs"))
)
