"""Reload the configuration while the daemon runs, keeping the last good version when an edit is broken."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from monitor.config.errors import ConfigErrors
from monitor.config.loader import Check, Config, fingerprint, load_config, load_contents, read_contents

log = logging.getLogger("monitor.config")


class ConfigWatcher:
    """Holds the last good ``Config`` of a directory and swaps in a new one when the files change and are valid.

    Construction loads the configuration and raises ``ConfigErrors`` if it is invalid (the daemon refuses to start).
    ``refresh()`` is cheap when nothing changed: the three small files are read and hashed, and parsed only when the
    hash differs. Hashing rather than trusting mtimes catches edits within one timestamp tick and Kubernetes ConfigMap
    symlink swaps. Safe to call from several threads.
    """

    def __init__(
        self,
        directory: Path | str,
        checks: Sequence[Check] = (),
        on_error: Callable[[ConfigErrors], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self._checks = tuple(checks)
        self.on_error = on_error
        self._lock = threading.Lock()
        self.current: Config = load_config(self.directory, self._checks)
        self._rejected_version: str | None = None  # the broken version last reported, so it is reported once

    def refresh(self) -> bool:
        """Re-read the files; True when a changed, valid configuration replaced ``current``.

        A changed but invalid configuration keeps ``current``: each problem is logged at WARNING and ``on_error`` is
        called with all of them, once per distinct broken version rather than on every refresh.
        """
        with self._lock:
            try:
                contents = read_contents(self.directory)
            except ConfigErrors as errors:
                self._reject(str(errors), errors)
                return False
            version = fingerprint(contents)
            if version == self.current.fingerprint:
                self._rejected_version = None  # back to the running version: breaking it again is news again
                return False
            if version == self._rejected_version:
                return False
            try:
                self.current = load_contents(self.directory, contents, self._checks)
            except ConfigErrors as errors:
                self._reject(version, errors)
                return False
            self._rejected_version = None
            return True

    def _reject(self, version: str, errors: ConfigErrors) -> None:
        if version == self._rejected_version:
            return
        self._rejected_version = version
        for error in errors.errors:
            log.warning("%s (keeping the last good configuration)", error)
        if self.on_error is not None:
            self.on_error(errors)
