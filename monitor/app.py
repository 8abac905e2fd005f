"""The use cases: poll sources, send digests, list matches. Every stage is called from here and only from here."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from threading import Event, Lock
from typing import TextIO, TypeVar

from monitor.clock import Clock, utc_now
from monitor.config import Config, ConfigProblem
from monitor.cron import cron_trigger
from monitor.deliver.outbox import Outbox, RetryPolicy, SendResult, owner_is_gone, process_owner
from monitor.deliver.outputs import build_outputs
from monitor.deliver.render import render_markdown
from monitor.deliver.routes import new_destination, plan_routes
from monitor.digest import Digest, build_digest
from monitor.extract import extract_article, reset_caches
from monitor.fetch import Fetcher, FetchError
from monitor.items import Item
from monitor.match import Match, Matcher
from monitor.page_retry import after_failure, expired_note, too_old_to_retry
from monitor.sources import SourceConfig, SourceError, build_source
from monitor.store import FAILED, PENDING, DeliveryRecord, ItemRecord, Store

log = logging.getLogger("monitor.poll")

ALERT_WINDOW = timedelta(days=1)  # an "urgent" match that could not be alerted within a day goes in the digest only
FAILURES_BEFORE_NOTICE = 3  # one failed poll is often a blip; three in a row is worth a person's attention

_In = TypeVar("_In")
_Out = TypeVar("_Out")


@dataclass(frozen=True)
class PollReport:
    """What one poll of one source did, for the poll table and the log."""

    source_id: str
    new_items: int = 0
    new_matches: int = 0
    error: str | None = None
    seconds: float = 0.0
    unchanged: bool = False
    notes: tuple[str, ...] = ()
    pages_failed: int = 0  # story pages this poll could not fetch, at a first try or a later one
    pages_read_late: int = 0  # pages that had failed before and were read this time
    page_error: str | None = None  # the last page this poll could not fetch: "URL: note"


@dataclass
class _PollCounts:
    items: int = 0
    matches: int = 0
    notes: list[str] = field(default_factory=list)
    pages_failed: int = 0
    pages_read_late: int = 0
    page_error: str | None = None

    def page_failed(self, url: str, note: str) -> None:
        self.pages_failed += 1
        self.page_error = f"{url}: {note}"


@dataclass(frozen=True)
class _PageText:
    """What reading a story's page gave: its main text, or None and why; ``failure`` when it was not fetched."""

    body: str | None
    note: str = ""
    failure: FetchError | None = None


@dataclass(frozen=True)
class _Prepared:
    """A new item ready to store: with its page's text when that was read, and its matches."""

    item: Item
    matches: list[Match]
    reported: bool
    page_failure: FetchError | None = None


@dataclass(frozen=True)
class _PageRetry:
    """A waiting page fetched again (``page``), or given up unfetched because its time ran out (``page`` None)."""

    record: ItemRecord
    page: _PageText | None = None
    matches: list[Match] = field(default_factory=list)


