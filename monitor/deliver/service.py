"""The delivery service: the only code that sends. Digests, urgent alerts, admin notices, retries and the moves of
waiting deliveries all go through it, and through its one outbox.

Each step decides first, in pure functions over plain values (which notices a poll calls for, which urgent matches a
destination has not had, what a given-up delivery should tell the admin), then applies the decision: queue in the
outbox, then send what is due. A delivery given up comes back from the outbox as a result, and the service queues the
admin's notice about it; nothing calls back into the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from threading import Lock
from typing import Protocol, TextIO
from zoneinfo import ZoneInfo

from monitor.clock import Clock
from monitor.deliver.base import Output
from monitor.deliver.outbox import Outbox, RetryPolicy, SendResult, owner_is_gone
from monitor.deliver.render import render_markdown
from monitor.deliver.routes import Destination, new_destination, plan_routes
from monitor.deliver.settings import AdminSettings, DeliverySettings, DigestSettings, Route
from monitor.deliver.waiting import Move, Waiting, waiting_reasons
from monitor.digest import Digest, build_digest
from monitor.match.settings import KeywordsFile
from monitor.store import FAILED, PENDING, DeliveryRecord, MatchRecord, SourceHealth, Store

log = logging.getLogger("monitor.deliver")

ALERT_WINDOW = timedelta(days=1)  # an "urgent" match that could not be alerted within a day goes in the digest only
FAILURES_BEFORE_NOTICE = 3  # one failed poll is often a blip; three in a row is worth a person's attention
AFTER_POLL = frozenset({"alert", "notice"})  # what goes out after a poll; digests wait for their schedule


@dataclass(frozen=True)
class DeliverySetup:
    """What the delivery service reads of the configuration: its own sections of monitor.yaml, the topics of
    keywords.yaml and the sources' display names."""

    zone: ZoneInfo
    retention: timedelta  # how far back a digest looks
    digest: DigestSettings
    delivery: DeliverySettings
    routes: Sequence[Route]
    admin: AdminSettings
    keywords: KeywordsFile
    source_names: Mapping[str, str]


class PolledSource(Protocol):
    """What the service needs of a poll's report on one source (``monitor.poll.PollReport``)."""

    @property
    def source_id(self) -> str: ...

    @property
    def error(self) -> str | None: ...

    @property
    def gone(self) -> bool: ...  # its server has just said it is gone for good (410)


@dataclass(frozen=True)
class Notice:
    """A short message for the admin destination; ``avoid`` names an output known to be failing."""

    title: str
    text: str
    avoid: str | None = None


@dataclass(frozen=True)
class Sending:
    """What one round of sending did, and what is still waiting."""

    results: tuple[SendResult, ...] = ()
    moves: tuple[Move, ...] = ()
    waiting: tuple[Waiting, ...] = ()

    @property
    def failures(self) -> tuple[SendResult, ...]:
        return tuple(result for result in self.results if not result.sent and not result.elsewhere)


@dataclass(frozen=True)
class DigestRun(Sending):
    queued: int = 0


@dataclass(frozen=True)
class RetryRun(Sending):
    failed: int = 0  # given-up deliveries made due again
    pending: int = 0  # waiting deliveries sent without waiting for their next try


