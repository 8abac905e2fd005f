"""The daemon: APScheduler jobs built from the configuration, reloads that keep the last good config, clean signals.

Jobs live in memory and are rebuilt from the YAML at start (the store keeps everything that must survive a restart).
SIGTERM and SIGINT let the job in flight finish its current item and exit; SIGHUP re-reads the configuration at once.

Several daemons may work on one PostgreSQL database: each poll job first asks the store for the source's turn, which
goes to one daemon at a time (monitor/store/turns.py); the others skip it. On SQLite a second daemon is refused.

Polls run in one pool and send nothing; everything that sends (digests, retries, the alerts and notices a poll calls
for, the notice about a broken configuration) runs in the "deliver" pool, through the delivery service.
"""

from __future__ import annotations

import itertools
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.app import App
from monitor.config import Config, ConfigErrors, ConfigWatcher
from monitor.cron import cron_trigger
from monitor.deliver.outbox import process_owner
from monitor.deliver.service import Notice
from monitor.observe import logs
from monitor.observe.metrics import DaemonMetrics, StoredFigures
from monitor.observe.server import Health
from monitor.poll import PollReport
from monitor.store import StoreError

log = logging.getLogger("monitor.daemon")

# How long a stopping daemon waits for the job in flight; containers send SIGKILL after 10 s.
STOP_GRACE_SECONDS = 8.0
OUTBOX_EVERY = timedelta(minutes=1)
DIGEST_GRACE_SECONDS = 3600  # a digest that could not start on time still goes out within the hour
TIDY_EVERY = timedelta(hours=6)
ONCE = "once:"  # the id prefix of one-off jobs (the sending after a poll), which a reload leaves alone


