"""What every command does first: read the configuration, set up the log, open the store; and how a failure to start
is reported: one line saying what happened and what to do, exit 2, the traceback in the log at debug level only."""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from monitor.observe import logs

if TYPE_CHECKING:  # imported where used, so `monitor --help` does not load the whole application
    from monitor.app import App
    from monitor.config import Config, ConfigErrors
    from monitor.observe.server import StatusServer
    from monitor.observe.settings import HttpSettings
    from monitor.scheduler import Daemon
    from monitor.store import Store

EXIT_CONFIG = 2
log = logging.getLogger("monitor")
# A poll of at least this many sources starts the readers' server at once: see start_readers_early.
READERS_AT_ONCE_FROM = 4
# The garbage collector's thresholds while a command starts (see garbage_collection), and as Python sets them.
_STARTING_THRESHOLDS = (100_000, 50, 100)
_USUAL_THRESHOLDS = gc.get_threshold()


@contextmanager
def garbage_collection() -> Iterator[None]:
    """The garbage collector's part in a command's life. Nearly every object a command makes while it starts (modules,
    classes, models, compiled rules) lives as long as the process, so the collector's passes over them find nothing:
    at Python's thresholds, some 200 of them before a poll's first request (50-80 ms of CPU). They are rare until the
    command opens its store, where its work begins (``Context.store``). At the end, what the command built is frozen:
    the process frees it all as it ends, and the collector's last passes over every object at exit would cost 0.1-0.2 s
    of CPU after a poll. So nothing in a reference cycle is finalised then: a command closes what it opened."""
    gc.set_threshold(*_STARTING_THRESHOLDS)
    try:
        yield
    finally:
        gc.freeze()


class Context:
    """What every command needs: where the configuration and the data live."""

    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.data_dir = Path(os.environ.get("MONITOR_DATA_DIR") or "data")
        self.database_url = os.environ.get("MONITOR_DATABASE_URL") or ""
        self._opened: list[Store] = []

    def load(self) -> Config:
        """The validated configuration, or exit 2 after printing every problem as FILE:LINE:COL."""
        from monitor.config import ConfigErrors, load_config
        from monitor.config_checks import rules_check

        try:
            config = load_config(self.config_dir, checks=[rules_check])
        except ConfigErrors as errors:
            refuse_config(errors, f"{len(errors.errors)} problems in {self.config_dir}; nothing was changed.")
        logs.use_config(config)
        return config

    def store(self) -> Store:
        from monitor.store import Store, StoreError

        try:
            store = Store(self.database_url or Store.default_url(self.data_dir))
        except StoreError as error:
            fail_to_start(str(error))
        self._opened.append(store)
        gc.set_threshold(*_USUAL_THRESHOLDS)  # the command's work begins: see garbage_collection
        return store

    def app(self, config: Config | None = None) -> App:
        from monitor.app import App

        return App(config or self.load(), self.store(), data_dir=self.data_dir)

    def close(self) -> None:
        """Close the stores the command opened (SQLite folds its write-ahead log into the database file as the last
        connection closes), rather than leave them to the end of the process, which no longer finalises what is in a
        reference cycle (see ``garbage_collection``)."""
        for store in self._opened:
            store.close()
        self._opened.clear()


def start_readers_early(sources: int) -> None:
    """Start the server the readers' processes fork from (``monitor.extract.pool``) now, before the store opens, when
    a poll of ``sources`` sources will most likely read a document. Its imports (trafilatura, numpy: more than a second
    of a core) then run on another core while this process opens the store and makes its first requests. A poll of a
    few sources (`--source`, most often one feed, to see it work) may read nothing at all: an unchanged feed answers
    "not modified". Its server starts with the first document that needs reading, if one comes, and costs nothing
    otherwise."""
    if sources >= READERS_AT_ONCE_FROM:
        from monitor.extract import PROCESSES

        PROCESSES.start_readers()


def refuse_config(errors: ConfigErrors, summary: str) -> NoReturn:
    """Print each problem on its line (and ``summary`` when there are several), then exit 2."""
    for error in errors.errors:
        _say(str(error))
    if len(errors.errors) > 1:
        _say(summary)
    sys.exit(EXIT_CONFIG)


def fail_to_start(message: str) -> NoReturn:
    """Say in one line why the command cannot start, and exit 2. Call it while handling the exception, whose traceback
    goes to the log at debug level (``monitor -v``)."""
    log.debug("the traceback of the failure to start", exc_info=True)
    _say(message)
    sys.exit(EXIT_CONFIG)


def _say(line: str) -> None:
    # In a JSON log the line is a log event like any other, so a log platform keeps it.
    if logs.is_json():
        log.error(line)
    else:
        click.echo(line, err=True)


def status_server(config: Config, daemon: Daemon) -> StatusServer | None:
    """The server of /healthz and /metrics, listening, if http.listen (or $MONITOR_HTTP_LISTEN) asks for one; exit 2
    if it cannot listen there."""
    from monitor.observe.server import StatusServer

    address = listen_address(config.monitor.http)
    if address is None:
        return None
    server = StatusServer(address, daemon.health, daemon.metrics.registry)
    try:
        server.start()
    except OSError as error:
        host, port = address
        fail_to_start(
            f"cannot serve /healthz and /metrics on {host}:{port}: {error.strerror}; choose another address in "
            "http.listen (monitor.yaml) or $MONITOR_HTTP_LISTEN"
        )
    return server


def listen_address(settings: HttpSettings) -> tuple[str, int] | None:
    """Where the status server listens (None: nowhere), or exit 2 when the address given cannot be used."""
    try:
        return settings.address()
    except ValueError as error:
        fail_to_start(str(error))