class DeliveryService:
    """Queues and sends every delivery of one configuration; owns its outbox for its lifetime.

    ``queueing`` is held while matches are chosen for a delivery and it is queued, so two steps at once (the alerts
    after two polls that end together) never queue one match twice; share one lock between the services of a process.
    The store's lock does the same between the daemons on one database.
    """

    def __init__(
        self,
        store: Store,
        outputs: Mapping[str, Output],
        setup: DeliverySetup,
        *,
        clock: Clock,
        stream: TextIO,
        queueing: Lock,
    ) -> None:
        self.store, self.outputs, self.setup, self.clock = store, outputs, setup, clock
        self._stream, self._queueing = stream, queueing
        policy = RetryPolicy(setup.delivery.max_attempts, setup.delivery.first_retry, setup.delivery.max_retry)
        self._outbox = Outbox(store, outputs, clock=clock, policy=policy)

    @contextmanager
    def _choosing_matches(self) -> Iterator[None]:
        with self._queueing, self.store.choosing_matches():  # this process's threads take turns before the database's
            yield

    # --- sending ---------------------------------------------------------------------------------------------------

    def digest(self, edition: str = "") -> DigestRun:
        """Queue one digest per destination of every match not yet delivered there, then send what is due; say what
        was sent and what is still waiting, and why. ``edition``: the name of the schedule entry that runs it
        ("Morning"); without one, outputs name the digest by its time."""
        # Waiting deliveries move first, so matches already on their way to a renamed destination are not queued twice.
        moves = self._readdress_waiting()
        earlier = self._flush(kinds={"alert"})  # waiting alerts go first, so the digest marks them alerted
        now, queued = self.clock(), 0
        with self._choosing_matches():
            for (output_name, destination), topic_ids in self._routes().items():
                digest = replace(self._digest_for(output_name, destination, topic_ids, now), edition=edition)
                if digest.empty:
                    self._report_empty(output_name, destination, digest, now)
                else:
                    parts = self.outputs[output_name].render(digest, destination=destination)
                    self._outbox.enqueue(output_name, destination, "digest", parts, digest.match_ids)
                    queued += 1
        results = (*earlier, *self._flush())
        return DigestRun(results=results, moves=moves, waiting=self.waiting(tried=results), queued=queued)

    def after_poll(self, polls: Iterable[PolledSource]) -> Sending:
        """After a poll: tell the admin about sources that have failed too often or are gone, send matches of
        `urgent: true` topics at once to their routes (the next digest repeats them, marked), and nothing else."""
        polls = list(polls)
        health = self.store.source_health()
        notices = failing_source_notices(polls, health, self.setup.source_names)
        notices += gone_source_notices(polls, self.setup.source_names)
        for notice in notices:
            self.notify_admin(notice)
        if not self._queue_alerts() and not notices:
            return Sending()
        return self.send_due(kinds=AFTER_POLL)

    def notify_admin(self, notice: Notice) -> None:
        """Queue ``notice`` for the admin destination (monitor.yaml `admin:`); always logged. It goes out with the
        next round of sending (``send_due``)."""
        log.warning("%s: %s", notice.title, notice.text)
        window = f"{self.clock().isoformat(timespec='minutes')}\n{notice.title}\n{notice.text}"
        for output_name, destination in self._admin_destinations():
            if output_name != notice.avoid:
                parts = self.outputs[output_name].render_notice(notice.title, notice.text)
                self._outbox.enqueue(output_name, destination, "notice", parts, (), window=window)

    def send_due(self, kinds: Collection[str] | None = None) -> Sending:
        """Send every queued delivery that is due (new ones and retries; only ``kinds`` when given), each to the
        destination the configuration names now."""
        moves = self._readdress_waiting()
        return Sending(results=self._flush(kinds), moves=moves)

    def retry(self, delivery_id: int | None) -> RetryRun:
        """Send open deliveries now (one, or all): failed ones with a fresh round of attempts, pending ones without
        waiting for their next try, each to the destination the configuration names now."""
        moves = self._readdress_waiting()
        failed, pending = self.store.retry_now(delivery_id, at=self.clock())
        results = self._flush() if failed or pending else ()
        return RetryRun(
            results=results, moves=moves, waiting=self.waiting(tried=results), failed=failed, pending=pending
        )

    # --- reading ---------------------------------------------------------------------------------------------------

    def pending_digest(self) -> Digest:
        """Every story not yet delivered anywhere, as one digest: what `digest --dry-run` and the demo show."""
        now = self.clock()
        records = self.store.matches(since=now - self.setup.retention)
        delivered = {record.story_id for record in records if record.delivered}
        waiting = [record for record in records if record.story_id not in delivered]
        return self._build_digest(waiting, [topic.id for topic in self.setup.keywords.topics], now, None)

    def waiting(self, tried: Sequence[SendResult] = ()) -> tuple[Waiting, ...]:
        """Every delivery not sent yet, oldest first, with why. ``tried``: results of this run, whose errors the caller
        has shown already."""
        return waiting_reasons(
            self.store.deliveries(states=[PENDING, FAILED]),
            now=self.clock(),
            zone=self.setup.zone,
            shown={result.delivery_id for result in tried},
        )

    # --- applying --------------------------------------------------------------------------------------------------

    def _flush(self, kinds: Collection[str] | None = None) -> tuple[SendResult, ...]:
        """Send what is due; then tell the admin about each delivery given up, through the outputs that still work."""
        results = self._outbox.flush(kinds)
        notices = [notice for result in results if (notice := give_up_notice(result)) is not None]
        for notice in notices:
            self.notify_admin(notice)
        if notices:
            results += self._outbox.flush(kinds={"notice"})
        return tuple(results)

    def _queue_alerts(self) -> bool:
        """Queue, per destination, the urgent matches it has not had; whether anything was queued."""
        now, queued = self.clock(), False
        with self._choosing_matches():
            for (output_name, destination), topic_ids in self._routes().items():
                self._cover_received_stories(output_name, destination, topic_ids, now)
                records = self.store.matches(
                    since=now - ALERT_WINDOW, undelivered_to=(output_name, destination), kind="alert"
                )
                digest = self._build_digest(urgent_for((output_name, destination), records), topic_ids, now, None)
                if not digest.empty:
                    parts = self.outputs[output_name].render(digest, alert=True, destination=destination)
                    self._outbox.enqueue(output_name, destination, "alert", parts, digest.match_ids)
                    queued = True
        return queued

    def _readdress_waiting(self) -> tuple[Move, ...]:
        """Send each waiting delivery where the configuration now sends what it carries, when that is no longer its
        destination (a channel name fixed in monitor.yaml, a route changed). One being sent at this moment stays."""
        plan, moves = self._routes(), []
        for delivery in self.store.deliveries(states=[PENDING, FAILED]):
            destination = self._configured_destination(delivery, plan)
            if destination is None:
                continue
            moved = self.store.readdress(delivery.id, destination=destination, now=self.clock(), is_gone=owner_is_gone)
            if moved is not None:
                moves.append(Move(delivery, destination))
                log.warning("%s", moves[-1].explain())
        return tuple(moves)

    def _configured_destination(self, delivery: DeliveryRecord, plan: Mapping[Destination, list[str]]) -> str | None:
        """The one destination the configuration now names for what ``delivery`` carries, when it no longer names the
        delivery's own; None while it does, or when it names no single other one."""
        if delivery.kind == "notice":
            named = [{destination for output, destination in self._admin_destinations() if output == delivery.output}]
        else:
            routed = {
                destination: set(topics) for (output, destination), topics in plan.items() if output == delivery.output
            }
            carried = {record.topic_id for record in self.store.matches(ids=delivery.match_ids)}
            everything: set[str] = set().union(*routed.values())
            named = [{d for d, topics in routed.items() if topic in topics} for topic in carried or everything]
        return new_destination(delivery.destination, named, free=lambda there: self._free_for(delivery, there))

    def _free_for(self, delivery: DeliveryRecord, destination: str) -> bool:
        """Whether none of the delivery's matches has gone, or is on its way, to ``destination`` already."""
        wanted = set(delivery.match_ids)
        free = self.store.matches(ids=wanted, undelivered_to=(delivery.output, destination), kind=delivery.kind)
        return len(free) == len(wanted)

    def _admin_destinations(self) -> list[Destination]:
        admin = self.setup.admin
        wanted = [("slack", admin.slack_channel), ("email", ", ".join(admin.email_to or []))]
        return [(name, destination) for name, destination in wanted if destination and name in self.outputs]

    def _routes(self) -> dict[Destination, list[str]]:
        defaults = {name: output.destinations() for name, output in self.outputs.items()}
        return plan_routes(self.setup.routes, self.setup.keywords, defaults)

    def _digest_for(self, output_name: str, destination: str, topic_ids: Sequence[str], now: datetime) -> Digest:
        # Matches older than `retention` are history, not news: a destination added today does not get last year.
        self._cover_received_stories(output_name, destination, topic_ids, now)
        records = self.store.matches(since=now - self.setup.retention, undelivered_to=(output_name, destination))
        last_sent = self.store.last_delivery_at(output_name, destination, kind="digest")
        return self._build_digest(records, topic_ids, now, last_sent)

    def _cover_received_stories(
        self, output_name: str, destination: str, topic_ids: Sequence[str], now: datetime
    ) -> None:
        """A destination receives a story once: the matches of stories it already has (copies found later, topics a
        page read late added) count as delivered there, and are never sent."""
        since = now - self.setup.retention
        covered = self.store.cover_received_stories(output_name, destination, topics=topic_ids, since=since, at=now)
        if covered:
            log.info(
                "%d matches of stories %s %s already has count as delivered there", covered, output_name, destination
            )

    def _build_digest(
        self, records: Sequence[MatchRecord], topic_ids: Sequence[str], now: datetime, since: datetime | None
    ) -> Digest:
        wanted = set(topic_ids)
        return build_digest(
            [record for record in records if record.topic_id in wanted],
            topics=[topic for topic in self.setup.keywords.topics if topic.id in wanted],
            source_names=self.setup.source_names,
            zone=self.setup.zone,
            now=now,
            since=since,
            health=self.store.source_health(),
            max_items_per_topic=self.setup.digest.max_items_per_topic,
        )

    def _report_empty(self, output_name: str, destination: str, digest: Digest, now: datetime) -> None:
        if output_name == "console":
            print(render_markdown(digest), file=self._stream, end="")
        elif self.setup.digest.empty == "post":
            parts = self.outputs[output_name].render(digest, destination=destination)
            window = now.astimezone(self.setup.zone).isoformat(timespec="minutes")
            self._outbox.enqueue(output_name, destination, "digest", parts, (), window=window)


