"""The poll: sources -> items -> store, story pages fetched again included.

A poll looks at sources, stores what is new with its matches, and returns one ``PollReport`` per source. It sends
nothing and decides nothing about delivery: what a poll found goes out later, through the delivery service
(``monitor.deliver.service``), when the command line or the daemon asks for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from threading import Event

from monitor.clock import Clock
from monitor.extract import PROCESSES
from monitor.fetch import FetchError
from monitor.futures import Gathered, ThreadPool, done, ready_in_order
from monitor.items import Item
from monitor.links import PageText, follow_link, identified
from monitor.match import Match
from monitor.next_poll import Turn, take_turn, wait_text
from monitor.observe.logs import about_source
from monitor.page_retry import after_failure, expired_note, too_old_to_retry
from monitor.poll_pages import PollSetup, read_page, story_read
from monitor.poll_report import PollCounts, PollReport, failure_kind, log_poll, problem_text
from monitor.sources import Discovery, SourceConfig, SourceError
from monitor.sources.kinds import build_source
from monitor.store import ItemRecord, NewItem, PollEnd, SourceHealth, Store, WaitReason
from monitor.stories import StoryPrint, item_print, item_prints

log = logging.getLogger("monitor.poll")
_ENDS_PER_WRITE = 64  # sources' ends of polls written in one transaction, by a poll of many sources


@dataclass(frozen=True)
class _Prepared:
    """A new item ready to store: with its page's text when that was read, and its matches."""

    item: Item
    matches: list[Match]
    reported: bool
    page_failure: FetchError | None = None
    printed: StoryPrint | None = None  # its story print, made in the pool of processes


@dataclass(frozen=True)
class _PageRetry:
    """A waiting page fetched again (``page``), or given up unfetched because its time ran out (``page`` None)."""

    record: ItemRecord
    page: PageText | None = None
    url: str = ""  # the link the item is shown by once its page was read
    matches: list[Match] = field(default_factory=list)
    printed: StoryPrint | None = None  # its print with its page's text, made in the pool of processes


