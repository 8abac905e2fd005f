"""The store: items, matches, sources' poll state and the delivery outbox, in SQLite or PostgreSQL via SQLAlchemy.

It is the only code that speaks SQL. Callers use one object, ``Store``, whose public methods are the contract; it is
composed of one part per domain, each a class over the same database (``StoreBase``):

- ``engine``: opening the database, SQLite's settings, and the read and write transactions (``BEGIN IMMEDIATE``)
  every method runs in;
- ``sources``: each source's checkpoint, health and wait before its next poll;
- ``items``: stories under every key they are known by, their text, and pages waiting to be fetched again;
- ``matches``: what the items matched, with where each match has been delivered;
- ``outbox``: deliveries, from queued to sent or given up, and which matches each one carries;
- ``turns``: the daemons working on the database, and which of them polls each source;
- ``schema``: the tables and the ordered upgrade steps; ``records``: the frozen values handed out.

A new method goes into the part of its domain; a query that joins two domains goes where its result belongs.
"""

from monitor.store.errors import OutboxConflict, StoreError
from monitor.store.items import NewItem
from monitor.store.records import (
    FAILED,
    PENDING,
    SENT,
    DeliveryRecord,
    ItemRecord,
    MatchRecord,
    SourceHealth,
    SourceWait,
    WaitReason,
)
from monitor.store.sources import PollEnd
from monitor.store.store import Store
from monitor.store.turns import Replica

__all__ = [
    "FAILED",
    "PENDING",
    "SENT",
    "DeliveryRecord",
    "ItemRecord",
    "MatchRecord",
    "NewItem",
    "OutboxConflict",
    "PollEnd",
    "Replica",
    "SourceHealth",
    "SourceWait",
    "Store",
    "StoreError",
    "WaitReason",
]
