"""The store's own error, for problems a person must fix (an unreachable database, a schema newer than the code)."""


class StoreError(Exception):
    pass


class OutboxConflict(ValueError):
    """A delivery changed under the process sending it: another process took it over, recorded the part, or sent it.
    The sender stops and leaves the delivery to whoever holds it now."""
