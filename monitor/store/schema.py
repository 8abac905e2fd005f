"""The tables, and the column types that keep SQLite and PostgreSQL alike. The upgrade steps are in ``migrations``."""

from __future__ import annotations

import json
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
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from monitor.items import CouncilReference


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

# PostgreSQL advisory locks taken by Beatwatch are keyed (ADVISORY_LOCK_CLASS, n): n = 0 while the schema is upgraded,
# -1 while matches are chosen for deliveries (store/outbox.py), a replica's id while that daemon lives (store/turns.py).
# The first key spells "bwtc".
ADVISORY_LOCK_CLASS = 0x62777463
SCHEMA_UPGRADE_LOCK = 0
CHOOSING_MATCHES_LOCK = -1

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
# A source's waiting pages, found by source: how many there are (its health) and which are due (each poll of it).
waiting_pages_index = Index("ix_items_source_page_retry_at", items_table.c.source_id, items_table.c.page_retry_at)
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

# The daemons (`monitor run`) that work on this database, one row each from its start. Which of them are alive is not
# kept here: on PostgreSQL each holds an advisory lock on its id for as long as its connection lasts (store/turns.py).
replicas_table = Table(
    "replicas",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),  # host:pid, for people reading the table
    Column("started_at", UTCDateTime, nullable=False),
)

# Which daemon polls each source: the one that took its last turn keeps it while it lives (or until it hands it on),
# and a poll in flight is never started by another.
poll_turns_table = Table(
    "poll_turns",
    metadata,
    Column("source_id", String, primary_key=True),
    Column("replica_id", Integer),  # None: free for the next daemon whose turn comes
    Column("polling", Boolean, nullable=False),
    Column("turn_at", UTCDateTime),  # when the last poll started, or ended once it has
)
