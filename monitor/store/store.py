"""The ``Store`` facade: one object whose methods are the store's whole contract with the rest of Beatwatch."""

from __future__ import annotations

from monitor.store.items import ItemsStore
from monitor.store.matches import MatchesStore
from monitor.store.outbox import OutboxStore
from monitor.store.sources import SourcesStore
from monitor.store.turns import TurnsStore


class Store(SourcesStore, ItemsStore, MatchesStore, OutboxStore, TurnsStore):
    """Items, matches, sources' poll state, the delivery outbox and the daemons' turns; safe to share between threads.

    ``Store(url)`` opens the database and upgrades its schema. Every method is one transaction, takes and returns plain
    values or frozen records (never rows), and may raise ``StoreError`` for what a person must fix.
    """
