"""Turns: the daemons (`monitor run`) on one database share the polling, each due source polled by one of them.

A daemon joins as a *replica* when it starts. On PostgreSQL it holds a session advisory lock keyed by its id, on a
connection of its own, for as long as it lives: when it dies its connection closes and the lock goes with it, so the
others know at once, with no clock or heartbeat to trust. On SQLite one daemon works on a file at a time; a second one
finds the file's lock taken and is refused.

A source's turn goes to the daemon that took its last one, while that daemon lives: its schedule is the source's
schedule. Another daemon takes the turn when the source is free (never polled, handed on, or its daemon has died) and
was last polled at least half an interval ago, or when the source's daemon is half an interval late. A daemon holding
more than its share of the sources hands each one on after polling it, to whichever daemon's turn comes first, so
daemons started later get work. The source's row is locked while a turn is decided: two daemons never both take it,
and a daemon skips a source another is deciding about (``SELECT ... FOR UPDATE SKIP LOCKED``) unless it is its own.
"""

from __future__ import annotations

import fcntl
import importlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import ColumnElement, Row, Select, exists, false, func, insert, literal_column, select, text, update
from sqlalchemy.engine import URL, Connection

from monitor.store.engine import StoreBase, insert_row
from monitor.store.errors import StoreError
from monitor.store.schema import ADVISORY_LOCK_CLASS, poll_turns_table, replicas_table

