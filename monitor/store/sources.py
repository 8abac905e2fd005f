"""Sources: each one's checkpoint (what the next poll goes on from), its health (how its polls went) and its wait
(when it may be polled next)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from monitor.store.engine import StoreBase
from monitor.store.records import SourceHealth, SourceWait, WaitReason
from monitor.store.schema import items_table, sources_table


class Checkpoint(Protocol):
    """What a source goes on from at its next look, as it writes itself down: one JSON document. The store keeps the
    document and hands it back as it is; reading it is the source's business."""

    def document(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class PollEnd:
    """How one poll of a source ended, as ``SourcesStore.finish_poll`` records it."""

    source_id: str
    at: datetime
    checkpoint: Checkpoint | None
    error: str | None
    new_items: int
    new_matches: int
    seconds: float
    page_error: str | None = None
    wait: SourceWait | None = None


class SourcesStore(StoreBase):
    def source_state(self, source_id: str) -> dict[str, Any]:
        """The document of the checkpoint the last successful poll of ``source_id`` saved (empty before the first)."""
        with self._reading() as connection:
            state = connection.scalar(select(sources_table.c.state).where(sources_table.c.source_id == source_id))
        return dict(state or {})

    def finish_poll(
        self,
        source_id: str,
        *,
        at: datetime,
        checkpoint: Checkpoint | None,
        error: str | None,
        new_items: int,
        new_matches: int,
        seconds: float,
        page_error: str | None = None,
        wait: SourceWait | None = None,
    ) -> None:
        """Record the end of a poll. Success replaces the checkpoint (None keeps it) and clears the error; failure keeps
        the checkpoint, so the next poll retries from where the last good one left off. ``page_error`` is the last
        story page the poll could not fetch; it is kept until another takes its place. ``wait`` replaces the source's
        wait before its next poll (None: its next poll is on its interval)."""
        end = PollEnd(source_id, at, checkpoint, error, new_items, new_matches, seconds, page_error, wait)
        self.finish_polls([end])

    def finish_polls(self, ends: Sequence[PollEnd]) -> None:
        """Record the ends of several polls, as ``finish_poll`` does each one, in one transaction and in their order."""
        if not ends:
            return
        with self._writing(durable=False) as connection:  # poll state, as the items it goes with
            for end in ends:
                _record_end(connection, end)

    def source_health(self, *source_ids: str) -> list[SourceHealth]:
        """Every source ever polled (or those of ``source_ids``), by id, with how many of its story pages wait to be
        fetched again and its checkpoint."""
        with self._reading() as connection:
            if source_ids:
                rows = connection.execute(_HEALTH_OF, {"source_ids": list(source_ids)}).all()
            else:
                rows = connection.execute(_HEALTH).all()
        return [_source_health(row) for row in rows]


# Built once: every poll of every source runs them, and building a statement costs more than SQLite running it.
_PAGES_WAITING = (
    select(func.count())
    .where(items_table.c.source_id == sources_table.c.source_id, items_table.c.page_retry_at.is_not(None))
    .scalar_subquery()
)
_HEALTH = select(sources_table, _PAGES_WAITING.label("pages_waiting")).order_by(sources_table.c.source_id)
_HEALTH_OF = _HEALTH.where(sources_table.c.source_id.in_(bindparam("source_ids", expanding=True)))
# The end of a poll: the values set are the parameters it is run with, but for a failure, which is counted in the
# database, so two processes that both fail count two failures.
_SUCCESS = update(sources_table).where(sources_table.c.source_id == bindparam("polled_source"))
_FAILURE = _SUCCESS.values(consecutive_failures=sources_table.c.consecutive_failures + 1)


def _record_end(connection: Connection, end: PollEnd) -> None:
    values: dict[str, Any] = {
        "last_polled_at": end.at,
        "last_new_items": end.new_items,
        "last_new_matches": end.new_matches,
        "last_seconds": end.seconds,
        "wait_reason": end.wait.reason.value if end.wait else None,
        "wait_until": end.wait.until if end.wait else None,
        "wait_entry": end.wait.entry if end.wait else None,
    }
    if end.page_error is not None:
        values |= {"last_page_error": end.page_error, "last_page_error_at": end.at}
    if end.error is None:
        values |= {"polled_once": True, "last_success_at": end.at, "last_error": None, "consecutive_failures": 0}
        if end.checkpoint is not None:
            values["state"] = dict(end.checkpoint.document())
    else:
        values["last_error"] = end.error
    finished = _SUCCESS if end.error is None else _FAILURE
    if connection.execute(finished, {"polled_source": end.source_id, **values}).rowcount == 0:
        first = values | {"consecutive_failures": 0 if end.error is None else 1}
        connection.execute(insert(sources_table).values(_new_source_row(end.source_id) | first))


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


def _source_health(row: Row[Any]) -> SourceHealth:
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
        wait=SourceWait(WaitReason(row.wait_reason), row.wait_until, row.wait_entry) if row.wait_reason else None,
        checkpoint=dict(row.state),
    )
