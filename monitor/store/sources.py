"""Sources: each one's checkpoint (what the next poll goes on from), its health (how its polls went) and its wait
(when it may be polled next)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row, func, insert, select, update

from monitor.store.engine import StoreBase
from monitor.store.records import SourceHealth, SourceWait, WaitReason
from monitor.store.schema import items_table, sources_table


class Checkpoint(Protocol):
    """What a source goes on from at its next look, as it writes itself down: one JSON document. The store keeps the
    document and hands it back as it is; reading it is the source's business."""

    def document(self) -> Mapping[str, Any]: ...


class SourcesStore(StoreBase):
    def source_state(self, source_id: str) -> dict[str, Any]:
        """The document of the checkpoint the last successful poll of ``source_id`` saved (empty before the first)."""
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
        values: dict[str, Any] = {
            "last_polled_at": at,
            "last_new_items": new_items,
            "last_new_matches": new_matches,
            "last_seconds": seconds,
            "wait_reason": wait.reason.value if wait else None,
            "wait_until": wait.until if wait else None,
            "wait_entry": wait.entry if wait else None,
        }
        if page_error is not None:
            values |= {"last_page_error": page_error, "last_page_error_at": at}
        if error is None:
            values |= {"polled_once": True, "last_success_at": at, "last_error": None, "consecutive_failures": 0}
            if checkpoint is not None:
                values["state"] = dict(checkpoint.document())
        else:
            values["last_error"] = error
        with self._writing(durable=False) as connection:  # poll state, as the items it goes with
            failures = connection.scalar(
                select(sources_table.c.consecutive_failures).where(sources_table.c.source_id == source_id)
            )
            if error is not None:
                values["consecutive_failures"] = (failures or 0) + 1
            if failures is None:
                connection.execute(insert(sources_table).values(_new_source_row(source_id) | values))
            else:
                connection.execute(update(sources_table).where(sources_table.c.source_id == source_id).values(values))

    def source_health(self, *source_ids: str) -> list[SourceHealth]:
        """Every source ever polled (or those of ``source_ids``), by id, with how many of its story pages wait to be
        fetched again."""
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
        if source_ids:
            query = query.where(sources_table.c.source_id.in_(source_ids))
        with self._reading() as connection:
            rows = connection.execute(query).all()
        return [_source_health(row) for row in rows]


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
    )
