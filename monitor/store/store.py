"""The store: the only code that speaks SQL. Every method is one transaction and returns frozen records.

SQLite (the default) runs in WAL mode so readers never wait for the writer. Writes inside one process are serialised by
a lock, and each write transaction starts with ``BEGIN IMMEDIATE`` so that a second process (``monitor digest`` beside
``monitor run``) waits for the write lock (busy_timeout) instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Exists,
    Row,
    Select,
    case,
    create_engine,
    event,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool

from monitor.items import Item
from monitor.match.types import Hit, Match, Snippet
from monitor.store import schema
from monitor.store.errors import OutboxConflict, StoreError
from monitor.store.records import FAILED, PENDING, SENT, DeliveryRecord, ItemRecord, MatchRecord, SourceHealth
from monitor.store.schema import (
    deliveries_table,
    delivery_matches_table,
    item_keys_table,
    items_table,
    match_deliveries_table,
    matches_table,
    sources_table,
)

BUSY_TIMEOUT_MS = 30_000
DATABASE_FILE = "beatwatch.sqlite3"
BODY_FORGOTTEN_NOTE = "text removed after the retention period"
_WRITE_OPTION = "beatwatch_write"
_KEY_CHUNK = 500  # keys per IN (...) query, well under every backend's limit on bound parameters


class Store:
    """Items, matches, sources' poll state and the delivery outbox; safe to share between threads."""

    def __init__(self, url: str) -> None:
        try:
            self._url = make_url(url)
            self._engine = _create_engine(self._url)
        except ArgumentError as error:
            raise StoreError(
                f"the database URL is not a SQLAlchemy URL ({error}); use e.g. sqlite:////data/beatwatch.sqlite3"
            ) from error
        except ImportError as error:
            raise StoreError(
                f"no driver for {make_url(url).drivername} is installed ({error}); for PostgreSQL install "
                "'psycopg[binary]' and use a postgresql+psycopg:// URL"
            ) from error
        self._writer = self._engine.execution_options(**{_WRITE_OPTION: True})
        self._write_lock = threading.Lock()
        # An in-memory SQLite database is one connection shared by every thread, so reads must take turns as well.
        self._read_lock = self._write_lock if _is_sqlite_memory(self._url) else None
        try:
            with self._writing() as connection:
                schema.upgrade(connection, at=datetime.now(timezone.utc))
        except OperationalError as error:
            self.close()
            raise StoreError(
                f"cannot open the database {self._url.render_as_string(hide_password=True)}: {error.orig}; "
                "check that it exists and is writable, or set MONITOR_DATABASE_URL"
            ) from error
        except StoreError:
            self.close()
            raise

    @staticmethod
    def default_url(data_dir: Path) -> str:
        data_dir.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite", database=str(data_dir.resolve() / DATABASE_FILE)).render_as_string()

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._write_lock, self._writer.begin() as connection:
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self._read_lock or nullcontext(), self._engine.connect() as connection:
            yield connection

    # -- polling ----------------------------------------------------------------------------------------------------

    def source_state(self, source_id: str) -> dict[str, str]:
        """The checkpoint saved by the last successful poll of ``source_id`` (empty before the first)."""
        with self._reading() as connection:
            state = connection.scalar(select(sources_table.c.state).where(sources_table.c.source_id == source_id))
        return dict(state or {})

    def has_polled(self, source_id: str) -> bool:
        """Whether a poll of ``source_id`` has completed once (so its items are no longer first-run backfill)."""
        with self._reading() as connection:
            polled = connection.scalar(
                select(sources_table.c.polled_once).where(sources_table.c.source_id == source_id)
            )
        return bool(polled)

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
    ) -> int | None:
        """Store a new item, all its keys and (when ``reported``) its matches in one transaction; return its id.

        Returns None and writes nothing when any of the item's keys is already known for its source.
        ``reported=False`` (first-run backfill) records the item so it is never reported, and drops its matches.
        ``page_tries`` counts failed fetches of its page; with ``page_retry_at`` the page waits to be fetched again then
        (see ``pages_due``).
        """
        _require_one_match_per_topic(item, matches)
        keys = tuple(dict.fromkeys(item.keys))
        page = {"page_tries": page_tries, "page_retry_at": page_retry_at}
        try:
            with self._writing() as connection:
                if _known_keys(connection, item.source_id, keys):
                    return None
                return _insert_item(connection, item, keys, matches if reported else (), found_at, reported, page)
        except IntegrityError:
            if self.known_keys(item.source_id, keys):
                return None  # another process stored the same item between our check and our insert
            raise

    def finish_poll(
        self,
        source_id: str,
        *,
        at: datetime,
        checkpoint: Mapping[str, str] | None,
        error: str | None,
        new_items: int,
        new_matches: int,
        seconds: float,
        page_error: str | None = None,
    ) -> None:
        """Record the end of a poll. Success replaces the checkpoint (None keeps it) and clears the error; failure keeps
        the checkpoint, so the next poll retries from where the last good one left off. ``page_error`` is the last
        story page the poll could not fetch; it is kept until another takes its place."""
        values: dict[str, Any] = {
            "last_polled_at": at,
            "last_new_items": new_items,
            "last_new_matches": new_matches,
            "last_seconds": seconds,
        }
        if page_error is not None:
            values |= {"last_page_error": page_error, "last_page_error_at": at}
        if error is None:
            values |= {"polled_once": True, "last_success_at": at, "last_error": None, "consecutive_failures": 0}
            if checkpoint is not None:
                values["state"] = dict(checkpoint)
        else:
            values["last_error"] = error
        with self._writing() as connection:
            failures = connection.scalar(
                select(sources_table.c.consecutive_failures).where(sources_table.c.source_id == source_id)
            )
            if error is not None:
                values["consecutive_failures"] = (failures or 0) + 1
            if failures is None:
                connection.execute(insert(sources_table).values(_new_source_row(source_id) | values))
            else:
                connection.execute(update(sources_table).where(sources_table.c.source_id == source_id).values(values))

    def source_health(self) -> list[SourceHealth]:
        """Every source ever polled, by id, with how many of its story pages wait to be fetched again."""
        waiting_pages = (
            select(items_table.c.source_id, func.count().label("pages_waiting"))
            .where(items_table.c.page_retry_at.is_not(None))
            .group_by(items_table.c.source_id)
            .subquery()
        )
        query = (
            select(sources_table, func.coalesce(waiting_pages.c.pages_waiting, 0).label("pages_waiting"))
            .outerjoin(waiting_pages, waiting_pages.c.source_id == sources_table.c.source_id)
            .order_by(sources_table.c.source_id)
        )
        with self._reading() as connection:
            rows = connection.execute(query).all()
        return [_source_health(row) for row in rows]

    # -- pages fetched again ----------------------------------------------------------------------------------------

    def pages_due(self, source_id: str, *, now: datetime) -> list[ItemRecord]:
        """Items of ``source_id`` whose page waits to be fetched again and is due by ``now``, oldest first."""
        due = (items_table.c.source_id == source_id) & (items_table.c.page_retry_at <= now)
        with self._reading() as connection:
            return _item_records(connection, due)

    def record_page_text(
        self, item_id: int, *, tries: int, body: str | None, note: str, matches: Sequence[Match]
    ) -> int | None:
        """A waiting page was read: store its text and the matches of topics the item had not matched yet, in one
        transaction; return how many matches were added. ``tries`` is the item's ``page_tries`` as the caller read it:
        None, and nothing written, when the page is no longer waiting at that count (another process got there)."""
        with self._writing() as connection:
            if not _update_waiting_page(connection, item_id, tries, body=body, body_note=note, page_retry_at=None):
                return None
            matched = set(
                connection.scalars(select(matches_table.c.topic_id).where(matches_table.c.item_id == item_id))
            )
            new = [match for match in matches if match.topic_id not in matched]
            if new:
                connection.execute(insert(matches_table), [_match_row(item_id, match) for match in new])
            return len(new)

    def record_page_failure(self, item_id: int, *, tries: int, note: str, retry_at: datetime | None) -> bool:
        """A waiting page failed again (or its time ran out): one more failed try, the note, and the next time it is due
        (None: given up). False, and nothing written, when it is no longer waiting at ``tries``."""
        with self._writing() as connection:
            return _update_waiting_page(
                connection, item_id, tries, body_note=note, page_tries=tries + 1, page_retry_at=retry_at
            )

    # -- matches ----------------------------------------------------------------------------------------------------

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

        ``since`` keeps matches found since then; ``undelivered_to=(output, destination)`` keeps those neither delivered
        there as a ``kind`` ("digest" or "alert") nor waiting in the outbox to go there as one; ``ids`` keeps only those.
        """
        query = select(
            matches_table,
            items_table.c.source_id,
            items_table.c.kind,
            items_table.c.title,
            items_table.c.url,
            items_table.c.summary,
            items_table.c.published,
            items_table.c.found_at,
            items_table.c.context,
        ).join(items_table, items_table.c.id == matches_table.c.item_id)
        if since is not None:
            query = query.where(items_table.c.found_at >= since)
        if topic is not None:
            query = query.where(matches_table.c.topic_id == topic)
        if undelivered_to is not None:
            query = query.where(~_delivered_there(*undelivered_to, kind), ~_queued_for(*undelivered_to, kind))
        if ids is not None:
            query = query.where(matches_table.c.id.in_(list(ids)))
        newest_first = func.coalesce(items_table.c.published, items_table.c.found_at).desc()
        with self._reading() as connection:
            rows = connection.execute(query.order_by(newest_first, matches_table.c.id.desc())).all()
            # The same filters select the deliveries, so no list of ids has to travel back as bound parameters.
            deliveries = _deliveries_of(connection, query.with_only_columns(matches_table.c.id))
        return [_match_record(row, deliveries.get(row.id, [])) for row in rows]

    def mark_delivered(
        self, match_ids: Iterable[int], *, output: str, destination: str, at: datetime, alert: bool = False
    ) -> None:
        """Record that these matches reached (output, destination); matches already recorded there keep their record."""
        with self._writing() as connection:
            _mark_delivered(connection, match_ids, output, destination, at, alert)

    # -- replay and retention ---------------------------------------------------------------------------------------

    def items(self, *, since: datetime) -> list[ItemRecord]:
        """Items found since ``since``, oldest first, with the topics they matched then."""
        with self._reading() as connection:
            return _item_records(connection, items_table.c.found_at >= since)

    def forget_bodies(self, *, before: datetime) -> int:
        """Drop the stored text of items found before ``before``; return how many items lost their text."""
        with self._writing() as connection:
            result = connection.execute(
                update(items_table)
                .where(items_table.c.found_at < before, items_table.c.body.is_not(None))
                .values(body=None, body_note=BODY_FORGOTTEN_NOTE)
            )
        return result.rowcount

    # -- outbox -----------------------------------------------------------------------------------------------------

    def enqueue(
        self,
        *,
        key: str,
        output: str,
        destination: str,
        kind: str,
        parts: Sequence[dict],
        match_ids: Sequence[int],
        at: datetime,
    ) -> DeliveryRecord:
        """Queue a delivery, due at once. Idempotent: a delivery with the same ``key`` is returned as it is."""
        if not parts:
            raise ValueError(f"delivery {key!r} to {output} {destination} has no parts; render at least one message")
        row = {
            "key": key,
            "output": output,
            "destination": destination,
            "kind": kind,
            "parts": [dict(part) for part in parts],
            "parts_sent": 0,
            "receipts": [],
            "match_ids": list(match_ids),
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        }
        try:
            with self._writing() as connection:
                existing = connection.execute(select(deliveries_table).where(deliveries_table.c.key == key)).first()
                if existing is not None:
                    return _delivery_record(existing)
                delivery_id = connection.execute(insert(deliveries_table).values(row)).inserted_primary_key[0]
                if match_ids:
                    connection.execute(
                        insert(delivery_matches_table),
                        [{"delivery_id": delivery_id, "match_id": match_id} for match_id in sorted(set(match_ids))],
                    )
                return _delivery_record(_delivery_row(connection, delivery_id))
        except IntegrityError:
            existing = self._delivery_by_key(key)
            if existing is None:
                raise
            return existing  # another process queued the same delivery between our check and our insert

    def due_deliveries(self, *, now: datetime) -> list[DeliveryRecord]:
        """Pending deliveries whose next attempt is due, oldest first."""
        query = select(deliveries_table).where(
            deliveries_table.c.state == PENDING, deliveries_table.c.next_attempt_at <= now
        )
        with self._reading() as connection:
            rows = connection.execute(query.order_by(deliveries_table.c.id)).all()
        return [_delivery_record(row) for row in rows]

    def claim(
        self, delivery_id: int, *, owner: str, now: datetime, until: datetime, is_gone: Callable[[str], bool]
    ) -> DeliveryRecord | None:
        """Take (or renew) the right to send a delivery until ``until``, and return the delivery as it is now.

        None when it is not ``owner``'s to send: it is no longer pending, its next attempt is not due yet, or another
        owner holds an unexpired claim (unless ``is_gone(that owner)`` says its process has ended). The sender goes on
        from the record this returns (its parts sent, receipts, part in flight), never from a copy read earlier."""
        with self._writing() as connection:
            row = _delivery_row(connection, delivery_id)
            due = row.next_attempt_at is not None and row.next_attempt_at <= now
            if row.state != PENDING or not due or _held_elsewhere(row, owner, now, is_gone):
                return None
            return _update_delivery(connection, delivery_id, claimed_by=owner, claimed_until=until)

    def mark_part_in_flight(self, delivery_id: int, *, index: int, owner: str, at: datetime) -> None:
        """Part ``index`` is about to be handed to the service by ``owner``: until it is recorded as sent, it may have
        arrived without our knowing. The earliest such moment is kept, so a look-up covers every attempt."""
        with self._writing() as connection:
            row = _next_part_row(connection, delivery_id, index)
            if row.claimed_by != owner:
                raise OutboxConflict(f"delivery {delivery_id} is claimed by {row.claimed_by or 'nobody'}, not {owner}")
            if row.part_in_flight_since is None:
                _update_delivery(connection, delivery_id, part_in_flight_since=at)

    def record_part_sent(self, delivery_id: int, *, index: int, receipt: str | None, at: datetime) -> DeliveryRecord:
        """Part ``index`` went out (refused unless it is the next part to send). After the last one, the delivery is
        sent and its matches are marked delivered to its (output, destination) in the same transaction, so a crash
        cannot leave one without the other. Returns the delivery as it is now."""
        with self._writing() as connection:
            row = _next_part_row(connection, delivery_id, index)
            values: dict[str, Any] = {
                "parts_sent": index + 1,
                "receipts": [*row.receipts, receipt],
                "last_attempt_at": at,
                "part_in_flight_since": None,
            }
            if index + 1 == len(row.parts):
                values |= {"state": SENT, "sent_at": at, "next_attempt_at": None, "claimed_by": None,
                           "claimed_until": None}
                _mark_delivered(connection, row.match_ids, row.output, row.destination, at, row.kind == "alert")
            return _update_delivery(connection, delivery_id, **values)

    def record_failure(
        self,
        delivery_id: int,
        *,
        owner: str,
        at: datetime,
        error: str,
        next_attempt_at: datetime | None,
        part_may_have_arrived: bool = False,
    ) -> DeliveryRecord:
        """An attempt by ``owner`` (who must hold the claim) failed; the claim ends. With ``next_attempt_at`` the
        delivery is tried again then (from the first unsent part); without, it is marked failed and waits for `monitor
        outbox retry`. ``part_may_have_arrived`` keeps the part in flight, so it is looked for before it is sent again."""
        values: dict[str, Any] = {
            "last_attempt_at": at, "last_error": error, "next_attempt_at": next_attempt_at, "claimed_by": None,
            "claimed_until": None,
        }
        if next_attempt_at is None:
            values["state"] = FAILED
        if not part_may_have_arrived:
            values["part_in_flight_since"] = None
        with self._writing() as connection:
            row = _pending_delivery_row(connection, delivery_id)
            if row.claimed_by != owner:
                raise OutboxConflict(f"delivery {delivery_id} is claimed by {row.claimed_by or 'nobody'}, not {owner}")
            return _update_delivery(connection, delivery_id, attempts=row.attempts + 1, **values)

    def readdress(
        self, delivery_id: int, *, destination: str, now: datetime, is_gone: Callable[[str], bool]
    ) -> DeliveryRecord | None:
        """Send a pending or failed delivery to ``destination`` instead, whole, from its first part (parts that reached
        the old destination stay there). None, and nothing changed, while anyone (this process too) is sending it."""
        with self._writing() as connection:
            row = _delivery_row(connection, delivery_id)
            if row.state not in (PENDING, FAILED) or _held_elsewhere(row, None, now, is_gone):
                return None
            return _update_delivery(connection, delivery_id, destination=destination, parts_sent=0, receipts=[],
                                    part_in_flight_since=None)

    def deliveries(
        self, *, states: Iterable[str] | None = None, since: datetime | None = None
    ) -> list[DeliveryRecord]:
        """Deliveries in any of ``states``, oldest first; ``since`` keeps those created, tried or sent since then."""
        query = select(deliveries_table)
        if states is not None:
            query = query.where(deliveries_table.c.state.in_(list(states)))
        if since is not None:
            last_activity = func.coalesce(deliveries_table.c.last_attempt_at, deliveries_table.c.created_at)
            query = query.where(last_activity >= since)
        with self._reading() as connection:
            rows = connection.execute(query.order_by(deliveries_table.c.id)).all()
        return [_delivery_record(row) for row in rows]

    def last_delivery_at(self, output: str, destination: str, *, kind: str = "digest") -> datetime | None:
        """When the last delivery of ``kind`` to (output, destination) was sent, if ever."""
        query = select(func.max(deliveries_table.c.sent_at)).where(
            deliveries_table.c.output == output,
            deliveries_table.c.destination == destination,
            deliveries_table.c.kind == kind,
            deliveries_table.c.state == SENT,
        )
        with self._reading() as connection:
            return connection.execute(query).scalar()

    def retry_now(self, delivery_id: int | None, *, at: datetime) -> tuple[int, int]:
        """Make open deliveries (one, or all when ``delivery_id`` is None) due at ``at``: failed ones with a fresh round
        of attempts, pending ones without waiting for their next attempt. Returns how many were (failed, pending)."""
        chosen = deliveries_table.c.id == delivery_id if delivery_id is not None else true()
        waiting = deliveries_table.c.next_attempt_at
        with self._writing() as connection:
            pending = connection.execute(
                update(deliveries_table).where(chosen, deliveries_table.c.state == PENDING)
                .values(next_attempt_at=case((waiting > at, at), else_=waiting))
            ).rowcount
            failed = connection.execute(
                update(deliveries_table).where(chosen, deliveries_table.c.state == FAILED)
                .values(state=PENDING, next_attempt_at=at, attempts=0)
            ).rowcount
        return failed, pending

    def _delivery_by_key(self, key: str) -> DeliveryRecord | None:
        with self._reading() as connection:
            row = connection.execute(select(deliveries_table).where(deliveries_table.c.key == key)).first()
        return None if row is None else _delivery_record(row)


# -- engine ---------------------------------------------------------------------------------------------------------


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        # pre_ping: the daemon outlives database server restarts and idle-connection timeouts.
        return create_engine(url, pool_pre_ping=True)
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
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# -- items and sources ----------------------------------------------------------------------------------------------


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
    item_id = connection.execute(
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
            context=[list(pair) for pair in item.context],
            reported=reported,
            **page,
        )
    ).inserted_primary_key[0]
    connection.execute(
        insert(item_keys_table), [{"source_id": item.source_id, "key": key, "item_id": item_id} for key in keys]
    )
    if matches:
        connection.execute(insert(matches_table), [_match_row(item_id, match) for match in matches])
    return item_id


def _match_row(item_id: int, match: Match) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "topic_id": match.topic_id,
        "terms": list(match.terms),
        "hits": [[hit.term, hit.field, hit.start, hit.end] for hit in match.hits],
        "snippet_text": match.snippet.text,
        "snippet_marks": [list(mark) for mark in match.snippet.marks],
        "snippet_page": match.snippet.page,
        "urgent": match.urgent,
    }


def _new_source_row(source_id: str) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "state": {},
        "polled_once": False,
        "consecutive_failures": 0,
        "last_new_items": 0,
        "last_new_matches": 0,
        "last_seconds": 0.0,
    }


def _source_health(row: Row) -> SourceHealth:
    return SourceHealth(
        source_id=row.source_id,
        polled_once=row.polled_once,
        last_polled_at=row.last_polled_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        consecutive_failures=row.consecutive_failures,
        last_new_items=row.last_new_items,
        last_new_matches=row.last_new_matches,
        last_seconds=row.last_seconds,
        pages_waiting=row.pages_waiting,
        last_page_error=row.last_page_error,
        last_page_error_at=row.last_page_error_at,
    )


def _item_records(connection: Connection, condition: ColumnElement[bool]) -> list[ItemRecord]:
    """The items meeting ``condition``, oldest first, each with the topics it matched."""
    rows = connection.execute(
        select(items_table).where(condition).order_by(items_table.c.found_at, items_table.c.id)
    ).all()
    topic_rows = connection.execute(
        select(matches_table.c.item_id, matches_table.c.topic_id)
        .where(matches_table.c.item_id.in_(select(items_table.c.id).where(condition)))
        .order_by(matches_table.c.id)
    ).all()
    topics: dict[int, list[str]] = {}
    for item_id, topic_id in topic_rows:
        topics.setdefault(item_id, []).append(topic_id)
    return [_item_record(row, topics.get(row.id, [])) for row in rows]


def _update_waiting_page(connection: Connection, item_id: int, tries: int, **values: Any) -> bool:
    """Update the item only while its page still waits after ``tries`` failed fetches; whether it did. One statement,
    so two processes that fetched the same page cannot both record it."""
    still_waiting = update(items_table).where(
        items_table.c.id == item_id, items_table.c.page_retry_at.is_not(None), items_table.c.page_tries == tries
    )
    return connection.execute(still_waiting.values(values)).rowcount == 1


def _item_record(row: Row, topics: Sequence[str]) -> ItemRecord:
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
        context=_pairs(row.context),
        topics=tuple(topics),
        reported=row.reported,
        page_tries=row.page_tries,
        page_retry_at=row.page_retry_at,
    )


def _pairs(values: Iterable[Sequence[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((first, second) for first, second in values)


# -- matches and their deliveries -----------------------------------------------------------------------------------


def _delivered_there(output: str, destination: str, kind: str) -> Exists:
    return (
        select(match_deliveries_table.c.match_id)
        .where(
            match_deliveries_table.c.match_id == matches_table.c.id,
            match_deliveries_table.c.output == output,
            match_deliveries_table.c.destination == destination,
            match_deliveries_table.c.alert == (kind == "alert"),
        )
        .exists()
    )


def _queued_for(output: str, destination: str, kind: str) -> Exists:
    return (
        select(delivery_matches_table.c.match_id)
        .join(deliveries_table, deliveries_table.c.id == delivery_matches_table.c.delivery_id)
        .where(
            delivery_matches_table.c.match_id == matches_table.c.id,
            deliveries_table.c.output == output,
            deliveries_table.c.destination == destination,
            deliveries_table.c.kind == kind,
            deliveries_table.c.state.in_([PENDING, FAILED]),
        )
        .exists()
    )


def _deliveries_of(connection: Connection, match_ids: Select) -> dict[int, list[Row]]:
    rows = connection.execute(
        select(match_deliveries_table)
        .where(match_deliveries_table.c.match_id.in_(match_ids))
        .order_by(match_deliveries_table.c.delivered_at, match_deliveries_table.c.output)
    ).all()
    deliveries: dict[int, list[Row]] = {}
    for row in rows:
        deliveries.setdefault(row.match_id, []).append(row)
    return deliveries


def _match_record(row: Row, deliveries: Sequence[Row]) -> MatchRecord:
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
        context=_pairs(row.context),
        delivered_to=tuple((delivery.output, delivery.destination) for delivery in deliveries if not delivery.alert),
        alerted=any(delivery.alert for delivery in deliveries),
    )


def _mark_delivered(
    connection: Connection, match_ids: Iterable[int], output: str, destination: str, at: datetime, alert: bool
) -> None:
    wanted = set(match_ids)
    if not wanted:
        return
    already = set(
        connection.scalars(
            select(match_deliveries_table.c.match_id).where(
                match_deliveries_table.c.output == output,
                match_deliveries_table.c.destination == destination,
                match_deliveries_table.c.alert == alert,
                match_deliveries_table.c.match_id.in_(sorted(wanted)),
            )
        )
    )
    new = sorted(wanted - already)
    if new:
        connection.execute(
            insert(match_deliveries_table),
            [
                {"match_id": match_id, "output": output, "destination": destination, "delivered_at": at, "alert": alert}
                for match_id in new
            ],
        )


# -- outbox ---------------------------------------------------------------------------------------------------------


def _delivery_row(connection: Connection, delivery_id: int) -> Row:
    # FOR UPDATE: on PostgreSQL another process cannot change the row between our read and our write (SQLite ignores
    # it; BEGIN IMMEDIATE already gives us the whole database).
    row = connection.execute(
        select(deliveries_table).where(deliveries_table.c.id == delivery_id).with_for_update()
    ).first()
    if row is None:
        raise LookupError(f"there is no delivery {delivery_id} in the outbox; `monitor outbox` lists them")
    return row


def _pending_delivery_row(connection: Connection, delivery_id: int) -> Row:
    row = _delivery_row(connection, delivery_id)
    if row.state != PENDING:
        raise OutboxConflict(f"delivery {delivery_id} is {row.state}, not {PENDING}; only pending deliveries are sent")
    return row


def _next_part_row(connection: Connection, delivery_id: int, index: int) -> Row:
    """The pending delivery, provided part ``index`` is the next one to send (not already recorded by anyone)."""
    row = _pending_delivery_row(connection, delivery_id)
    if row.parts_sent != index:
        raise OutboxConflict(
            f"part {index + 1} of delivery {delivery_id} cannot be recorded: {row.parts_sent} of its "
            f"{len(row.parts)} parts are recorded as sent (another process sent it meanwhile)"
        )
    return row


def _held_elsewhere(row: Row, owner: str | None, now: datetime, is_gone: Callable[[str], bool]) -> bool:
    """Whether a live owner other than ``owner`` (any, for None) holds an unexpired claim on the delivery."""
    held = row.claimed_by not in (None, owner) and row.claimed_until is not None and row.claimed_until > now
    return held and not is_gone(row.claimed_by)


def _update_delivery(connection: Connection, delivery_id: int, **values: Any) -> DeliveryRecord:
    connection.execute(update(deliveries_table).where(deliveries_table.c.id == delivery_id).values(values))
    return _delivery_record(_delivery_row(connection, delivery_id))


def _delivery_record(row: Row) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id,
        key=row.key,
        output=row.output,
        destination=row.destination,
        kind=row.kind,
        parts=tuple(row.parts),
        parts_sent=row.parts_sent,
        receipts=tuple(row.receipts),
        match_ids=tuple(row.match_ids),
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
        part_in_flight_since=row.part_in_flight_since,
        claimed_by=row.claimed_by,
        claimed_until=row.claimed_until,
    )
