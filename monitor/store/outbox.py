"""The outbox: deliveries queued, claimed by the process sending them, sent part by part, tried again or given up.

Which matches a delivery carries is kept in one place, the table ``delivery_matches``: it keeps a new digest from
offering matches already on their way, and the matches are marked delivered in the transaction that records the
delivery's last part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, case, func, insert, select, true, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from monitor.store.engine import StoreBase, insert_row, rows_with_values
from monitor.store.errors import OutboxConflict
from monitor.store.records import FAILED, PENDING, SENT, DeliveryRecord
from monitor.store.schema import (
    ADVISORY_LOCK_CLASS,
    CHOOSING_MATCHES_LOCK,
    deliveries_table,
    delivery_matches_table,
    match_deliveries_table,
)


class OutboxStore(StoreBase):
    def enqueue(
        self,
        *,
        key: str,
        output: str,
        destination: str,
        kind: str,
        parts: Sequence[dict[str, Any]],
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
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        }
        same_key = deliveries_table.c.key == key
        try:
            with self._writing() as connection:
                if existing := _delivery_records(connection, same_key):
                    return existing[0]
                delivery_id = insert_row(connection, insert(deliveries_table).values(row))
                if match_ids:
                    connection.execute(
                        insert(delivery_matches_table),
                        [{"delivery_id": delivery_id, "match_id": match_id} for match_id in sorted(set(match_ids))],
                    )
                return _delivery_record(connection, delivery_id)
        except IntegrityError:
            with self._reading() as connection:
                existing = _delivery_records(connection, same_key)
            if existing:
                return existing[0]  # another process queued the same delivery between our check and our insert
            raise

    @contextmanager
    def choosing_matches(self) -> Iterator[None]:
        """Held while matches are chosen for deliveries and queued: two daemons on one PostgreSQL database never queue
        one match twice (each chooses, then queues, what the other has not queued yet). On SQLite, one daemon per file
        needs no more than the process's own lock."""
        if self._url.get_backend_name() != "postgresql":
            yield
            return
        with self._engine.begin() as connection:  # the lock ends with the transaction, whatever happens
            connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_CLASS, CHOOSING_MATCHES_LOCK)))
            yield

    def due_deliveries(self, *, now: datetime) -> list[DeliveryRecord]:
        """Pending deliveries whose next attempt is due, oldest first."""
        due = (deliveries_table.c.state == PENDING) & (deliveries_table.c.next_attempt_at <= now)
        with self._reading() as connection:
            return _delivery_records(connection, due)

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
                values |= {
                    "state": SENT,
                    "sent_at": at,
                    "next_attempt_at": None,
                    "claimed_by": None,
                    "claimed_until": None,
                }
                _mark_delivered(connection, row, at)
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
        outbox retry`. ``part_may_have_arrived`` keeps the part in flight, so it is looked for before it is sent
        again."""
        values: dict[str, Any] = {
            "last_attempt_at": at,
            "last_error": error,
            "next_attempt_at": next_attempt_at,
            "claimed_by": None,
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
            return _update_delivery(
                connection, delivery_id, destination=destination, parts_sent=0, receipts=[], part_in_flight_since=None
            )

    def deliveries(self, *, states: Iterable[str] | None = None, since: datetime | None = None) -> list[DeliveryRecord]:
        """Deliveries in any of ``states``, oldest first; ``since`` keeps those created, tried or sent since then."""
        chosen: ColumnElement[bool] = true()
        if states is not None:
            chosen &= deliveries_table.c.state.in_(list(states))
        if since is not None:
            last_activity = func.coalesce(deliveries_table.c.last_attempt_at, deliveries_table.c.created_at)
            chosen &= last_activity >= since
        with self._reading() as connection:
            return _delivery_records(connection, chosen)

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

    def last_sent(self, *, kind: str = "digest") -> dict[tuple[str, str], datetime]:
        """When a delivery of ``kind`` was last sent to each (output, destination) that ever had one."""
        last = func.max(deliveries_table.c.sent_at)
        query = (
            select(deliveries_table.c.output, deliveries_table.c.destination, last)
            .where(deliveries_table.c.kind == kind, deliveries_table.c.state == SENT)
            .group_by(deliveries_table.c.output, deliveries_table.c.destination)
        )
        with self._reading() as connection:
            return {(output, destination): at for output, destination, at in connection.execute(query)}

    def retry_now(self, delivery_id: int | None, *, at: datetime) -> tuple[int, int]:
        """Make open deliveries (one, or all when ``delivery_id`` is None) due at ``at``: failed ones with a fresh round
        of attempts, pending ones without waiting for their next attempt. Returns how many were (failed, pending)."""
        chosen = deliveries_table.c.id == delivery_id if delivery_id is not None else true()
        waiting = deliveries_table.c.next_attempt_at
        with self._writing() as connection:
            pending = connection.execute(
                update(deliveries_table)
                .where(chosen, deliveries_table.c.state == PENDING)
                .values(next_attempt_at=case((waiting > at, at), else_=waiting))
            ).rowcount
            failed = connection.execute(
                update(deliveries_table)
                .where(chosen, deliveries_table.c.state == FAILED)
                .values(state=PENDING, next_attempt_at=at, attempts=0)
            ).rowcount
        return failed, pending


def _delivery_row(connection: Connection, delivery_id: int) -> Row[Any]:
    # FOR UPDATE: on PostgreSQL another process cannot change the row between our read and our write (SQLite ignores
    # it; BEGIN IMMEDIATE already gives us the whole database).
    row = connection.execute(
        select(deliveries_table).where(deliveries_table.c.id == delivery_id).with_for_update()
    ).first()
    if row is None:
        raise LookupError(f"there is no delivery {delivery_id} in the outbox; `monitor outbox` lists them")
    return row


def _pending_delivery_row(connection: Connection, delivery_id: int) -> Row[Any]:
    row = _delivery_row(connection, delivery_id)
    if row.state != PENDING:
        raise OutboxConflict(f"delivery {delivery_id} is {row.state}, not {PENDING}; only pending deliveries are sent")
    return row


def _next_part_row(connection: Connection, delivery_id: int, index: int) -> Row[Any]:
    """The pending delivery, provided part ``index`` is the next one to send (not already recorded by anyone)."""
    row = _pending_delivery_row(connection, delivery_id)
    if row.parts_sent != index:
        raise OutboxConflict(
            f"part {index + 1} of delivery {delivery_id} cannot be recorded: {row.parts_sent} of its "
            f"{len(row.parts)} parts are recorded as sent (another process sent it meanwhile)"
        )
    return row


def _held_elsewhere(row: Row[Any], owner: str | None, now: datetime, is_gone: Callable[[str], bool]) -> bool:
    """Whether a live owner other than ``owner`` (any, for None) holds an unexpired claim on the delivery."""
    held = row.claimed_by not in (None, owner) and row.claimed_until is not None and row.claimed_until > now
    return held and not is_gone(row.claimed_by)


def _mark_delivered(connection: Connection, delivery: Row[Any], at: datetime) -> None:
    """Record that the matches the delivery carries reached its (output, destination); a match already recorded there
    (by an earlier delivery) keeps its record."""
    there = (
        (match_deliveries_table.c.output == delivery.output)
        & (match_deliveries_table.c.destination == delivery.destination)
        & (match_deliveries_table.c.alert == (delivery.kind == "alert"))
    )
    already = select(match_deliveries_table.c.match_id).where(there)
    new = connection.scalars(
        select(delivery_matches_table.c.match_id)
        .where(delivery_matches_table.c.delivery_id == delivery.id, delivery_matches_table.c.match_id.not_in(already))
        .order_by(delivery_matches_table.c.match_id)
    ).all()
    if new:
        connection.execute(
            insert(match_deliveries_table),
            [
                {
                    "match_id": match_id,
                    "output": delivery.output,
                    "destination": delivery.destination,
                    "delivered_at": at,
                    "alert": delivery.kind == "alert",
                }
                for match_id in new
            ],
        )


def _update_delivery(connection: Connection, delivery_id: int, **values: Any) -> DeliveryRecord:
    connection.execute(update(deliveries_table).where(deliveries_table.c.id == delivery_id).values(values))
    return _delivery_record(connection, delivery_id)


def _delivery_record(connection: Connection, delivery_id: int) -> DeliveryRecord:
    [record] = _delivery_records(connection, deliveries_table.c.id == delivery_id)
    return record


def _delivery_records(connection: Connection, condition: ColumnElement[bool]) -> list[DeliveryRecord]:
    """The deliveries meeting ``condition``, oldest first, each with the matches it carries."""
    deliveries = select(deliveries_table).where(condition).order_by(deliveries_table.c.id)
    carried = (
        select(delivery_matches_table.c.delivery_id, delivery_matches_table.c.match_id)
        .where(delivery_matches_table.c.delivery_id.in_(select(deliveries_table.c.id).where(condition)))
        .order_by(delivery_matches_table.c.match_id)
    )
    return [_delivery_from_row(row, match_ids) for row, match_ids in rows_with_values(connection, deliveries, carried)]


def _delivery_from_row(row: Row[Any], match_ids: Sequence[int]) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id,
        key=row.key,
        output=row.output,
        destination=row.destination,
        kind=row.kind,
        parts=tuple(row.parts),
        parts_sent=row.parts_sent,
        receipts=tuple(row.receipts),
        match_ids=tuple(match_ids),
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