class Poller:
    """Polls sources into the store; safe to use from several threads at once.

    Story pages are fetched in one pool of threads shared by every poll (the fetcher's politeness gate decides how
    many requests are in flight); feeds and pages are read in the process's pool of processes
    (``monitor.extract.pool``). Both start when first needed and stop at ``close``."""

    def __init__(self, store: Store, setup: PollSetup, *, clock: Clock, stop: Event) -> None:
        self.store, self.setup, self.clock, self.stop = store, setup, clock, stop
        self._pages = ThreadPool(self._page_workers, "page")

    def use(self, setup: PollSetup) -> None:
        """Poll with a new configuration from the next item on; a poll in flight carries on with it."""
        self.setup = setup

    def poll(
        self,
        source_ids: Sequence[str] = (),
        on_done: Callable[[PollReport], None] | None = None,
        *,
        named: bool = False,
    ) -> list[PollReport]:
        """Poll the named sources (all when none are named) concurrently, one report per source in config order; those
        not due yet are reported postponed. ``named``: a person named them, which takes them past all but a
        Retry-After (monitor/next_poll.py)."""
        sources = self.select_sources(source_ids)
        if len(sources) == 1:  # the daemon's turn of one source: no pool of threads for it
            reports = [self.poll_source(sources[0], named=named)]
            if on_done:
                on_done(reports[0])
            return reports
        workers = max(1, min(self.setup.config.monitor.fetch.concurrency, len(sources)))
        # One read of every source's state, and their ends written a batch at a time, so a source with nothing new costs
        # little but its request; an end lost to a kill means a second look, as a checkpoint goes after its items.
        healths = {health.source_id: health for health in self.store.source_health(*(each.id for each in sources))}
        ends = Gathered(self.store.finish_polls, _ENDS_PER_WRITE)
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll") as pool:
                futures = [
                    pool.submit(self._poll_source, source, healths.get(source.id), named, ends) for source in sources
                ]
                reports = []
                for future in futures:
                    reports.append(future.result())
                    if on_done:
                        on_done(reports[-1])
        finally:
            ends.flush()
        return reports

    def select_sources(self, source_ids: Sequence[str]) -> list[SourceConfig]:
        return self.setup.config.sources.select(source_ids)

    def poll_source(self, source: SourceConfig, *, named: bool = False) -> PollReport:
        """Look at one source, store what is new with its matches, and save the source's checkpoint last; or, when the
        source is not due yet, make no request and say why. ``named``: a person named it (see ``poll``)."""
        health = next(iter(self.store.source_health(source.id)), None)  # None: never polled
        return self._poll_source(source, health, named, Gathered(self.store.finish_polls, 1))

    def _poll_source(
        self, source: SourceConfig, health: SourceHealth | None, named: bool, ends: Gathered[PollEnd]
    ) -> PollReport:
        with about_source(source.id):
            return self._look(source, health, named, ends)

    def _look(
        self, source: SourceConfig, health: SourceHealth | None, named: bool, ends: Gathered[PollEnd]
    ) -> PollReport:
        turn = self._turn(source, health, named=named)
        if turn.postponed:
            log.info("source %s not polled: %s", source.id, turn.postponed)
            return PollReport(source.id, postponed=True, next_poll=turn.postponed)
        started, fetcher = time.monotonic(), self.setup.fetcher
        counts = PollCounts()
        finish = partial(self._finish, source, turn, started, counts, ends=ends)
        if turn.overridden:
            counts.notes.append(f"polled because it was named; otherwise {turn.overridden}")
        try:
            checkpoint = health.checkpoint if health else {}
            discovery = build_source(source, clock=self.clock).discover(fetcher, checkpoint)
        except (FetchError, SourceError) as error:
            return finish(failure=error)
        except Exception as error:  # a bug or a surprise in one source must not stop the others or hide the failure
            log.exception("source %s: unexpected error", source.id)
            return finish(failure=error)
        counts.notes += discovery.notes
        try:
            if not discovery.unchanged:
                self._take_new_items(source, discovery.items, counts, first_poll=not (health and health.polled_once))
            if health and health.pages_waiting:  # pages that fail in this poll wait till a later one
                self._retry_pages(source, counts)
        except Exception as error:  # the items stored so far stay; the checkpoint is not saved, so none is lost
            log.exception("source %s: unexpected error while storing items", source.id)
            return finish(failure=error, storing=True)
        if self.stop.is_set():
            # Stopped part-way: the checkpoint is not saved, so the next poll looks at the rest again.
            return finish(interrupted=True)
        return finish(discovery=discovery)

    def _turn(self, source: SourceConfig, health: SourceHealth | None, *, named: bool) -> Turn:
        config = self.setup.config
        every, zone = config.sources.every(source), config.monitor.zone
        return take_turn(source, health, every=every, now=self.clock(), named=named, zone=zone)

    def page_item(self, url: str) -> Item:
        """A page fetched and extracted exactly as a poll reads a story's page, as an item (`monitor test-rules
        --url`); raises ``FetchError`` when it has no text to test."""
        page, _ = read_page(self.setup, url)
        if page.body is None:
            raise FetchError(url, page.note)
        return Item(source_id="test-rules", key=url, url=url, title="", body=page.body)

    def forget_old_text(self) -> int:
        """Drop stored article text older than `retention`; the items and their matches stay."""
        return self.store.forget_bodies(before=self.clock() - self.setup.config.monitor.retention)

    # --- new items -------------------------------------------------------------------------------------------------

    def _take_new_items(
        self, source: SourceConfig, items: Iterable[Item], counts: PollCounts, *, first_poll: bool
    ) -> None:
        """Store every item not seen before, with its matches, in the source's order.

        Pages are fetched and matched a few at a time; what is ready, in order, is stored in one transaction whenever
        the next item is not ready yet, so a stop or a crash leaves a clean cut. An item whose page failed for a
        reason that may pass is stored with the matches of its feed text and waits for its page (see
        ``_retry_pages``)."""
        setup = self.setup
        known_by = [identified(item, setup.config.monitor.links) for item in items]
        known = self.store.known_keys(source.id, [key for item in known_by for key in item.keys])
        fresh = [item for item in known_by if known.isdisjoint(item.keys)]
        looked_at = [not first_poll or self._within_backfill(setup, item) for item in fresh]
        recorded = [item for item, look in zip(fresh, looked_at, strict=True) if not look]
        recorded_prints = iter(PROCESSES.run(item_prints, recorded) if recorded else [])
        prepared = [
            self._pages.submit(partial(self._prepare, source, item))
            if look
            else done(_Prepared(item, [], reported=False, printed=next(recorded_prints)))  # nothing to fetch or match
            for item, look in zip(fresh, looked_at, strict=True)
        ]
        with closing(ready_in_order(prepared)) as batches:
            for batch in batches:
                if self.stop.is_set():
                    return
                self._store_new_items([ready for ready in batch if ready is not None], counts)

    def _store_new_items(self, batch: Sequence[_Prepared], counts: PollCounts) -> None:
        found_at, new = self.clock(), []
        for ready in batch:
            item, tries, retry_at = ready.item, 0, None
            if ready.page_failure is not None:
                note, retry_at = after_failure(ready.page_failure, tries=1, found_at=found_at, now=found_at)
                item, tries = item.with_body(None, note), 1
            new.append(NewItem(item, ready.matches, ready.reported, tries, retry_at, ready.printed))
        stored = self.store.add_items(new, found_at=found_at, story_window=self._story_window)
        for ready, each, item_id in zip(batch, new, stored, strict=True):
            if item_id is None:
                continue
            counts.items += 1
            counts.topics += [match.topic_id for match in ready.matches]
            if ready.page_failure is not None:
                counts.page_failed(each.item.url, each.item.body_note)

    def _prepare(self, source: SourceConfig, item: Item) -> _Prepared | None:
        """A reported item with its full text and matches. None when the daemon is stopping: the item is left for the
        next poll.

        The item keeps the keys its source gave it, and gains those of where its link led and of the link its page
        names as its own on its site; it is stored under the latter, else the former, else its source's link (see
        ``monitor.links``). A link through an aggregator is followed even when the page is not read for its text."""
        setup, failure, read = self.setup, None, None
        if self.stop.is_set():
            return None
        links = setup.config.monitor.links
        story = setup.story_to_read(item, source.places)
        if item.body is None and setup.config.sources.full_text(source):
            page, read = read_page(setup, item.url, found_on=source.url, story=story)
            item, failure = page.applied_to(item, links), page.failure
        elif links.through_aggregator(item.url):
            item = follow_link(setup.fetcher, item, found_on=source.url, links=links, max_hops=setup.hops)
        # Matched in the pool too, in the page's trip: on a long article matching costs more than the rest of the
        # parent's work on it. Only the print's link and headline keys are made here, from the item as it is stored.
        read = story_read(story, read)
        return _Prepared(item, read.matches, True, failure, item_print(item, read.text_print))

    def _within_backfill(self, setup: PollSetup, item: Item) -> bool:
        backfill = setup.config.monitor.first_run_backfill
        return bool(backfill) and item.published is not None and item.published >= self.clock() - backfill

    # --- pages fetched again ---------------------------------------------------------------------------------------

    def _retry_pages(self, source: SourceConfig, counts: PollCounts) -> None:
        """Fetch again the pages of this source that failed before and are due; a page read at last is matched, and
        the topics its text adds are stored as new matches (a topic the item matched already is not matched twice).
        Each outcome is stored in one transaction, so a stop or a crash loses no page and repeats no match."""
        due = self.store.pages_due(source.id, now=self.clock())
        fetched = [self._pages.submit(partial(self._fetch_again, source, record)) for record in due]
        with closing(ready_in_order(fetched)) as batches:
            for retry in (retry for batch in batches for retry in batch):
                if retry is None or self.stop.is_set():
                    return
                self._store_page_retry(retry, counts)

    def _fetch_again(self, source: SourceConfig, record: ItemRecord) -> _PageRetry | None:
        if self.stop.is_set():
            return None
        if too_old_to_retry(record.found_at, self.clock()):
            return _PageRetry(record)
        setup = self.setup
        story = setup.story_to_read(record, source.places)
        page, read = read_page(setup, record.url, found_on=source.url, story=story)
        if page.failure:
            return _PageRetry(record, page)
        read = story_read(story, read)
        url = page.shown_link(record.url, setup.config.monitor.links)
        printed = item_print(replace(record, url=url, body=page.body), read.text_print)
        return _PageRetry(record, page, url, read.matches, printed)

    def _store_page_retry(self, retry: _PageRetry, counts: PollCounts) -> None:
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
                record.id,
                tries=record.page_tries,
                body=page.body,
                note=page.note,
                matches=retry.matches,
                story_window=self._story_window,
                url=retry.url,
                keys=page.keys(self.setup.config.monitor.links),
                printed=retry.printed,
            )
            if added is not None:
                counts.pages_read_late += 1
                counts.topics += added

    @property
    def _story_window(self) -> timedelta:
        return self.setup.config.monitor.digest.same_story_within

    def _page_workers(self) -> int:
        fetch = self.setup.config.monitor.fetch
        return max(fetch.concurrency, fetch.per_host)

    def close(self) -> None:
        """Stop the pools that fetch and read pages, dropping work not started; the next page starts them again."""
        self._pages.close()
        PROCESSES.close()

    # --- the end of a source's poll --------------------------------------------------------------------------------

    def _finish(
        self,
        source: SourceConfig,
        turn: Turn,
        started: float,
        counts: PollCounts,
        *,
        ends: Gathered[PollEnd],
        discovery: Discovery | None = None,
        failure: Exception | None = None,
        storing: bool = False,
        interrupted: bool = False,
    ) -> PollReport:
        seconds, now = time.monotonic() - started, self.clock()
        error = problem_text(failure, storing=storing) if failure else None
        wait, next_poll = None, ""
        if not interrupted:
            wait = turn.wait_after(failure, discovery.fresh_for if discovery else None, now=now)
            checkpoint = discovery.checkpoint if discovery else None
            end = PollEnd(
                source.id, now, checkpoint, error, counts.items, counts.matches, seconds, counts.page_error, wait
            )
            ends.add(end)
        if wait is not None:  # as the store records it: one more failure in a row, or none
            failures = turn.failures + 1 if error else 0
            zone = self.setup.config.monitor.zone
            next_poll = wait_text(wait, source.id, polled_at=now, failures=failures, now=now, zone=zone)
        unchanged = discovery is not None and discovery.unchanged
        log_poll(source.id, counts, error=error, unchanged=unchanged, next_poll=next_poll, seconds=seconds)
        return counts.report(
            source.id,
            error=error,
            seconds=seconds,
            unchanged=unchanged,
            next_poll=next_poll,
            gone=wait is not None and wait.reason is WaitReason.GONE and not turn.was_gone,
            failure=failure_kind(failure, storing=storing) if failure else None,
        )


__all__ = ["PageText", "PollReport", "PollSetup", "Poller"]
