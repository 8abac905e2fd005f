"""The store's own error, for problems a person must fix (an unreachable database, a schema newer than the code)."""


class StoreError(Exception):
    pass