class App:
    """Beatwatch's use cases over one configuration and one store."""

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
        self._queueing = Lock()  # choosing matches for a delivery and queueing it happen as one step
        self._fetcher: Fetcher | None = None
        self._fetcher_settings = None
        self.use_config(config)

    def use_config(self, config: Config) -> None:
        """Switch to a new configuration; it takes effect from the next item.

        Everything is built first and then swapped in together, so a poll running in another thread never meets the
        new rules with the old configuration for longer than a few assignments."""
        matcher = Matcher.compile(config.keywords)
        outputs = build_outputs(config.monitor.outputs, zone=config.monitor.zone, data_dir=self.data_dir,
                                stream=self.stream)
        names = {source.id: source.name for source in config.sources.sources}
        self.config, self.matcher, self.outputs, self.source_names = config, matcher, outputs, names
        wanted = (config.monitor.fetch, config.monitor.user_agent)
        if self._fetcher is None or self._fetcher_settings != wanted:
            # A poll running in another thread may still hold the old client; it is left to close when dropped.
            self._fetcher, self._fetcher_settings = Fetcher(*wanted), wanted

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None

    # --- polling -------------------------------------------------------------------------------------------------

    def poll(
        self, source_ids: Sequence[str] = (), on_done: Callable[[PollReport], None] | None = None
    ) -> list[PollReport]:
        """Poll the named sources (all when none are named) concurrently, one report per source in config order."""
        sources = self.select_sources(source_ids)
        workers = max(1, min(self.config.monitor.fetch.concurrency, len(sources)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll") as pool:
            futures = [pool.submit(self.poll_source, source) for source in sources]
            reports = []
            for future in futures:
                reports.append(future.result())
                if on_done:
                    on_done(reports[-1])
        reset_caches()  # trafilatura's caches grow with every page it reads
        self._report_failing_sources(reports)
        self.alert_urgent()
        return reports

    def select_sources(self, source_ids: Sequence[str]) -> list[SourceConfig]:
        configured = {source.id: source for source in self.config.sources.sources}
        unknown = [source_id for source_id in source_ids if source_id not in configured]
        if unknown:
            raise KeyError(
                f"no source with id {', '.join(unknown)} in sources.yaml; known ids: {', '.join(configured) or 'none'}"
            )
        return [configured[source_id] for source_id in source_ids] if source_ids else list(configured.values())

    def poll_source(self, source: SourceConfig) -> PollReport:
        """Look at one source, store what is new with its matches, and save the source's checkpoint last."""
        started = time.monotonic()
        try:
            discovery = build_source(source, clock=self.clock).discover(self._fetcher, self.store.source_state(source.id))
        except (FetchError, SourceError) as error:
            return self._finish(source, started, _PollCounts(), error=str(error))
        except Exception as error:  # a bug or a surprise in one source must not stop the others or hide the failure
            log.exception("source %s: unexpected error", source.id)
            return self._finish(source, started, _PollCounts(), error=_unexpected(error))
        counts = _PollCounts(notes=list(discovery.notes))
        try:
            if not discovery.unchanged:
                self._take_new_items(source, discovery.items, counts)
            self._retry_pages(source, counts)
        except Exception as error:  # the items stored so far stay; the checkpoint is not saved, so none is lost
            log.exception("source %s: unexpected error while storing items", source.id)
            return self._finish(source, started, counts, error=_unexpected(error))
        if self.stop.is_set():
            # Stopped part-way: the checkpoint is not saved, so the next poll looks at the rest again.
            return self._finish(source, started, counts, checkpoint=None, interrupted=True)
        return self._finish(source, started, counts, checkpoint=discovery.checkpoint, unchanged=discovery.unchanged)

    def _take_new_items(self, source: SourceConfig, items: Iterable[Item], counts: _PollCounts) -> None:
        """Store every item not seen before, with its matches, in the source's order.

        Pages are fetched and matched a few at a time; each item is stored as soon as it and those before it are
        ready, so a stop or a crash leaves a clean cut. An item whose page failed for a reason that may pass is
        stored with the matches of its feed text and waits for its page (see ``_retry_pages``)."""
        first_poll = not self.store.has_polled(source.id)
        fresh = [item for item in items if not self.store.known_keys(source.id, item.keys)]
        with closing(self._in_order(partial(self._prepare, source, first_poll=first_poll), fresh)) as prepared:
            for ready in prepared:
                if ready is None or self.stop.is_set():
                    return
                self._store_new_item(ready, counts)

    def _store_new_item(self, ready: _Prepared, counts: _PollCounts) -> None:
        item, found_at, page = ready.item, self.clock(), {}
        if ready.page_failure is not None:
            note, retry_at = after_failure(ready.page_failure, tries=1, found_at=found_at, now=found_at)
            item, page = item.with_body(None, note), {"page_tries": 1, "page_retry_at": retry_at}
        if self.store.add_item(item, ready.matches, found_at=found_at, reported=ready.reported, **page) is None:
            return
        counts.items += 1
        counts.matches += len(ready.matches)
        if ready.page_failure is not None:
            counts.page_failed(item.url, item.body_note)

    def _prepare(self, source: SourceConfig, item: Item, *, first_poll: bool) -> _Prepared | None:
        """The item with its full text and matches; a first poll's old items are recorded only (no fetch, no match).
        None when the daemon is stopping: the item is left for the next poll."""
        reported = not first_poll or self._within_backfill(item)
        if self.stop.is_set():
            return None
        failure = None
        if reported and item.body is None and self.config.sources.full_text(source):
            page = self._read_page(item.url, found_on=source.url)
            item, failure = item.with_body(page.body, page.note), page.failure
        return _Prepared(item, self.matcher.match(_fields(item)) if reported else [], reported, failure)

    def _retry_pages(self, source: SourceConfig, counts: _PollCounts) -> None:
        """Fetch again the pages of this source that failed before and are due; a page read at last is matched, and
        the topics its text adds are stored as new matches (a topic the item matched already is not matched twice).
        Each outcome is stored in one transaction, so a stop or a crash loses no page and repeats no match."""
        due = self.store.pages_due(source.id, now=self.clock())
        with closing(self._in_order(partial(self._fetch_again, found_on=source.url), due)) as fetched:
            for retry in fetched:
                if retry is None or self.stop.is_set():
                    return
                self._store_page_retry(retry, counts)

    def _fetch_again(self, record: ItemRecord, *, found_on: str) -> _PageRetry | None:
        if self.stop.is_set():
            return None
        if too_old_to_retry(record.found_at, self.clock()):
            return _PageRetry(record)
        page = self._read_page(record.url, found_on=found_on)
        matches = [] if page.failure else self.matcher.match(_fields(replace(record, body=page.body)))
        return _PageRetry(record, page, matches)

    def _store_page_retry(self, retry: _PageRetry, counts: _PollCounts) -> None:
        record, page = retry.record, retry.page
        if page is None:
            self.store.record_page_failure(
                record.id, tries=record.page_tries, note=expired_note(record.body_note), retry_at=None
            )
        elif page.failure is not None:
            tries = record.page_tries + 1
            note, retry_at = after_failure(page.failure, tries=tries, found_at=record.found_at, now=self.clock())
            if self.store.record_page_failure(record.id, tries=record.page_tries, note=note, retry_at=retry_at):
                counts.page_failed(record.url, note)
        else:
            added = self.store.record_page_text(
                record.id, tries=record.page_tries, body=page.body, note=page.note, matches=retry.matches
            )
            if added is not None:
                counts.pages_read_late += 1
                counts.matches += added

    def _read_page(self, url: str, *, found_on: str | None = None) -> _PageText:
        """The main text of a story's page; when the page cannot be had, the feed's text is matched and we say why.

        ``found_on``: the configured address of the source that listed the page (None: the operator typed its URL)."""
        try:
            page = self._fetcher.get(url, found_on=found_on)
        except FetchError as error:
            return _PageText(None, f"page not fetched: {error.reason}", error)
        try:
            text = extract_article(page.content, page.url)
        except Exception as error:  # a page that trips the extractor is matched on its feed text, like one not fetched
            log.exception("could not extract %s", url)
            return _PageText(None, f"text not extracted: {_unexpected(error)}")
        if text is None:
            return _PageText(None, "no article text found on the page")
        return _PageText(text)

    def _in_order(self, work: Callable[[_In], _Out], inputs: Sequence[_In]) -> Iterator[_Out]:
        """``work`` on each input, a few at once (as many requests as one site allows at a time), yielded in input
        order; work not yet started when the caller stops reading is cancelled."""
        pool = ThreadPoolExecutor(max_workers=self.config.monitor.fetch.per_host, thread_name_prefix="page")
        try:
            for future in [pool.submit(work, each) for each in inputs]:
                yield future.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _within_backfill(self, item: Item) -> bool:
        backfill = self.config.monitor.first_run_backfill
        return bool(backfill) and item.published is not None and item.published >= self.clock() - backfill

    def _finish(
        self,
        source: SourceConfig,
        started: float,
        counts: _PollCounts,
        *,
        error: str | None = None,
        checkpoint=None,
        unchanged: bool = False,
        interrupted: bool = False,
    ) -> PollReport:
        seconds = time.monotonic() - started
        if error:
            log.warning("source %s failed after %.1f s: %s", source.id, seconds, error)
        if not interrupted:
            self.store.finish_poll(
                source.id,
                at=self.clock(),
                checkpoint=checkpoint,
                error=error,
                new_items=counts.items,
                new_matches=counts.matches,
                seconds=seconds,
                page_error=counts.page_error,
            )
        if not error:
            note = " (not modified)" if unchanged else ""
            log.info("source %s: %d new items, %d new matches%s, %d pages read on a later try in %.1f s",
                     source.id, counts.items, counts.matches, note, counts.pages_read_late, seconds)
        if counts.page_error:
            log.warning("source %s: story pages not fetched: %d; last: %s",
                        source.id, counts.pages_failed, counts.page_error)
        return PollReport(
            source.id, counts.items, counts.matches, error, seconds, unchanged, tuple(counts.notes),
            pages_failed=counts.pages_failed, pages_read_late=counts.pages_read_late, page_error=counts.page_error,
        )

    # --- delivering ---------------------------------------------------------------------------------------------

    def digest(self, *, dry_run: bool = False) -> DigestRun:
        """Queue one digest per destination of every match not yet delivered there, then send what is due; say what
        was sent and what is still waiting, and why."""
        if dry_run:
            return DigestRun(preview=render_markdown(self.pending_digest()))
        # Waiting deliveries move first, so matches already on their way to a renamed destination are not queued twice.
        moves = self._readdress_waiting()
        earlier = self._outbox().flush(kinds={"alert"})  # waiting alerts go first, so the digest marks them alerted
        now = self.clock()
        queued = 0
        with self._queueing:
            for (output_name, destination), topic_ids in self._routes().items():
                digest = self._digest_for(output_name, destination, topic_ids, now)
                if digest.empty:
                    self._report_empty(output_name, destination, digest, now)
                else:
                    parts = self.outputs[output_name].render(digest)
                    self._outbox().enqueue(output_name, destination, "digest", parts, digest.match_ids)
                    queued += 1
        results = (*earlier, *self._outbox().flush())
        return DigestRun(results=results, moves=moves, waiting=self.waiting(tried=results), queued=queued)

    def alert_urgent(self) -> list[SendResult]:
        """Send matches of `urgent: true` topics at once to their routes; the next digest repeats them, marked."""
        now, queued = self.clock(), False
        with self._queueing:  # polls of several sources end at once; each match must be queued once
            for (output_name, destination), topic_ids in self._routes().items():
                records = [
                    record
                    for record in self.store.matches(
                    since=now - ALERT_WINDOW, undelivered_to=(output_name, destination), kind="alert"
                )
                    if record.urgent and (output_name, destination) not in record.delivered_to
                ]
                digest = self._build_digest(records, topic_ids, now, None)
                if not digest.empty:
                    parts = self.outputs[output_name].render(digest, alert=True)
                    self._outbox().enqueue(output_name, destination, "alert", parts, digest.match_ids)
                    queued = True
        return self.flush_outbox() if queued else []

    def notify_admin(self, title: str, text: str, *, avoid: str | None = None, send_now: bool = True) -> None:
        """Tell the admin destination (monitor.yaml `admin:`) about something only a person can fix; always logged.

        ``avoid`` names an output known to be failing, so the notice goes only through the others."""
        log.warning("%s: %s", title, text)
        window = f"{self.clock().isoformat(timespec='minutes')}\n{title}\n{text}"
        for output_name, destination in self._admin_destinations():
            if output_name != avoid:
                parts = self.outputs[output_name].render_notice(title, text)
                self._outbox().enqueue(output_name, destination, "notice", parts, (), window=window)
        if send_now:
            self.flush_outbox()

    def _gave_up(self, result: SendResult) -> None:
        # A notice that could not go is only logged: reporting it too would bounce notices between two failing
        # outputs for ever. Queued, not sent here: the flush in progress sends it after what it is sending.
        if result.kind == "notice":
            return
        self.notify_admin(
            f"Delivery failed: {result.output} {result.destination}",
            f"{result.error}. Fix the cause, then run `monitor outbox retry {result.delivery_id}`.",
            avoid=result.output,
            send_now=False,
        )

    def _admin_destinations(self) -> list[tuple[str, str]]:
        admin = self.config.monitor.admin
        wanted = [("slack", admin.slack_channel), ("email", ", ".join(admin.email_to or []))]
        return [(name, destination) for name, destination in wanted if destination and name in self.outputs]

    def _report_failing_sources(self, reports: Sequence[PollReport]) -> None:
        """One notice when a source has failed FAILURES_BEFORE_NOTICE polls in a row, not one per failed poll."""
        failing = {health.source_id: health for health in self.store.source_health()}
        for report in reports:
            health = failing.get(report.source_id)
            if report.error and health and health.consecutive_failures == FAILURES_BEFORE_NOTICE:
                name = self.source_names.get(report.source_id, report.source_id)
                self.notify_admin(f"Source failing: {name}", f"{FAILURES_BEFORE_NOTICE} polls in a row failed; "
                                  f"last error: {report.error}. Check the address in sources.yaml.")

    def _routes(self) -> dict[tuple[str, str], list[str]]:
        return plan_routes(self.config.monitor.routes, self.config.keywords, self.outputs)

    def pending_digest(self) -> Digest:
        """Every match not yet delivered anywhere, as one digest: what `digest --dry-run` and the demo show."""
        now = self.clock()
        records = [r for r in self.store.matches(since=now - self.config.monitor.retention) if not r.delivered]
        return self._build_digest(records, [topic.id for topic in self.config.keywords.topics], now, None)

    def _digest_for(self, output_name: str, destination: str, topic_ids: Sequence[str], now: datetime) -> Digest:
        # Matches older than `retention` are history, not news: a destination added today does not get last year.
        oldest = now - self.config.monitor.retention
        records = self.store.matches(since=oldest, undelivered_to=(output_name, destination))
        last_sent = self.store.last_delivery_at(output_name, destination, kind="digest")
        return self._build_digest(records, topic_ids, now, last_sent)

    def _build_digest(self, records, topic_ids: Sequence[str], now: datetime, since: datetime | None) -> Digest:
        wanted = set(topic_ids)
        return build_digest(
            [record for record in records if record.topic_id in wanted],
            topics=[topic for topic in self.config.keywords.topics if topic.id in wanted],
            source_names=self.source_names,
            zone=self.config.monitor.zone,
            now=now,
            since=since,
            health=self.store.source_health(),
            max_items_per_topic=self.config.monitor.digest.max_items_per_topic,
        )

    def _report_empty(self, output_name: str, destination: str, digest: Digest, now: datetime) -> None:
        if output_name == "console":
            print(render_markdown(digest), file=self.stream, end="")
        elif self.config.monitor.digest.empty == "post":
            parts = self.outputs[output_name].render(digest)
            window = now.astimezone(self.config.monitor.zone).isoformat(timespec="minutes")
            self._outbox().enqueue(output_name, destination, "digest", parts, (), window=window)

    def tidy(self) -> int:
        """Drop stored article text older than `retention`; the items and their matches stay."""
        return self.store.forget_bodies(before=self.clock() - self.config.monitor.retention)

    def deliveries(self, sent_since: timedelta):
        """Pending and failed deliveries, and those sent in the last ``sent_since``, oldest first."""
        open_ones = self.store.deliveries(states=["pending", "failed"])
        sent = self.store.deliveries(states=["sent"], since=self.clock() - sent_since)
        return sorted([*open_ones, *sent], key=lambda delivery: delivery.id)

    def retry_deliveries(self, delivery_id: int | None) -> RetryRun:
        """Send open deliveries now (one, or all): failed ones with a fresh round of attempts, pending ones without
        waiting for their next try, each to the destination the configuration names now."""
        moves = self._readdress_waiting()
        failed, pending = self.store.retry_now(delivery_id, at=self.clock())
        results = tuple(self._outbox().flush()) if failed or pending else ()
        return RetryRun(results=results, moves=moves, waiting=self.waiting(tried=results), failed=failed,
                        pending=pending)

    def flush_outbox(self) -> list[SendResult]:
        """Send every queued delivery that is due (new ones and retries)."""
        self._readdress_waiting()
        return self._outbox().flush()

    def waiting(self, tried: Sequence[SendResult] = ()) -> tuple[Waiting, ...]:
        """Every delivery not sent yet, oldest first, with why. ``tried``: results of this run, whose errors the caller
        has shown already."""
        now, shown = self.clock(), {result.delivery_id for result in tried}
        ahead: dict[tuple[str, str, str], DeliveryRecord] = {}
        found = []
        for delivery in self.store.deliveries(states=[PENDING, FAILED]):
            lane = (delivery.output, delivery.destination, delivery.kind)
            found.append(Waiting(delivery, self._why_waiting(delivery, ahead.get(lane), now, delivery.id in shown)))
            if delivery.state == PENDING:
                ahead.setdefault(lane, delivery)
        return tuple(found)

    def _why_waiting(self, delivery: DeliveryRecord, ahead: DeliveryRecord | None, now: datetime, shown: bool) -> str:
        error = "" if shown or not delivery.last_error else f"; last error: {delivery.last_error}"
        if delivery.state == FAILED:
            return (f"given up after {delivery.attempts} attempt(s){error}; fix the cause, then run "
                    f"`monitor outbox retry {delivery.id}`")
        claimed = delivery.claimed_until is not None and delivery.claimed_until > now
        if claimed and delivery.claimed_by != process_owner() and not owner_is_gone(delivery.claimed_by):
            return f"being sent by another Beatwatch process ({delivery.claimed_by})"
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            when = delivery.next_attempt_at.astimezone(self.config.monitor.zone).strftime("%a %d %b %H:%M:%S")
            return f"next try {when}{error}; `monitor outbox retry {delivery.id}` tries it now"
        if ahead is not None:
            return f"waits for #{ahead.id}, queued before it for the same destination"
        return f"due now{error}"

    def _readdress_waiting(self) -> tuple[Move, ...]:
        """Send each waiting delivery where the configuration now sends what it carries, when that is no longer its
        destination (a channel name fixed in monitor.yaml, a route changed). One being sent at this moment stays."""
        plan, moves = self._routes(), []
        for delivery in self.store.deliveries(states=[PENDING, FAILED]):
            destination = self._configured_destination(delivery, plan)
            if destination is None:
                continue
            moved = self.store.readdress(delivery.id, destination=destination, now=self.clock(),
                                         is_gone=owner_is_gone)
            if moved is not None:
                moves.append(Move(delivery, destination))
                log.warning("%s", moves[-1].explain())
        return tuple(moves)

    def _configured_destination(self, delivery: DeliveryRecord, plan) -> str | None:
        """The one destination the configuration now names for what ``delivery`` carries, when it no longer names the
        delivery's own; None while it does, or when it names no single other one."""
        if delivery.kind == "notice":
            named = [{destination for output, destination in self._admin_destinations() if output == delivery.output}]
        else:
            routed = {destination: set(topics) for (output, destination), topics in plan.items()
                      if output == delivery.output}
            carried = {record.topic_id for record in self.store.matches(ids=delivery.match_ids)}
            named = [{d for d, topics in routed.items() if topic in topics}
                     for topic in carried or set().union(*routed.values())]
        return new_destination(delivery.destination, named, free=lambda there: self._free_for(delivery, there))

    def _free_for(self, delivery: DeliveryRecord, destination: str) -> bool:
        """Whether none of the delivery's matches has gone, or is on its way, to ``destination`` already."""
        wanted = set(delivery.match_ids)
        free = self.store.matches(ids=wanted, undelivered_to=(delivery.output, destination), kind=delivery.kind)
        return len(free) == len(wanted)

    def _outbox(self) -> Outbox:
        delivery = self.config.monitor.delivery
        policy = RetryPolicy(delivery.max_attempts, delivery.first_retry, delivery.max_retry)
        return Outbox(self.store, self.outputs, clock=self.clock, policy=policy, on_give_up=self._gave_up)

    # --- rules tools ----------------------------------------------------------------------------------------------

    def test_rules(self, fields: Mapping[str, str], topic: str | None = None):
        """Why each topic matches these fields or not (`monitor test-rules`)."""
        return self.matcher.explain(fields, topic)

    def fetch_for_test(self, url: str) -> Item:
        """A page fetched and extracted exactly as a poll would, as an item to test the rules on."""
        page = self._read_page(url)
        if page.body is None:
            raise FetchError(url, page.note)
        return Item(source_id="test-rules", key=url, url=url, title="", body=page.body)

    def replay(self, since: timedelta) -> list[ReplayChange]:
        """Stored items of the last ``since`` run through the current rules: what would match now that did not then,
        and what matched then that would not now."""
        changes = []
        for item in self.store.items(since=self.clock() - since):
            if not item.reported:
                continue
            now_topics = {match.topic_id for match in self.matcher.match(_fields(item))}
            then_topics = set(item.topics)
            changes.extend(ReplayChange(t, item, gained=True) for t in sorted(now_topics - then_topics))
            changes.extend(ReplayChange(t, item, gained=False) for t in sorted(then_topics - now_topics))
        return changes

    def stats(self, since: timedelta) -> list[TopicStats]:
        """Per topic and per term, how many stored items matched since then; terms that never did."""
        records = self.store.matches(since=self.clock() - since)
        return [_topic_stats(topic, [r for r in records if r.topic_id == topic.id]) for topic in self.config.keywords.topics]

    # --- reading ------------------------------------------------------------------------------------------------

    def status(self) -> list[SourceStatus]:
        """Each configured source's health from the store, in config order."""
        health = {row.source_id: row for row in self.store.source_health()}
        return [
            SourceStatus(source, health.get(source.id), self.store.source_state(source.id).get("mode", ""))
            for source in self.config.sources.sources
        ]

    def matches(self, *, since: timedelta | None = None, topic: str | None = None):
        start: datetime | None = self.clock() - since if since else None
        return self.store.matches(since=start, topic=topic)

    def match_summary(self, record) -> dict:
        """One stored match in the documented JSON shape of `monitor matches --json`."""
        return {
            "topic": record.topic_id,
            "source": record.source_id,
            "source_name": self.source_names.get(record.source_id, record.source_id),
            "title": record.title,
            "url": record.url,
            "published": record.published.isoformat() if record.published else None,
            "found": record.found_at.isoformat(),
            "terms": list(record.terms),
            "fields": list(dict.fromkeys(hit.field for hit in record.hits)),
            "snippet": record.snippet.marked("**", "**"),
            "page": record.snippet.page,
            "kind": record.kind,
            "urgent": record.urgent,
            "delivered": record.delivered,
            "alerted": record.alerted,
        }


@dataclass(frozen=True)
class Move:
    """A waiting delivery sent to the destination the configuration names now, instead of the one it was queued for."""

    delivery: DeliveryRecord  # as it was before the move
    destination: str

    def explain(self) -> str:
        old, new, output = self.delivery.destination, self.destination, self.delivery.output
        text = (f"{self.delivery.kind} #{self.delivery.id} now goes to {output} {new}, not {old}: the configuration "
                f"names {new} for it now")
        if self.delivery.parts_sent:
            text += (f" ({self.delivery.parts_sent} of its {len(self.delivery.parts)} parts reached {old} and stay "
                     f"there; {new} gets it whole)")
        return text


@dataclass(frozen=True)
class Waiting:
    """A delivery not sent yet, and why."""

    delivery: DeliveryRecord
    reason: str


@dataclass(frozen=True)
class Sending:
    """What one round of sending from the outbox did, and what is still waiting."""

    results: tuple[SendResult, ...] = ()
    moves: tuple[Move, ...] = ()
    waiting: tuple[Waiting, ...] = ()

    @property
    def failures(self) -> tuple[SendResult, ...]:
        return tuple(result for result in self.results if not result.sent and not result.elsewhere)


@dataclass(frozen=True)
class DigestRun(Sending):
    preview: str = ""
    queued: int = 0


@dataclass(frozen=True)
class RetryRun(Sending):
    failed: int = 0  # given-up deliveries made due again
    pending: int = 0  # waiting deliveries sent without waiting for their next try


def rules_check(config: Config) -> None:
    """A configuration check for the loader: the keyword rules compile (bad regexes, unknown places...), and routes
    name topics that exist and outputs that are configured."""
    problems = list(_route_problems(config))
    try:
        Matcher.compile(config.keywords)
    except ConfigProblem as problem:
        problems.append(problem)
    except ExceptionGroup as group:
        problems.extend(group.exceptions)
    if problems:
        raise ExceptionGroup("configuration problems", problems)


def _route_problems(config: Config) -> Iterable[ConfigProblem]:
    topics = [topic.id for topic in config.keywords.topics]
    outputs = config.monitor.outputs
    for index, route in enumerate(config.monitor.routes):
        for position, topic in enumerate(route.topics):
            if topic not in topics:
                yield ConfigProblem("monitor.yaml", ("routes", index, "topics", position),
                                    f"route names topic {topic!r}, which is not in keywords.yaml",
                                    f"use one of: {', '.join(topics)}")
        for key, output in (("slack_channel", "slack"), ("email_to", "email")):
            if getattr(route, key) and getattr(outputs, output, None) is None:
                yield ConfigProblem("monitor.yaml", ("routes", index, key),
                                    f"route sends to {output}, but outputs.{output} is not configured",
                                    f"add an outputs.{output} section, or remove {key} from this route")


def next_digest_time(config: Config, now: datetime | None = None) -> str:
    zone = config.monitor.zone
    moment = (now or utc_now()).astimezone(zone)
    times = [cron_trigger(e, zone).get_next_fire_time(None, moment) for e in config.monitor.digest.schedule]
    times = [t for t in times if t is not None]
    return min(times).strftime("%a %d %b %Y %H:%M %Z") if times else "never (digest.schedule is empty)"


def _unexpected(error: Exception) -> str:
    return f"unexpected error ({type(error).__name__}: {error}); this is a bug in Beatwatch, please report it with the log"


def _fields(item) -> dict[str, str]:
    return {"title": item.title, "summary": item.summary, "body": item.body or ""}


@dataclass(frozen=True)
class SourceStatus:
    source: SourceConfig
    health: object | None  # the store's SourceHealth; None before the first poll
    mode: str  # how a council source is read now ("webservice" or "html"); empty for others


@dataclass(frozen=True)
class ReplayChange:
    topic_id: str
    item: object  # the stored item record
    gained: bool  # True: would match now but did not then; False: matched then, would not now


@dataclass(frozen=True)
class TopicStats:
    topic_id: str
    items: int
    per_term: tuple[tuple[str, int], ...]  # terms in YAML order with the number of items each fired in
    never: tuple[str, ...]


def _topic_stats(topic, records) -> TopicStats:
    counts = {term: 0 for term in (*topic.any, *topic.all)}
    for record in records:
        for term in set(record.terms):
            counts[term] = counts.get(term, 0) + 1
    return TopicStats(topic.id, len(records), tuple(counts.items()), tuple(t for t, n in counts.items() if n == 0))


__all__ = ["App", "DigestRun", "Move", "PollReport", "RetryRun", "Waiting", "next_digest_time", "rules_check"]
