"""Deliveries not sent yet: why each one waits, and the record of one moved to the destination the configuration names
now. Pure decisions over the outbox's records; the delivery service reads the records and applies them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.deliver.outbox import owner_is_gone, process_owner
from monitor.store.records import FAILED, PENDING, DeliveryRecord


@dataclass(frozen=True)
class Move:
    """A waiting delivery sent to the destination the configuration names now, instead of the one it was queued for."""

    delivery: DeliveryRecord  # as it was before the move
    destination: str

    def explain(self) -> str:
        old, new, output = self.delivery.destination, self.destination, self.delivery.output
        text = (
            f"{self.delivery.kind} #{self.delivery.id} now goes to {output} {new}, not {old}: the configuration "
            f"names {new} for it now"
        )
        if self.delivery.parts_sent:
            text += (
                f" ({self.delivery.parts_sent} of its {len(self.delivery.parts)} parts reached {old} and stay "
                f"there; {new} gets it whole)"
            )
        return text


@dataclass(frozen=True)
class Waiting:
    """A delivery not sent yet, and why."""

    delivery: DeliveryRecord
    reason: str


def waiting_reasons(
    deliveries: Sequence[DeliveryRecord], *, now: datetime, zone: ZoneInfo, shown: Collection[int] = ()
) -> tuple[Waiting, ...]:
    """Each of ``deliveries`` (the pending and failed ones, oldest first) with why it waits. ``shown``: ids of
    deliveries whose error the caller has shown already, so it is not repeated."""
    ahead: dict[tuple[str, str, str], DeliveryRecord] = {}
    found = []
    for delivery in deliveries:
        lane = (delivery.output, delivery.destination, delivery.kind)
        found.append(
            Waiting(delivery, why_waiting(delivery, ahead.get(lane), now=now, zone=zone, shown=delivery.id in shown))
        )
        if delivery.state == PENDING:
            ahead.setdefault(lane, delivery)
    return tuple(found)


def why_waiting(
    delivery: DeliveryRecord, ahead: DeliveryRecord | None, *, now: datetime, zone: ZoneInfo, shown: bool
) -> str:
    """Why ``delivery`` is not sent yet; ``ahead`` is the pending delivery queued before it in its lane, if any."""
    error = "" if shown or not delivery.last_error else f"; last error: {delivery.last_error}"
    if delivery.state == FAILED:
        return (
            f"given up after {delivery.attempts} attempt(s){error}; fix the cause, then run "
            f"`monitor outbox retry {delivery.id}`"
        )
    if _claimed_elsewhere(delivery, now):
        return f"being sent by another Beatwatch process ({delivery.claimed_by})"
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        when = delivery.next_attempt_at.astimezone(zone).strftime("%a %d %b %H:%M:%S")
        return f"next try {when}{error}; `monitor outbox retry {delivery.id}` tries it now"
    if ahead is not None:
        return f"waits for #{ahead.id}, queued before it for the same destination"
    return f"due now{error}"


def _claimed_elsewhere(delivery: DeliveryRecord, now: datetime) -> bool:
    owner, until = delivery.claimed_by, delivery.claimed_until
    if owner is None or until is None or until <= now:
        return False
    return owner != process_owner() and not owner_is_gone(owner)