# --- decisions ------------------------------------------------------------------------------------------------------


def failing_source_notices(
    polls: Sequence[PolledSource], health: Sequence[SourceHealth], names: Mapping[str, str]
) -> list[Notice]:
    """One notice when a source has failed FAILURES_BEFORE_NOTICE polls in a row, not one per failed poll (a source
    that is gone has a notice of its own)."""
    failing = {each.source_id: each for each in health}
    notices = []
    for poll in polls:
        source = failing.get(poll.source_id)
        if poll.error and not poll.gone and source and source.consecutive_failures == FAILURES_BEFORE_NOTICE:
            name = names.get(poll.source_id, poll.source_id)
            notices.append(
                Notice(
                    f"Source failing: {name}",
                    f"{FAILURES_BEFORE_NOTICE} polls in a row failed; "
                    f"last error: {poll.error}. Check the address in sources.yaml.",
                )
            )
    return notices


def gone_source_notices(polls: Sequence[PolledSource], names: Mapping[str, str]) -> list[Notice]:
    """One notice for each source whose server has just said it is gone for good: its polls stop until its entry in
    sources.yaml changes, so someone must look."""
    return [
        Notice(
            f"Source gone: {names.get(poll.source_id, poll.source_id)}",
            f"{poll.error}. Beatwatch has stopped polling it. Fix its address in sources.yaml (any change to its "
            f"entry starts its polls again), or remove it; `monitor poll --source {poll.source_id}` tries it once.",
        )
        for poll in polls
        if poll.gone
    ]


def give_up_notice(result: SendResult) -> Notice | None:
    """What the admin is told about a delivery given up, through the other outputs. None for a notice: reporting a
    notice that could not go would bounce notices between two failing outputs for ever."""
    if not result.gave_up or result.kind == "notice":
        return None
    return Notice(
        f"Delivery failed: {result.output} {result.destination}",
        f"{result.error}. Fix the cause, then run `monitor outbox retry {result.delivery_id}`.",
        avoid=result.output,
    )


def urgent_for(destination: Destination, records: Iterable[MatchRecord]) -> list[MatchRecord]:
    """The matches of urgent topics among ``records`` that ``destination`` has not had yet."""
    return [record for record in records if record.urgent and destination not in record.delivered_to]


__all__ = ["DeliveryService", "DeliverySetup", "DigestRun", "Notice", "RetryRun", "Sending"]
