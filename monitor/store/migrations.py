"""The ordered upgrade steps that take a database made by older code to the tables of ``schema``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import (
    MetaData,
    Table,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateColumn

from monitor.store.errors import StoreError
from monitor.store.schema import (
    ADVISORY_LOCK_CLASS,
    SCHEMA_UPGRADE_LOCK,
    deliveries_table,
    items_table,
    metadata,
    poll_turns_table,
    replicas_table,
    schema_version_table,
    sources_table,
    story_index,
    story_keys_table,
    waiting_pages_index,
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
    # As this step made it; a later step (_waiting_pages_by_source) replaces it.
    connection.execute(text("CREATE INDEX ix_items_page_retry_at ON items (page_retry_at)"))
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


def _links_in_their_form_of_today(connection: Connection) -> None:
    """Items are known by their links in w3lib's canonical form: stored link keys and story keys gain it."""
    from monitor.store.relink import relink  # it builds on the tables defined here

    relink(connection)


def _source_waits(connection: Connection) -> None:
    """A source may wait before its next poll: a cache floor, a Retry-After, a back-off, or a 410 Gone."""
    _add_columns(connection, sources_table, "wait_reason", "wait_until", "wait_entry")


def _waiting_pages_by_source(connection: Connection) -> None:
    """Waiting pages are found by source, so a poll's look for them does not grow with every source's items."""
    connection.execute(text("DROP INDEX ix_items_page_retry_at"))
    waiting_pages_index.create(connection)


def _poll_turns(connection: Connection) -> None:
    """Several daemons share one database: each source's turns go to one of them at a time."""
    replicas_table.create(connection)
    poll_turns_table.create(connection)


def _story_prints_of_today(connection: Connection) -> None:
    """Story prints hash their runs of words another way, several times cheaper (``monitor.stories.PRINT_SCHEME``):
    the stored articles' runs and band keys are made again from their stored text (their sure keys come out as they
    were), so old articles and new ones find each other."""
    from monitor.store.stories import remake_prints  # it builds on the tables defined here

    remake_prints(connection)


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
    _links_in_their_form_of_today,
    _source_waits,
    _waiting_pages_by_source,
    _poll_turns,
    _story_prints_of_today,
)


def upgrade(connection: Connection, *, at: datetime, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database up to ``len(migrations)`` inside the caller's transaction; return the version it is now at."""
    if connection.dialect.name == "postgresql":
        # Daemons started together would all create the tables at once: one upgrades, the others wait and find it done.
        connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_CLASS, SCHEMA_UPGRADE_LOCK)))
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