# The advisory locks of the daemons alive now (their ids in objid), as PostgreSQL lists them.
_LIVE_REPLICAS: Select[Any] = (
    select(literal_column("objid"))
    .select_from(text("pg_locks"))
    .where(
        text(
            "locktype = 'advisory' AND granted AND objsubid = 2 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        literal_column("classid") == ADVISORY_LOCK_CLASS,
    )
)


@dataclass
class Replica:
    """This daemon as one of those working on the database, from ``join`` until ``leave``."""

    id: int
    name: str
    # What keeps it known to be alive: a PostgreSQL connection holding its advisory lock, or a locked file for SQLite.
    hold: Connection | IO[str] | None = field(default=None, repr=False)


class TurnsStore(StoreBase):
    def join(self, name: str, *, at: datetime) -> Replica:
        """Register this daemon (``name``: host and process id) among those polling the database's sources. On SQLite,
        raises ``StoreError`` when another daemon already works on the file."""
        file_lock = _lock_sqlite_file(self._url) if self._url.get_backend_name() == "sqlite" else None
        with self._writing() as connection:
            replica_id = insert_row(connection, insert(replicas_table).values(name=name, started_at=at))
        replica = Replica(replica_id, name, file_lock)
        if self._url.get_backend_name() == "postgresql":
            self._hold_lock(replica)
        return replica

    def leave(self, replica: Replica) -> None:
        """This daemon stops: its sources are free for the others at once."""
        if isinstance(replica.hold, Connection):
            replica.hold.invalidate()  # closes the session, and its lock with it (a pooled one would keep both)
        if replica.hold is not None:
            replica.hold.close()
            replica.hold = None

    def take_turn(self, source_id: str, *, replica: Replica, now: datetime, every: timedelta) -> bool:
        """Whether ``replica`` polls ``source_id`` (due every ``every``) at its turn ``now``. When it does, the source
        is marked as being polled by it until ``end_turn``."""
        with self._writing_rows_it_locks() as connection:
            # Most turns are another daemon's: one read says so. Its own source, a daemon waits for another's look at
            # it to end (a moment); any other source it skips while another daemon decides, who polls it if anyone may.
            row = connection.execute(_turn_row(connection, source_id)).first()
            if row is None:
                connection.execute(_insert_if_absent(connection, {"source_id": source_id, "polling": False}))
            elif row.replica_id != replica.id and not _may_take(row, now, every):
                return False
            mine = row is not None and row.replica_id == replica.id
            row = connection.execute(_turn_row(connection, source_id, lock=True, wait=mine)).first()
            if row is None or (row.replica_id != replica.id and not _may_take(row, now, every)):
                return False
            connection.execute(
                update(poll_turns_table)
                .where(poll_turns_table.c.source_id == source_id)
                .values(replica_id=replica.id, polling=True, turn_at=now)
            )
            return True

    def end_turn(self, source_id: str, *, replica: Replica, now: datetime, sources: int) -> None:
        """``replica``'s poll of ``source_id`` ended ``now``; it keeps the source, or hands it on when it holds more
        than its share of the ``sources``."""
        with self._writing_rows_it_locks() as connection:
            live = self._live_replicas(connection, replica)
            over_share = _held(connection, replica) > math.ceil(sources / len(live))
            connection.execute(
                update(poll_turns_table)
                .where(poll_turns_table.c.source_id == source_id, poll_turns_table.c.replica_id == replica.id)
                .values(polling=False, replica_id=None if over_share else replica.id, turn_at=now)
            )

    def _live_replicas(self, connection: Connection, replica: Replica) -> set[int]:
        """The ids of the daemons alive now, ``replica``'s among them (its lock is taken again if it was lost, as when
        the database server restarted)."""
        if connection.dialect.name != "postgresql":
            return {replica.id}  # SQLite: the file's lock lets one daemon in
        live = set(connection.scalars(_LIVE_REPLICAS))
        if replica.id not in live:
            self._hold_lock(replica)
        return live | {replica.id}

    def _hold_lock(self, replica: Replica) -> None:
        self.leave(replica)
        hold = self._engine.connect()
        # Never waits: a replica's id is its own, so the lock is free unless a session of this daemon still has it.
        hold.execute(select(func.pg_try_advisory_lock(ADVISORY_LOCK_CLASS, replica.id)))
        hold.commit()  # the lock belongs to the session and outlives the transaction, which must not stay open
        replica.hold = hold


def _turn_row(connection: Connection, source_id: str, *, lock: bool = False, wait: bool = False) -> Select[Any]:
    """The source's row with whether its daemon lives (``holder_alive``); ``lock``: locked FOR UPDATE, skipped while
    another transaction has it unless ``wait``."""
    holder = poll_turns_table.c.replica_id
    if connection.dialect.name == "postgresql":
        alive: ColumnElement[bool] = exists(_LIVE_REPLICAS.where(literal_column("objid") == holder))
    else:
        alive = false()  # SQLite: the one daemon a file lets in never asks about itself
    query = select(poll_turns_table, alive.label("holder_alive")).where(poll_turns_table.c.source_id == source_id)
    return query.with_for_update(of=poll_turns_table, skip_locked=not wait) if lock else query


def _may_take(row: Row[Any], now: datetime, every: timedelta) -> bool:
    """Whether a source that is not this daemon's (another's, or free) may be taken at this daemon's turn ``now``."""
    last = row.turn_at
    if row.holder_alive:  # another daemon's, alive: it is left to it unless it has missed its turn
        return not row.polling and last is not None and now >= last + every * 3 / 2
    return last is None or now >= last + every / 2  # free, or its daemon has died


def _held(connection: Connection, replica: Replica) -> int:
    held = select(func.count()).where(poll_turns_table.c.replica_id == replica.id)
    return connection.scalar(held) or 0


def _insert_if_absent(connection: Connection, values: dict[str, Any]) -> Any:
    # Each backend spells INSERT ... ON CONFLICT in its own dialect; PostgreSQL's takes 30 ms to import, so only there.
    backend = "postgresql" if connection.dialect.name == "postgresql" else "sqlite"
    dialect = importlib.import_module(f"sqlalchemy.dialects.{backend}")
    return dialect.insert(poll_turns_table).values(values).on_conflict_do_nothing(index_elements=["source_id"])


def _lock_sqlite_file(url: URL) -> IO[str] | None:
    """Lock the SQLite database's file for this daemon (released when the daemon ends, however it ends)."""
    if not url.database or url.database == ":memory:":
        return None
    database = Path(url.database)
    lock = open(f"{database}-run.lock", "w")  # noqa: SIM115 - held open for the daemon's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise StoreError(
            f"another `monitor run` is already working on {database}: SQLite serves one daemon at a time; stop the "
            "other one, or use PostgreSQL (MONITOR_DATABASE_URL) to run several daemons on one database"
        ) from None
    return lock
