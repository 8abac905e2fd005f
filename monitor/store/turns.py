"""Turns: the daemons (`monitor run`) on one database share the polling, each due source polled by one of them.

A daemon joins as a *replica* when it starts. On PostgreSQL it holds a session advisory lock keyed by its id, on a
connection of its own, for as long as it lives: when it dies its connection closes and the lock goes with it, so the
others know at once, with no clock or heartbeat to trust. On SQLite one daemon works on a file at a time; a second one
finds the file's lock taken and is refused.

A source's turn goes to the daemon that took its last one, while that daemon lives: its schedule is the source's
schedule. Another daemon takes the turn when the source is free (never polled, handed on, or its daemon has died) and
was last polled at least half an interval ago, or when the source's daemon is half an interval late. A daemon holding
more than its share of the sources hands each one on after polling it, so daemons started later get work. The source's
row is locked while a turn is decided (``SELECT ... FOR UPDATE SKIP LOCKED``): two daemons never both take it, and
neither waits for the other.
"""

from __future__ import annotations

import fcntl
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection

from monitor.store.engine import StoreBase, insert_row
from monitor.store.errors import StoreError
from monitor.store.schema import poll_turns_table, replicas_table

# The first key of Beatwatch's advisory locks ("bwtc"); the second is a replica's id.
ADVISORY_LOCK_CLASS = 0x62777463
_LIVE_REPLICAS = text(
    "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = :class AND objsubid = 2 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
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
        if replica.hold is not None:
            replica.hold.close()  # ends the PostgreSQL session and its lock, or unlocks the SQLite file
            replica.hold = None

    def take_turn(self, source_id: str, *, replica: Replica, now: datetime, every: timedelta, sources: int) -> bool:
        """Whether ``replica`` polls ``source_id`` now (its interval ``every``; ``sources`` sources to share). When it
        does, the source is marked as being polled by it until ``end_turn``."""
        row_of_source = poll_turns_table.c.source_id == source_id
        with self._writing() as connection:
            connection.execute(_insert_if_absent(connection, {"source_id": source_id, "polling": False}))
            row = connection.execute(
                select(poll_turns_table).where(row_of_source).with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return False  # another daemon is taking this very turn
            live = self._live_replicas(connection, replica)
            share = math.ceil(sources / len(live))
            if not _may_take(row, replica.id, live, now, every, lambda: _held(connection, replica) < share):
                return False
            connection.execute(
                update(poll_turns_table).where(row_of_source).values(replica_id=replica.id, polling=True, turn_at=now)
            )
            return True

    def end_turn(self, source_id: str, *, replica: Replica, now: datetime, sources: int) -> None:
        """``replica``'s poll of ``source_id`` ended ``now``; it keeps the source, or hands it on when it holds more
        than its share of the ``sources``."""
        with self._writing() as connection:
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
        live = set(connection.scalars(_LIVE_REPLICAS, {"class": ADVISORY_LOCK_CLASS}))
        if replica.id not in live:
            self._hold_lock(replica)
        return live | {replica.id}

    def _hold_lock(self, replica: Replica) -> None:
        self.leave(replica)
        hold = self._engine.connect()
        hold.execute(select(func.pg_advisory_lock(ADVISORY_LOCK_CLASS, replica.id)))
        hold.commit()  # the lock belongs to the session and outlives the transaction, which must not stay open
        replica.hold = hold


def _may_take(
    row: Row[Any], me: int, live: set[int], now: datetime, every: timedelta, under_share: Callable[[], bool]
) -> bool:
    holder, last = row.replica_id, row.turn_at
    if holder == me:
        return True
    late = last is not None and now >= last + every * 3 / 2
    if holder in live:
        return late and not row.polling  # its daemon lives but has missed its turn (busy, or no longer polling it)
    if last is None:
        return True  # never polled
    return now >= last + every / 2 and (late or under_share())


def _held(connection: Connection, replica: Replica) -> int:
    held = select(func.count()).where(poll_turns_table.c.replica_id == replica.id)
    return connection.scalar(held) or 0


def _insert_if_absent(connection: Connection, values: dict[str, Any]) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
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