class Daemon:
    def __init__(self, watcher: ConfigWatcher, app: App) -> None:
        self.watcher, self.app = watcher, app
        self.metrics = DaemonMetrics(self._stored_figures)
        watcher.on_error = self._report_config_errors
        self.stop = app.stop
        # Raises StoreError when another daemon works on the same SQLite file.
        self.replica = app.store.join(process_owner(), at=app.clock())
        self._reload_now = threading.Event()
        self._once = itertools.count(1)
        self._running = 0
        self._idle = threading.Condition()
        # Polls share a pool sized by `fetch.concurrency`; digests and retries have their own, so slow council
        # sites can never make the morning digest late.
        self.scheduler = BackgroundScheduler(
            executors={
                "default": ThreadPoolExecutor(watcher.current.monitor.fetch.concurrency),
                "deliver": ThreadPoolExecutor(2),
            },
            timezone=watcher.current.monitor.zone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        self.scheduler.add_listener(self._on_job_trouble, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def run(self) -> int:
        self._install_signal_handlers()
        self._schedule(self.watcher.current)
        self.scheduler.start()
        log.info("running: %d sources; next digest %s", len(self.watcher.current.sources.sources), self.next_digest())
        while not self.stop.wait(0.5):
            if self._reload_now.is_set():
                self._reload_now.clear()
                self.reload()
        return self._shutdown()

    def next_digest(self) -> str:
        runs = [
            job.next_run_time for job in self.scheduler.get_jobs() if job.id.startswith("digest:") and job.next_run_time
        ]
        return min(runs).isoformat(timespec="minutes") if runs else "not scheduled"

    def reload(self) -> None:
        """Take up an edited configuration if it is valid; otherwise keep running on the last good one."""
        if self.watcher.refresh():
            logs.use_config(self.watcher.current)  # its format, and the secrets of outputs added since
            self.app.use_config(self.watcher.current)
            self._schedule(self.watcher.current)
            self.metrics.record_reload(ok=True)
            log.info("configuration reloaded (%s)", self.watcher.current.fingerprint[:12])

    def health(self) -> Health:
        """Healthy while the scheduler runs and the database answers; else why not, in one line."""
        if self.stop.is_set():
            return Health(False, "stopping")
        if not self.scheduler.running:
            return Health(False, "the scheduler is not running")
        try:
            self.app.store.ping()
        except StoreError as error:
            return Health(False, str(error))
        return Health(True, f"ok: {len(self.app.config.sources.sources)} sources; next digest {self.next_digest()}")

    def _stored_figures(self) -> StoredFigures:
        counts = self.app.views.outbox_counts()
        return StoredFigures(counts.pending, counts.failed, self.app.store.last_sent(kind="digest"))

    def _report_config_errors(self, errors: ConfigErrors) -> None:
        self.metrics.record_reload(ok=False)
        lines = "\n".join(str(error) for error in errors.errors)
        self.app.delivery.notify_admin(
            Notice("Configuration not reloaded", f"{lines}\nStill running on the last good configuration.")
        )
        self._deliver_soon("deliver:notice", self._send_notices)

    # --- jobs ------------------------------------------------------------------------------------------------------

    def _schedule(self, config: Config) -> None:
        wanted = set()
        zone = config.monitor.zone
        for source in config.sources.sources:
            job_id = f"poll:{source.id}"
            trigger = IntervalTrigger(
                seconds=config.sources.every(source).total_seconds(),
                jitter=config.sources.jitter(source).total_seconds() or None,
                timezone=zone,
            )
            self._add(job_id, trigger, self._job(partial(self._poll, source.id)), first_run_now=True)
            wanted.add(job_id)
        for index, edition in enumerate(config.monitor.digest.schedule):
            # The name is in the id: renaming an edition replaces its job, whose function carries the name.
            job_id = f"digest:{index}:{edition.name}"
            self._add(
                job_id,
                cron_trigger(edition.cron, zone),
                self._job(partial(self._digest, edition.name)),
                executor="deliver",
                misfire_grace_time=DIGEST_GRACE_SECONDS,
            )
            wanted.add(job_id)
        self._add(
            "deliver:retry",
            IntervalTrigger(seconds=OUTBOX_EVERY.total_seconds()),
            self._job(self._send_due),
            executor="deliver",
        )
        wanted.add("deliver:retry")
        self._add(
            "tidy", IntervalTrigger(seconds=TIDY_EVERY.total_seconds()), self._job(self._tidy), executor="deliver"
        )
        wanted.add("tidy")
        for job in self.scheduler.get_jobs():
            if job.id not in wanted and not job.id.startswith(ONCE):
                job.remove()

    def _add(
        self, job_id: str, trigger: BaseTrigger, func: Callable[[], object], first_run_now: bool = False, **options: Any
    ) -> None:
        """Add or replace a job; an unchanged schedule keeps its job, so a reload does not push its next run back."""
        existing = self.scheduler.get_job(job_id)
        if existing is not None and _schedule_of(existing.trigger) == _schedule_of(trigger):
            return
        if first_run_now and existing is None:
            options["next_run_time"] = self.app.clock()
        self.scheduler.add_job(func, trigger, id=job_id, name=job_id, replace_existing=True, **options)

    def _deliver_soon(self, name: str, work: Callable[[], object]) -> None:
        """Run ``work`` once, now, in the delivery pool."""
        self.scheduler.add_job(self._job(work), id=f"{ONCE}{name}:{next(self._once)}", name=name, executor="deliver")

    # The jobs' work: each looks up the App's parts when it runs, so a reload in between is taken up.

    def _poll(self, source_id: str) -> None:
        sources = self.app.config.sources
        source = next((source for source in sources.sources if source.id == source_id), None)
        if source is None:  # removed by a reload
            return
        store, shared_by = self.app.store, len(sources.sources)
        now, every = self.app.clock(), sources.every(source)
        if not store.take_turn(source_id, replica=self.replica, now=now, every=every):
            log.debug("source %s: its turn is another daemon's", source_id)
            return
        try:
            reports = self.app.poll([source_id])
        finally:
            store.end_turn(source_id, replica=self.replica, now=self.app.clock(), sources=shared_by)
        for report in reports:
            self.metrics.record_poll(report)
        self._deliver_soon("deliver:after-poll", partial(self._after_poll, reports))

    def _after_poll(self, reports: Sequence[PollReport]) -> None:
        self.app.delivery.after_poll(reports)

    def _digest(self, edition: str) -> None:
        self.app.delivery.digest(edition=edition)

    def _send_due(self) -> None:
        self.app.delivery.send_due()

    def _send_notices(self) -> None:
        self.app.delivery.send_due(kinds={"notice"})

    def _tidy(self) -> None:
        self.app.poller.forget_old_text()

    def _job(self, use_case: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            if self.stop.is_set():
                return
            with self._idle:
                self._running += 1
            try:
                self.reload()
                use_case()
            finally:
                with self._idle:
                    self._running -= 1
                    self._idle.notify_all()

        return run

    def _on_job_trouble(self, event: JobEvent) -> None:
        if getattr(event, "exception", None) is not None:
            log.error("job %s failed: %s", event.job_id, event.exception, exc_info=event.exception)
            return
        if event.code == EVENT_JOB_MAX_INSTANCES:  # refused runs come as a list of times
            times = ", ".join(map(str, getattr(event, "scheduled_run_times", ())))
            log.warning("job %s did not run at %s: its previous run was still going", event.job_id, times)
            return
        log.warning(
            "job %s did not run at %s: the daemon was too late for it (the machine asleep, paused or overloaded)",
            event.job_id,
            getattr(event, "scheduled_run_time", None),
        )

    # --- stopping ----------------------------------------------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda *_: self._reload_now.set())

    def _request_stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the job in flight, then stopping", signal.Signals(signum).name)
        self.stop.set()

    def _shutdown(self) -> int:
        self.scheduler.shutdown(wait=False)
        with self._idle:
            finished = self._idle.wait_for(lambda: self._running == 0, timeout=STOP_GRACE_SECONDS)
        if not finished:
            log.warning(
                "a job was still running after %.0f s; stopping anyway (its item will be polled again)",
                STOP_GRACE_SECONDS,
            )
        self.app.store.leave(self.replica)
        self.app.close()
        log.info("stopped")
        return 0


def _schedule_of(trigger: BaseTrigger) -> tuple[str, str, str, object]:
    """What makes two triggers the same schedule (``str()`` alone leaves out the time zone and the jitter)."""
    return type(trigger).__name__, str(trigger), str(trigger.timezone), trigger.jitter
