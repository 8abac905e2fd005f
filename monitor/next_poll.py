"""When a source is polled next: the waits its server asks for, and the one Beatwatch keeps itself.

- **Floor.** A feed answer that says how long it stays fresh (Cache-Control ``max-age``, or ``Expires``; less its
  ``Age``) is not asked for again before then, but never waits more than FLOOR_TURNS times the source's interval.
- **Retry-After.** A 429 or 503 with a Retry-After (seconds or a date) holds that source, and only it, until then,
  RETRY_AFTER_CAP at most.
- **Back-off.** After the second failure in a row the source waits 2 intervals, after the third 4, then 8 and so on,
  BACKOFF_CAP at most (or its own interval, when that is longer); a poll that works ends the back-off.
- **Gone.** A ``410 Gone`` for the source's own address stops its polls until its entry in sources.yaml changes.

Every wait belongs to the version of the source's entry it was made under: editing the entry ends it. The daemon's jobs
keep their intervals; a poll that is not due yet makes no request and says why (``monitor.poll``). A person who names
a source (`monitor poll --source ID`) polls it past a floor, a back-off and a 410, but never before a Retry-After.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from monitor.fetch import FetchError
from monitor.retry_after import seconds_to_wait
from monitor.sources import SourceConfig
from monitor.store import SourceHealth, SourceWait, WaitReason

FLOOR_TURNS = 4
RETRY_AFTER_CAP = timedelta(days=1)
BACKOFF_CAP = timedelta(hours=6)
_RETRY_AFTER_STATUSES = (429, 503)


@dataclass(frozen=True)
class Turn:
    """A source's turn to be polled: ``postponed`` says why it is not polled now (None: it is polled), ``overridden``
    which wait a person went past by naming it; the rest is what the outcome of the poll is weighed against."""

    url: str
    entry: str  # the fingerprint of its entry in sources.yaml
    every: timedelta
    started: datetime
    failures: int  # failed polls in a row before this one
    was_gone: bool
    postponed: str | None = None
    overridden: str | None = None

    def wait_after(self, failure: Exception | None, fresh_for: timedelta | None, *, now: datetime) -> SourceWait | None:
        """The wait before the next poll, given how this one ended (``failure`` None: it worked), at ``now``."""
        if failure is None:
            floor = min(fresh_for, FLOOR_TURNS * self.every) if fresh_for else None
            return SourceWait(WaitReason.FRESH, now + floor, self.entry) if floor else None
        if isinstance(failure, FetchError) and failure.status == 410 and failure.url == self.url:
            return SourceWait(WaitReason.GONE, None, self.entry)
        waits = [wait for wait in (self._back_off(), self._retry_after(failure, now)) if wait is not None]
        return max(waits, key=lambda wait: wait.until or now, default=None)

    def _back_off(self) -> SourceWait | None:
        failures = self.failures + 1
        if failures < 2:
            return None
        cap = max(BACKOFF_CAP, self.every)
        turns = 2 ** min(failures - 1, 32)  # the exponent is bounded: the cap is reached long before
        return SourceWait(WaitReason.BACKING_OFF, self.started + min(self.every * turns, cap), self.entry)

    def _retry_after(self, failure: Exception, now: datetime) -> SourceWait | None:
        if not isinstance(failure, FetchError) or failure.status not in _RETRY_AFTER_STATUSES:
            return None
        seconds = seconds_to_wait(failure.retry_after_header, now=now)
        if not seconds:
            return None
        return SourceWait(WaitReason.RETRY_AFTER, now + min(timedelta(seconds=seconds), RETRY_AFTER_CAP), self.entry)


def take_turn(
    source: SourceConfig,
    health: SourceHealth | None,
    *,
    every: timedelta,
    now: datetime,
    named: bool,
    zone: tzinfo,
) -> Turn:
    """Whether ``source`` (whose health is ``health``, None before its first poll) is polled ``now``; ``named``: a
    person named it."""
    wait = current_wait(source, health)
    turn = Turn(
        source.url,
        entry_fingerprint(source),
        every,
        now,
        failures=health.consecutive_failures if health else 0,
        was_gone=wait is not None and wait.reason is WaitReason.GONE,
    )
    if health is None or wait is None or _due(wait, now=now, every=every):
        return turn
    why = describe_wait(health, now=now, zone=zone)
    if named and wait.reason is not WaitReason.RETRY_AFTER:
        return replace(turn, overridden=why)
    return replace(turn, postponed=why)


def current_wait(source: SourceConfig, health: SourceHealth | None) -> SourceWait | None:
    """The wait ``source`` is under, unless its entry in sources.yaml has changed since, which ends it."""
    wait = health.wait if health else None
    return wait if wait is not None and wait.entry == entry_fingerprint(source) else None


def _due(wait: SourceWait, *, now: datetime, every: timedelta) -> bool:
    if wait.until is None:
        return False
    if wait.reason is WaitReason.BACKING_OFF:
        # The daemon's turns come every interval, give or take their jitter: half an interval's slack lets the turn the
        # back-off counts on poll, and none before it.
        return now >= wait.until - every / 2
    return now >= wait.until


def entry_fingerprint(source: SourceConfig) -> str:
    """What identifies this version of the source's entry: the keys written in sources.yaml and their values."""
    return hashlib.sha256(source.model_dump_json(exclude_unset=True).encode()).hexdigest()[:16]


def describe_wait(health: SourceHealth, *, now: datetime, zone: tzinfo) -> str:
    """The source's stored wait, for `monitor status`; "" when it is polled on its interval."""
    if health.wait is None:
        return ""
    failures, polled_at = health.consecutive_failures, health.last_polled_at
    return wait_text(health.wait, health.source_id, polled_at=polled_at, failures=failures, now=now, zone=zone)


def wait_text(
    wait: SourceWait, source_id: str, *, polled_at: datetime | None, failures: int, now: datetime, zone: tzinfo
) -> str:
    """What ``wait`` means for the source ``source_id``, last polled at ``polled_at`` after ``failures`` failed polls
    in a row: for `monitor status`, and for the poll table as a poll ends (without reading back what it stored)."""
    if wait.reason is WaitReason.GONE:
        when = f" at {_time(polled_at, now, zone)}" if polled_at else ""
        return (
            f"stopped: its server said{when} that it is gone for good (410 Gone); change its entry in sources.yaml, "
            f"or name it (monitor poll --source {source_id}) to try it again"
        )
    until = _time(wait.until, now, zone) if wait.until else "?"
    if wait.reason is WaitReason.RETRY_AFTER:
        return f"waiting for the server's Retry-After until {until}"
    if wait.reason is WaitReason.BACKING_OFF:
        return f"next poll at {until}: backing off after {failures} failures in a row"
    return f"next poll at {until}: the server said the feed stays the same until then"


def _time(moment: datetime, now: datetime, zone: tzinfo) -> str:
    """``14:20`` today, ``Fri 27 Nov 14:20`` on another day, in ``zone``."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M}" if local.date() == now.astimezone(zone).date() else f"{local:%a %d %b %H:%M}"


__all__ = [
    "BACKOFF_CAP",
    "FLOOR_TURNS",
    "RETRY_AFTER_CAP",
    "Turn",
    "current_wait",
    "describe_wait",
    "entry_fingerprint",
    "take_turn",
    "wait_text",
]
