"""Beatwatch put together: one configuration and one store, composed into the parts that do the work.

- ``poller`` (``monitor.poll``): sources -> items -> store; returns a report per source and sends nothing.
- ``delivery`` (``monitor.deliver.service``): the only code that sends (digests, urgent alerts, admin notices, retries).
- ``rules`` (``monitor.match.tools``): test-rules, replay and stats for people editing keywords.yaml.
- ``views`` (``monitor.views``): what the command line reads and shows.

The command line and the daemon decide when each runs: `monitor poll` polls, then has the delivery service send what the
poll found; the daemon does the same from its jobs. ``App`` only builds the parts, switches them to a new
configuration, and closes them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from threading import Event, Lock
from typing import TextIO

from monitor.clock import Clock, utc_now
from monitor.config import Config
from monitor.deliver import Origin
from monitor.deliver.outputs.kinds import build_outputs
from monitor.deliver.service import DeliveryService, DeliverySetup
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.match import Matcher
from monitor.match.tools import RulesTools
from monitor.poll import Poller, PollReport, PollSetup
from monitor.store import Store
from monitor.views import Views, source_names


class App:
    """Beatwatch's parts over one configuration and one store."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        data_dir: Path = Path("data"),
        clock: Clock = utc_now,
        stop: Event | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.stream = stream or sys.stdout
        self.clock = clock
        self.stop = stop or Event()
        self._queueing = Lock()  # shared by every delivery service of this App: see DeliveryService
        self._fetcher: Fetcher | None = None
        self._fetcher_settings: tuple[FetchSettings, str] | None = None
        setup, self.delivery, self.rules, self.views = self._build(config)
        self.config = config
        self.poller = Poller(store, setup, clock=clock, stop=self.stop)

    def use_config(self, config: Config) -> None:
        """Switch to a new configuration; it takes effect from the next item.

        Everything is built first and then swapped in together, so a poll running in another thread never meets the
        new rules with the old configuration for longer than a few assignments. A digest or a round of sending in
        flight finishes with the delivery service it started with."""
        setup, delivery, rules, views = self._build(config)
        self.poller.use(setup)
        self.config, self.delivery, self.rules, self.views = config, delivery, rules, views

    def _build(self, config: Config) -> tuple[PollSetup, DeliveryService, RulesTools, Views]:
        matcher = Matcher.compile(config.keywords)
        outputs = build_outputs(
            config.monitor.outputs,
            zone=config.monitor.zone,
            data_dir=self.data_dir,
            stream=self.stream,
            origin=Origin.here(config.directory, config.monitor.instance),
        )
        delivery = DeliveryService(
            self.store, outputs, delivery_setup(config), clock=self.clock, stream=self.stream, queueing=self._queueing
        )
        return (
            PollSetup(config, matcher, self._fetcher_for(config)),
            delivery,
            RulesTools(matcher, config.keywords, self.store, clock=self.clock, source_places=_source_places(config)),
            Views(config, self.store, clock=self.clock),
        )

    def poll(
        self,
        source_ids: Sequence[str] = (),
        on_done: Callable[[PollReport], None] | None = None,
        *,
        named: bool = False,
    ) -> list[PollReport]:
        """Poll the sources of ``source_ids`` (all when none are given) that are due, or all of them when a person
        ``named`` them (all but those waiting for a Retry-After): store what is new and report. Sends nothing; what
        the poll found goes out through ``delivery.after_poll(reports)``."""
        return self.poller.poll(source_ids, on_done, named=named)

    def close(self) -> None:
        self.poller.close()
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None

    def _fetcher_for(self, config: Config) -> Fetcher:
        """The HTTP client, kept across configurations whose fetch settings are the same."""
        wanted = (config.monitor.fetch, config.monitor.user_agent)
        if self._fetcher is None or self._fetcher_settings != wanted:
            # A poll running in another thread may still hold the old client; it is left to close when dropped.
            self._fetcher, self._fetcher_settings = Fetcher(*wanted), wanted
        return self._fetcher


def delivery_setup(config: Config) -> DeliverySetup:
    """The delivery service's part of the configuration."""
    monitor = config.monitor
    return DeliverySetup(
        zone=monitor.zone,
        retention=monitor.retention,
        digest=monitor.digest,
        delivery=monitor.delivery,
        routes=tuple(monitor.routes),
        admin=monitor.admin,
        keywords=config.keywords,
        source_names=source_names(config),
    )


def _source_places(config: Config) -> dict[str, tuple[str, ...]]:
    """The place lists each source stands for (its `place:`), by source id."""
    return {source.id: source.places for source in config.sources.sources}


__all__ = ["App", "delivery_setup"]
