"""The outbox: every delivery is written down before it is sent, sent part by part, and marked as each part goes.

A delivery is one digest or alert for one (output, destination). Its idempotency key comes from the output, the
destination, the kind and the set of matches (plus the digest window for an empty "nothing new" post), so queueing the
same thing twice yields one delivery. Retry state lives in the store, so a restart carries on where the last process
stopped.

Exactly once per part, across processes: a sender claims the delivery before each part and goes on from the record the
claim returns; it marks the part "in flight" before handing it over and records it (by index, refused if another
process recorded it first) once the service answers. A part still in flight when the next attempt starts (a timeout, a
dropped connection, a killed process) is looked for at the service first, by the key the message carries; only outputs
whose service cannot be asked (email, Slack webhooks) send it again blind.
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
from monitor.store import OutboxConflict, Store
from monitor.store.records import PENDING, SENT, DeliveryRecord

log = logging.getLogger("monitor.deliver")

# The daemon flushes from several jobs (digest, urgent alerts after a poll, the retry timer); two flushes at once would
# both send a delivery that is due. Re-entrant: the tests play two processes in one thread, one outbox flushing from
# inside the other's send.
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
    gave_up: bool = False  # no attempt is left: the delivery is marked failed until `monitor outbox retry`


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


def part_key(key: str, index: int) -> str:
    """The idempotency key a part's message carries: the same on every attempt, unique to this part of this delivery."""
    return f"beatwatch-{key[:32]}-{index + 1}"


class Outbox:
    def __init__(
        self,
        store: Store,
        outputs: Mapping[str, Output],
        *,
        clock: Clock = utc_now,
        policy: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.store, self.outputs, self.clock, self.policy = store, outputs, clock, policy
        self.owner = process_owner()

    def enqueue(
        self,
        output: str,
        destination: str,
        kind: str,
        parts: Sequence[Part],
        match_ids: Sequence[int],
        window: str = "",
    ) -> DeliveryRecord:
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
        yet. Each delivery is tried at most once per flush, so a zero retry delay cannot loop. One flush at a time per
        process. ``kinds`` limits the flush to deliveries of those kinds ("digest", "alert", "notice"). A delivery
        given up is in the results (``gave_up``), for the caller to tell someone.
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

    def _next_in_order(self, tried: set[int], kinds: Collection[str] | None) -> list[DeliveryRecord]:
        """Per lane (output, destination, kind) the due deliveries at its head that this flush has not tried yet, up to
        the first one that is not due (or was tried and is still pending); lanes one after the other."""
        due = {delivery.id for delivery in self.store.due_deliveries(now=self.clock())} - tried
        lanes: dict[tuple[str, str, str], list[DeliveryRecord]] = {}
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

    def _send(self, queued: DeliveryRecord) -> SendResult:
        """Send a delivery from where the store says it stands, claiming it again before every part."""
        delivery = self._claim(queued.id)
        if delivery is None:
            return self._elsewhere(queued)
        output = self.outputs.get(delivery.output)
        try:
            if output is None:
                raise DeliveryError(
                    delivery.output,
                    delivery.destination,
                    f"output {delivery.output!r} is no longer configured",
                    retryable=True,
                    config_problem=True,
                )
            while (delivery := self._send_next_part(output, delivery)).state != SENT:
                if (claimed := self._claim(delivery.id)) is None:
                    return self._elsewhere(queued)
                delivery = claimed
        except OutboxConflict as conflict:
            log.info("%s #%d was taken over by another Beatwatch process: %s", queued.kind, queued.id, conflict)
            return self._elsewhere(queued)
        except DeliveryError as error:
            return self._fail(delivery, error)
        except Exception:  # an output's bug must cost one attempt with backoff, not stall the outbox
            log.exception("%s failed unexpectedly sending #%d", delivery.output, delivery.id)
            return self._fail(
                delivery,
                DeliveryError(
                    delivery.output,
                    delivery.destination,
                    "an unexpected problem while sending; the details are in the log",
                    retryable=True,
                    outcome_unknown=True,
                ),
            )
        log.info("delivered %s #%d to %s %s", delivery.kind, delivery.id, delivery.output, delivery.destination)
        return SendResult(delivery.id, delivery.output, delivery.destination, sent=True, kind=delivery.kind)

    def _send_next_part(self, output: Output, delivery: DeliveryRecord) -> DeliveryRecord:
        """Send (or find) the delivery's next part and record it; returns the delivery as the store has it then."""
        index = delivery.parts_sent
        key, receipts = part_key(delivery.key, index), list(delivery.receipts)
        where = f"part {index + 1} of {delivery.kind} #{delivery.id} to {delivery.output} {delivery.destination}"
        if delivery.part_in_flight_since is not None:
            try:
                found = output.look_up(delivery.destination, key, receipts, since=delivery.part_in_flight_since)
            except DeliveryError as error:
                error.outcome_unknown = True  # the look-up failed, so the part's fate is as unknown as before
                raise
            if found.found:
                log.info("%s had arrived although the attempt to send it failed; recorded, not sent again", where)
                return self.store.record_part_sent(delivery.id, index=index, receipt=found.receipt, at=self.clock())
            if found.asked:
                log.info("%s did not arrive on the last attempt; sending it now", where)
            else:
                log.warning(
                    "%s may have arrived on the last attempt, and %s cannot be asked; sending it again",
                    where,
                    delivery.output,
                )
        self.store.mark_part_in_flight(delivery.id, index=index, owner=self.owner, at=self.clock())
        receipt = output.send(delivery.destination, delivery.parts[index], receipts, key=key)
        return self.store.record_part_sent(delivery.id, index=index, receipt=receipt, at=self.clock())

    def _claim(self, delivery_id: int) -> DeliveryRecord | None:
        now = self.clock()
        return self.store.claim(delivery_id, owner=self.owner, now=now, until=now + CLAIM_LEASE, is_gone=owner_is_gone)

    def _elsewhere(self, delivery: DeliveryRecord) -> SendResult:
        log.info(
            "%s #%d is not this process's to send now (another Beatwatch process has it, or it is not due)",
            delivery.kind,
            delivery.id,
        )
        return SendResult(delivery.id, delivery.output, delivery.destination, False, kind=delivery.kind, elsewhere=True)

    def _fail(self, delivery: DeliveryRecord, error: DeliveryError) -> SendResult:
        now = self.clock()
        attempts = delivery.attempts + 1
        next_attempt = self.policy.next_attempt(attempts, now, error.retry_after) if error.retryable else None
        try:
            self.store.record_failure(
                delivery.id,
                owner=self.owner,
                at=now,
                error=error.reason,
                next_attempt_at=next_attempt,
                part_may_have_arrived=error.outcome_unknown,
            )
        except OutboxConflict:
            return self._elsewhere(delivery)
        result = SendResult(
            delivery.id,
            delivery.output,
            delivery.destination,
            False,
            error.reason,
            error.config_problem,
            delivery.kind,
            gave_up=next_attempt is None,
        )
        if next_attempt is None:
            log.error(
                "gave up on %s #%d to %s %s after %d attempt(s): %s; fix the cause, then run `monitor outbox retry %d`",
                delivery.kind,
                delivery.id,
                delivery.output,
                delivery.destination,
                attempts,
                error.reason,
                delivery.id,
            )
        else:
            log.warning(
                "could not deliver %s #%d to %s %s (attempt %d): %s; next try at %s",
                delivery.kind,
                delivery.id,
                delivery.output,
                delivery.destination,
                attempts,
                error.reason,
                next_attempt.isoformat(timespec="seconds"),
            )
        return result
