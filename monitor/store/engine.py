"""Opening the database, the two kinds of transaction every part of the store runs in, and the query helpers they share.

SQLite (the default) runs in WAL mode so readers never wait for the writer. Writes inside one process are serialised by
a lock, and each write transaction starts with ``BEGIN IMMEDIATE`` so that a second process (``monitor digest`` beside
``monitor run``) waits for the write lock (busy_timeout) instead of failing half-way with "database is locked".

On SQLite, a write is flushed to disk when it commits (``synchronous = FULL``) unless it says it need not be
(``durable=False``: what a poll stores, ``synchronous = NORMAL``); on PostgreSQL every commit follows the server's own
``synchronous_commit``. Either way a killed process loses no committed transaction; only a power
cut or an operating-system crash may undo the last non-durable ones, always whole and in order, and never one that a
later durable commit (a delivery recorded as sent) has flushed with it. An undone poll is polled again: its checkpoint
goes with its items.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy import Engine, Insert, Row, Select, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool

from monitor.store import migrations
from monitor.store.errors import StoreError
from monitor.store.opening import cannot_open, missing_driver, writable_data_folder
from monitor.text import one_line

BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_SECONDS = 10
DATABASE_FILE = "beatwatch.sqlite3"
_WRITE_OPTION = "beatwatch_write"  # its value: whether the transaction is flushed to disk when it commits
_Value = TypeVar("_Value")


class StoreBase:
    """The database, brought up to the current schema when opened; the parts of the store build on it."""

    def __init__(self, url: str) -> None:
        try:
            self._url = make_url(url)
            self._engine = _create_engine(self._url)
        except ArgumentError as error:
            raise StoreError(
                f"the database URL is not a SQLAlchemy URL ({error}); use e.g. sqlite:////data/beatwatch.sqlite3"
            ) from error
        except ImportError as error:
            raise missing_driver(make_url(url), error) from error
        self._writers = {
            flushed: self._engine.execution_options(**{_WRITE_OPTION: flushed}) for flushed in (True, False)
        }
        self._write_lock = threading.Lock()
        # An in-memory SQLite database is one connection shared by every thread, so reads must take turns as well.
        self._read_lock = self._write_lock if _is_sqlite_memory(self._url) else None
        try:
            with self._writing() as connection:
                migrations.upgrade(connection, at=datetime.now(UTC))
        except OperationalError as error:
            self.close()
            raise cannot_open(self._url, error.orig or error) from error
        except StoreError:
            self.close()
            raise

    @staticmethod
    def default_url(data_dir: Path) -> str:
        return URL.create("sqlite", database=str(writable_data_folder(data_dir) / DATABASE_FILE)).render_as_string()

    def ping(self) -> None:
        """Raise StoreError unless the database answers now: for a health check."""
        sqlite_file = self._url.get_backend_name() == "sqlite" and not _is_sqlite_memory(self._url)
        # An open connection keeps reading a deleted file, whose writes would be lost: that is not healthy.
        if sqlite_file and not Path(self._url.database or "").is_file():
            raise StoreError(
                f"the database file {self._url.database} is gone; restore it, then restart the daemon (its open"
                " connection cannot see a new file)"
            )
        try:
            with self._reading() as connection:
                connection.exec_driver_sql("SELECT 1")
        except DBAPIError as error:
            raise StoreError(
                f"the database does not answer: {one_line(str(error.orig))}; check that it is running and reachable"
                " at MONITOR_DATABASE_URL"
            ) from error

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _writing(self, *, durable: bool = True) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises; flushed to disk by its
        commit unless not ``durable`` (see the module's docstring)."""
        with self._write_lock, self._writers[durable].begin() as connection:
            yield connection

    @contextmanager
    def _writing_rows_it_locks(self) -> Iterator[Connection]:
        """A write transaction that locks the rows it changes itself (``SELECT ... FOR UPDATE``), which is safe beside
        any other transaction: on PostgreSQL it does not wait for this process's other writes (as it would not for
        another process's); on SQLite it is one more write in turn. Not durable: what it records is redone if lost."""
        if self._url.get_backend_name() == "sqlite":
            with self._writing(durable=False) as connection:
                yield connection
            return
        with self._writers[False].begin() as connection:
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """One read transaction: every query in the block sees the same state of the database."""
        with self._read_lock or nullcontext(), self._engine.connect() as connection:
            yield connection


def insert_row(connection: Connection, statement: Insert) -> int:
    """Run an INSERT of one row and return its new id."""
    key = connection.execute(statement).inserted_primary_key
    if key is None:
        raise RuntimeError(f"the database gave no id for the new row of {statement.table}")
    return int(key[0])


def rows_with_values(
    connection: Connection, rows: Select[Any], values: Select[int, _Value]
) -> list[tuple[Row[Any], list[_Value]]]:
    """The rows that ``rows`` selects, each with the values that ``values`` pairs with its ``id``, in their order.

    ``values`` selects (id, value) pairs, such as an item's id and each topic it matched; it should choose its ids with
    the same filter as ``rows`` (a subquery), so that no list of ids travels back as bound parameters."""
    found = connection.execute(rows).all()
    grouped: dict[int, list[_Value]] = {}
    for row_id, value in connection.execute(values):
        grouped.setdefault(row_id, []).append(value)
    return [(row, grouped.get(row.id, [])) for row in found]


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        # pre_ping: the daemon outlives database server restarts and idle-connection timeouts. A server that does not
        # answer at all is given up on after a while, rather than after the system's TCP timeout of minutes.
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if url.get_backend_name() == "postgresql" else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if _is_sqlite_memory(url):
        # The default pool would give each thread its own, empty, in-memory database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _is_sqlite_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _configure_sqlite_connection(dbapi_connection: Any, _connection_record: Any) -> None:
    # sqlite3 would only BEGIN before writes, so a read made of two SELECTs could see two states; we BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once, whatever the busy timeout, when another process
    # wrote in between; taking the write lock at BEGIN makes writers wait their turn instead.
    durable = connection.get_execution_options().get(_WRITE_OPTION)
    if durable is None:
        connection.exec_driver_sql("BEGIN")
        return
    connection.exec_driver_sql(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
