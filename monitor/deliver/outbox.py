"""The outbox: every delivery is written down before it is sent, sent part by part, and marked as each part goes.

A delivery is one digest or alert for one (output, destination). Its idempotency key comes from the output, the
destination, the kind and the set of matches (plus the digest window for an empty "nothing new" post), so queueing the
same thing twice yields one delivery. Retry state lives in the store, so a restart carries on where the last process
stopped. The only window for a duplicate is a crash between a service accepting a part and the store recording it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import socket
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.clock import Clock, utc_now
from monitor.deliver.base import DeliveryError, Output, Part
from monitor.store.records import PENDING

log = logging.getLogger("monitor.deliver")

# The daemon flushes from several jobs (digest, urgent alerts after a poll, the retry timer); two flushes at once would
# both send a delivery that is due. Re-entrant, so a flush that triggers another in its own thread does not deadlock.
_ONE_FLUSH_AT_A_TIME = threading.RLock()


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)

    def next_attempt(
        self, attempts: int, now: datetime, retry_after: float | None, jitter: Callable[[], float] = random.random
    ) -> datetime | None:
        """When to try again after ``attempts`` failed tries, or None when it is time to give up."""
        if attempts >= self.max_attempts:
            return None
        backoff = min(self.first_delay * 2 ** (attempts - 1), self.max_delay)
        delay = max(backoff * (1 + 0.25 * jitter()), timedelta(seconds=retry_after or 0))
        return now + delay


@dataclass(frozen=True)
class SendResult:
    delivery_id: int
    output: str
    destination: str
    sent: bool
    error: str | None = None
    config_problem: bool = False
    kind: str = "digest"
    elsewhere: bool = False  # another Beatwatch process was sending it: not a failure, nothing to do here


# How long a process may hold a delivery between parts before another may take it over (a killed process on another
# machine cannot be checked; on this machine a dead owner is noticed at once).
CLAIM_LEASE = timedelta(minutes=10)


def process_owner() -> str:
    """This process as an outbox owner: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_gone(owner: str) -> bool:
    """Whether the process that claimed a delivery has ended; only knowable for processes on this host."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def delivery_key(output: str, destination: str, kind: str, match_ids: Sequence[int], window: str = "") -> str:
    ids = ",".join(str(i) for i in sorted(set(match_ids)))
    return hashlib.sha256(f"{output}\n{destination}\n{kind}\n{ids}\n{window}".encode()).hexdigest()


class Outbox:
    def __init__(
        self,
        store,
        outputs: Mapping[str, Output],
        *,
        clock: Clock = utc_now,
        policy: RetryPolicy = RetryPolicy(),
        on_give_up: Callable[[SendResult], None] | None = None,
    ) -> None:
        self.store, self.outputs, self.clock, self.policy = store, outputs, clock, policy
        self.on_give_up = on_give_up
        self.owner = process_owner()

    def enqueue(
        self, output: str, destination: str, kind: str, parts: Sequence[Part], match_ids: Sequence[int], window: str = ""
    ):
        key = delivery_key(output, destination, kind, match_ids, window)
        return self.store.enqueue(
            key=key,
            output=output,
            destination=destination,
            kind=kind,
            parts=list(parts),
            match_ids=list(match_ids),
            at=self.clock(),
        )

    def flush(self, kinds: Collection[str] | None = None) -> list[SendResult]:
        """Send every delivery that is due, oldest first; one failing destination never stops the others.

        Deliveries of one kind to one (output, destination) go in the order they were queued: one that failed, or waits
        for its retry, holds back the later ones, so a digest never overtakes an earlier one that Slack has not shown
        yet. Deliveries queued while flushing (the admin notice that another delivery was given up) go out too; each
        delivery is tried at most once per flush, so a zero retry delay cannot loop. One flush at a time per process.
        ``kinds`` limits the flush to deliveries of those kinds ("digest", "alert", "notice").
        """
        results: list[SendResult] = []
        tried: set[int] = set()
        with _ONE_FLUSH_AT_A_TIME:
            while batch := self._next_in_order(tried, kinds):
                for delivery in batch:
                    tried.add(delivery.id)
                    results.append(self._send(delivery))
                    if not results[-1].sent:
                        break  # its lane now waits behind it: look again
        return results

    def _next_in_order(self, tried: set[int], kinds: Collection[str] | None) -> list:
        """Per lane (output, destination, kind) the due deliveries at its head that this flush has not tried yet, up to
        the first one that is not due (or was tried and is still pending); lanes one after the other."""
        due = {delivery.id for delivery in self.store.due_deliveries(now=self.clock())} - tried
        lanes: dict[tuple[str, str, str], list] = {}
        for delivery in self.store.deliveries(states=[PENDING]):
            if kinds is not None and delivery.kind not in kinds:
                continue
            lanes.setdefault((delivery.output, delivery.destination, delivery.kind), []).append(delivery)
        batch = []
        for queue in lanes.values():
            for delivery in queue:
                if delivery.id not in due:
                    break
                batch.append(delivery)
        return batch

    def _send(self, delivery) -> SendResult:
        output = self.outputs.get(delivery.output)
        if output is None:
            return self._fail(delivery, f"output {delivery.output!r} is no longer configured", retry_after=None,
                              retryable=True, config_problem=True)
        receipts = list(delivery.receipts)
        try:
            for part in delivery.parts[delivery.parts_sent :]:
                if not self._claim(delivery):
                    log.info("%s #%d is being sent by another Beatwatch process", delivery.kind, delivery.id)
                    return SendResult(delivery.id, delivery.output, delivery.destination, False, kind=delivery.kind,
                                      elsewhere=True)
                receipt = output.send(delivery.destination, part, receipts)
                self.store.record_part_sent(delivery.id, receipt=receipt, at=self.clock())
                receipts.append(receipt)
        except DeliveryError as error:
            return self._fail(delivery, error.reason, retry_after=error.retry_after, retryable=error.retryable,
                              config_problem=error.config_problem)
        except Exception as error:  # an output's bug must cost one attempt with backoff, not stall the outbox
            log.exception("%s failed unexpectedly sending #%d", delivery.output, delivery.id)
            return self._fail(delivery, f"unexpected error ({type(error).__name__}: {error})", retry_after=None,
                              retryable=True, config_problem=False)
        log.info("delivered %s #%d to %s %s", delivery.kind, delivery.id, delivery.output, delivery.destination)
        return SendResult(delivery.id, delivery.output, delivery.destination, sent=True, kind=delivery.kind)

    def _claim(self, delivery) -> bool:
        now = self.clock()
        return self.store.claim(delivery.id, owner=self.owner, now=now, until=now + CLAIM_LEASE, is_gone=owner_is_gone)

    def _fail(self, delivery, reason: str, *, retry_after, retryable: bool, config_problem: bool) -> SendResult:
        now = self.clock()
        attempts = delivery.attempts + 1
        next_attempt = self.policy.next_attempt(attempts, now, retry_after) if retryable else None
        self.store.record_failure(delivery.id, at=now, error=reason, next_attempt_at=next_attempt)
        result = SendResult(delivery.id, delivery.output, delivery.destination, False, reason, config_problem,
                            delivery.kind)
        if next_attempt is None:
            log.error(
                "gave up on %s #%d to %s %s after %d attempt(s): %s; fix the cause, then run `monitor outbox retry %d`",
                delivery.kind, delivery.id, delivery.output, delivery.destination, attempts, reason, delivery.id,
            )
            if self.on_give_up:
                self.on_give_up(result)
        else:
            log.warning(
                "could not deliver %s #%d to %s %s (attempt %d): %s; next try at %s",
                delivery.kind, delivery.id, delivery.output, delivery.destination, attempts, reason,
                next_attempt.isoformat(timespec="seconds"),
            )
        return result
