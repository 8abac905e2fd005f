"""The per-host gate: how many requests may be in flight to one host and overall, and the gap between their starts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class _HostLane:
    """Per-host state: how many requests may be in flight, and when the last one started."""

    def __init__(self, per_host: int) -> None:
        self.slots = threading.BoundedSemaphore(per_host)
        self.starting = threading.Lock()  # held while waiting out the gap, so starts to a host queue up in order
        self.last_start = float("-inf")


class PolitenessGate:
    """At most ``per_host`` requests in flight per host and ``concurrency`` overall; ``gap`` seconds between starts."""

    def __init__(
        self, *, per_host: int, concurrency: int, gap: float, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self._per_host, self._gap, self._clock, self._sleep = per_host, gap, clock, sleep
        self._overall = threading.BoundedSemaphore(concurrency)
        self._lanes: dict[str, _HostLane] = {}
        self._lanes_lock = threading.Lock()

    @contextmanager
    def turn(self, host: str) -> Iterator[None]:
        lane = self._lane(host)
        # host slot first: a thread queueing for a busy host must not hold one of the overall slots meanwhile
        with lane.slots, self._overall:
            self._wait_for_gap(lane)
            yield

    def _lane(self, host: str) -> _HostLane:
        with self._lanes_lock:
            return self._lanes.setdefault(host, _HostLane(self._per_host))

    def _wait_for_gap(self, lane: _HostLane) -> None:
        with lane.starting:
            wait = lane.last_start + self._gap - self._clock()
            if wait > 0:
                self._sleep(wait)
            lane.last_start = self._clock()
