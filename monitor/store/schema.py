"""The tables, the two column types that keep SQLite and PostgreSQL alike, and the ordered upgrade steps."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.schema import CreateColumn
from sqlalchemy.types import TypeDecorator

from monitor.items import CouncilReference
from monitor.store.errors import StoreError


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored as naive UTC: SQLite has no time zones, and one form keeps both backends alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"the store was given the naive datetime {value.isoformat()}; pass an aware one (UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class JSONText(TypeDecorator[Any]):
    """JSON kept as text, the one JSON representation every backend has."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


_COUNCIL_REFERENCE: TypeAdapter[CouncilReference | None] = TypeAdapter(CouncilReference | None)


class CouncilJSON(TypeDecorator[CouncilReference]):
    """An item's council reference as a JSON object of the fields it has, and JSON ``null`` for an item without one (an
    article): the column is never SQL NULL, so "no reference" reads the same on every backend."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: CouncilReference | None, dialect: Dialect) -> str:
        document = _COUNCIL_REFERENCE.dump_python(value, mode="json", exclude_defaults=True)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value: str | None, dialect: Dialect) -> CouncilReference | None:
        return None if value is None else _COUNCIL_REFERENCE.validate_json(value)


metadata = MetaData()

schema_version_table = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

# One row per source that has been polled: its checkpoint (HTTP validators, content hashes) and its health.
sources_table = Table(
    "sources",
    metadata,
    Column("source_id", String, primary_key=True),
    Column("state", JSONText, nullable=False),
    Column("polled_once", Boolean, nullable=False),
    Column("last_polled_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False),
    Column("last_new_items", Integer, nullable=False),
    Column("last_new_matches", Integer, nullable=False),
    Column("last_seconds", Float, nullable=False),
    # The latest story page of the source that could not be fetched ("URL: reason"), and when.
    Column("last_page_error", Text),
    Column("last_page_error_at", UTCDateTime),
    # Why the source is not polled before wait_until (a WaitReason; NULL: on its interval), for which version of its
    # entry in sources.yaml (a fingerprint).
    Column("wait_reason", String),
    Column("wait_until", UTCDateTime),
    Column("wait_entry", String),
)

items_table = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", String, nullable=False),
    Column("key", Text, nullable=False),
    Column("kind", String, nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("published", UTCDateTime),
    Column("found_at", UTCDateTime, nullable=False),
    Column("body", Text),
    Column("body_note", Text, nullable=False),
    Column("council", CouncilJSON, nullable=False),  # where council material belongs (a CouncilReference)
    Column("reported", Boolean, nullable=False),
    Index("ix_items_found_at", "found_at"),
    # A page that failed for a reason that may pass waits to be fetched again: the failed fetches so far, and when the
    # next is due (None: not waiting).
    Column("page_tries", Integer, nullable=False, server_default="0"),
    Column("page_retry_at", UTCDateTime),
    # The story the item tells: the id of the story's first item, shared by its copies; and what a copy is compared
    # by, the hashes of the runs of words of its text (monitor/stories.py).
    Column("story_id", Integer),
    Column("story_runs", LargeBinary),
)
page_retry_index = Index("ix_items_page_retry_at", items_table.c.page_retry_at)
story_index = Index("ix_items_story_id", items_table.c.story_id)

# The keys under which an article's copies find it (monitor/stories.py), with the article's time (published, else
# found), as copies are looked for within a window around it. Looked up by key; removed with the article's text.
story_keys_table = Table(
    "story_keys",
    metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True, index=True),
    Column("at", UTCDateTime, nullable=False),
)

# Every key an item is known by (its key and aliases): what makes an item that comes back under any of them "known".
item_keys_table = Table(
    "item_keys",
    metadata,
    Column("source_id", String, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
)

matches_table = Table(
    "matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("topic_id", String, nullable=False, index=True),
    Column("terms", JSONText, nullable=False),
    Column("hits", JSONText, nullable=False),
    Column("snippet_text", Text, nullable=False),
    Column("snippet_marks", JSONText, nullable=False),
    Column("snippet_page", Integer),
    Column("urgent", Boolean, nullable=False),
    UniqueConstraint("item_id", "topic_id", name="uq_matches_item_topic"),
)

match_deliveries_table = Table(
    "match_deliveries",
    metadata,
    Column("match_id", Integer, ForeignKey("matches.id"), primary_key=True),
    Column("output", String, primary_key=True),
    Column("destination", Text, primary_key=True),
    # An urgent alert and the digest that later repeats it are two deliveries of the same match to one destination.
    Column("alert", Boolean, primary_key=True),
    Column("delivered_at", UTCDateTime, nullable=False),
)

# The outbox: one row per digest or alert to one (output, destination).
deliveries_table = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("output", String, nullable=False),
    Column("destination", Text, nullable=False),
    Column("kind", String, nullable=False),
    Column("parts", JSONText, nullable=False),
    Column("parts_sent", Integer, nullable=False),
    Column("receipts", JSONText, nullable=False),
    Column("state", String, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("last_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # Which process is sending it, until when: two processes on one database never send the same delivery at once.
    Column("claimed_by", Text),
    Column("claimed_until", UTCDateTime),
    # Set just before part number `parts_sent` is handed to the service and cleared once it is recorded: while set,
    # that part may have arrived without our knowing, so it is looked for before it is sent again.
    Column("part_in_flight_since", UTCDateTime),
    Index("ix_deliveries_state_next_attempt", "state", "next_attempt_at"),
)

# Which matches a delivery carries (the one record of it), so a new digest leaves out matches already on their way.
delivery_matches_table = Table(
    "delivery_matches",
    metadata,
    Column("delivery_id", Integer, ForeignKey("deliveries.id"), primary_key=True),
    Column("match_id", Integer, ForeignKey("matches.id"), primary_key=True, index=True),
)

Migration = Callable[[Connection], None]


def _create_all(connection: Connection) -> None:
    metadata.create_all(connection)


def _add_columns(connection: Connection, table: Table, *names: str) -> None:
    """ALTER TABLE ... ADD COLUMN for columns defined above, as each backend spells them (a NOT NULL one needs a
    server_default, which fills the rows already there)."""
    table_name = connection.dialect.identifier_preparer.format_table(table)
    for name in names:
        column = CreateColumn(table.c[name]).compile(dialect=connection.dialect)
        connection.execute(text(f"ALTER TABLE {table_name} ADD COLUMN {column}"))


def _retry_failed_pages(connection: Connection) -> None:
    """Story pages that failed wait to be fetched again; each source remembers its last page error."""
    _add_columns(connection, items_table, "page_tries", "page_retry_at")
    page_retry_index.create(connection)
    _add_columns(connection, sources_table, "last_page_error", "last_page_error_at")


def _add_part_in_flight_since(connection: Connection) -> None:
    """A delivery remembers a part that may have reached its service unrecorded, to look for it before a resend."""
    _add_columns(connection, deliveries_table, "part_in_flight_since")


def _one_record_of_delivery_matches(connection: Connection) -> None:
    """Which matches a delivery carries is kept in delivery_matches alone; the JSON copy in deliveries goes (every
    version wrote both in one transaction, so the table holds everything the copy did)."""
    _drop_column(connection, "deliveries", "match_ids")


def _drop_column(connection: Connection, table: str, column: str) -> None:
    """ALTER TABLE ... DROP COLUMN, which SQLite learnt only in 3.35 (Debian 11 and RHEL 9 ship 3.34): on SQLite of any
    version the table is made again without the column instead, so every SQLite takes the same, tested, path."""
    quote = connection.dialect.identifier_preparer.quote
    if connection.dialect.name != "sqlite":
        connection.execute(text(f"ALTER TABLE {quote(table)} DROP COLUMN {quote(column)}"))
        return
    found = inspect(connection)
    kept = [other["name"] for other in found.get_columns(table) if other["name"] != column]
    # The table as the database has it (constraints, and the indexes not on the column), less the column.
    rebuilt = Table(table, MetaData(), autoload_with=connection, include_columns=kept)
    children = [
        name
        for name in found.get_table_names()
        if any(key["referred_table"] == table for key in found.get_foreign_keys(name))
    ]
    _rebuild_sqlite_table(connection, rebuilt, children)


def _rebuild_sqlite_table(connection: Connection, rebuilt: Table, children: Sequence[str]) -> None:
    """Replace the SQLite table named like ``rebuilt`` by ``rebuilt``, keeping the rows of the columns both have.

    This runs inside the upgrade's transaction, where SQLite cannot turn foreign keys off, and dropping a table that
    rows of other tables point at would fail: those rows (of the ``children`` tables) wait in a temporary copy while the
    table is dropped and made again, then return unchanged."""
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(column.name) for column in rebuilt.columns)
    copied = {rebuilt.name: columns, **{child: "*" for child in children}}

    def run(statement: str) -> None:
        connection.execute(text(statement))

    def copy_of(name: str) -> str:
        return f"temp.{quote('old_' + name)}"

    for name, selected in copied.items():
        run(f"CREATE TABLE {copy_of(name)} AS SELECT {selected} FROM {quote(name)}")
    for child in children:
        run(f"DELETE FROM {quote(child)}")
    run(f"DROP TABLE {quote(rebuilt.name)}")
    rebuilt.create(connection)
    run(f"INSERT INTO {quote(rebuilt.name)} ({columns}) SELECT {columns} FROM {copy_of(rebuilt.name)}")
    for child in children:
        run(f"INSERT INTO {quote(child)} SELECT * FROM {copy_of(child)}")
    for name in copied:
        run(f"DROP TABLE {copy_of(name)}")


# The (name, value) pairs that items.context held before schema version 5, whose names the reference's fields took.
_REFERENCE_PAIRS = (
    "event", "committee", "meeting_date", "meeting_url", "item_number", "item_title", "document_url", "decision_maker",
    "decision_date",
)  # fmt: skip


def _council_reference_in_one_object(connection: Connection) -> None:
    """An item's council meaning becomes one JSON object (null for articles) instead of a list of (name, value) pairs,
    in a column named for it: items.context becomes items.council. The "pages" pair goes: nothing read it, and the form
    feeds in the text say where pages break."""
    rows = connection.execute(text("SELECT id, context FROM items")).all()
    rewritten = [
        {"item_id": item_id, "context": json.dumps(_reference_of_pairs(json.loads(pairs)), separators=(",", ":"))}
        for item_id, pairs in rows
    ]
    if rewritten:
        connection.execute(text("UPDATE items SET context = :context WHERE id = :item_id"), rewritten)
    connection.execute(text("ALTER TABLE items RENAME COLUMN context TO council"))


def _reference_of_pairs(pairs: list[list[str]]) -> dict[str, str] | None:
    named = dict(pairs)
    if not named.get("event"):
        return None
    return {name: named[name] for name in _REFERENCE_PAIRS if named.get(name)}


def _stories(connection: Connection) -> None:
    """Every item tells a story: items get a story id, and articles the keys their copies find them by (the articles
    of the last week are grouped as new ones are; every other item is a story of its own)."""
    from monitor.store.stories import group_stored_articles  # it builds on the tables defined here

    _add_columns(connection, items_table, "story_id", "story_runs")
    story_index.create(connection)
    story_keys_table.create(connection)
    connection.execute(update(items_table).values(story_id=items_table.c.id))
    group_stored_articles(connection)


def _source_waits(connection: Connection) -> None:
    """A source may wait before its next poll: a cache floor, a Retry-After, a back-off, or a 410 Gone."""
    _add_columns(connection, sources_table, "wait_reason", "wait_until", "wait_entry")


# Step n takes a database from version n-1 to version n. Step 1 creates every table as defined above, i.e. as the code
# has them today, so a new database runs only step 1 and is stamped with the latest version; later steps (ALTER TABLE,
# new tables) only ever run on databases made by older code. Never edit a released step: append a new one.
MIGRATIONS: tuple[Migration, ...] = (
    _create_all,
    _retry_failed_pages,
    _add_part_in_flight_since,
    _one_record_of_delivery_matches,
    _council_reference_in_one_object,
    _stories,
    _source_waits,
)


def upgrade(connection: Connection, *, at: datetime, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database up to ``len(migrations)`` inside the caller's transaction; return the version it is now at."""
    schema_version_table.create(connection, checkfirst=True)
    current = connection.execute(select(func.max(schema_version_table.c.version))).scalar() or 0
    latest = len(migrations)
    if current > latest:
        raise StoreError(
            f"the database has schema version {current} but this Beatwatch knows versions up to {latest}; "
            "run a newer Beatwatch, or point MONITOR_DATABASE_URL at another database"
        )
    if current == 0:
        migrations[0](connection)
        _record_version(connection, latest, at)
        return latest
    for version in range(current + 1, latest + 1):
        migrations[version - 1](connection)
        _record_version(connection, version, at)
    return latest


def _record_version(connection: Connection, version: int, at: datetime) -> None:
    connection.execute(insert(schema_version_table).values(version=version, applied_at=at))
