"""The store: items, matches, sources' poll state and the delivery outbox, in SQLite or PostgreSQL via SQLAlchemy."""

from monitor.store.errors import OutboxConflict, StoreError
from monitor.store.records import FAILED, PENDING, SENT, DeliveryRecord, ItemRecord, MatchRecord, SourceHealth
from monitor.store.store import Store

__all__ = [
    "FAILED",
    "PENDING",
    "SENT",
    "DeliveryRecord",
    "ItemRecord",
    "MatchRecord",
    "OutboxConflict",
    "SourceHealth",
    "Store",
    "StoreError",
]
