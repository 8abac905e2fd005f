"""Downloaded documents read in other processes: feedparser and trafilatura are Python, and a process runs Python on
one core at a time, so a poll reads feeds and article pages, makes the story prints of what it found and matches new
stories (``Matcher`` travels as its rules), in a pool of processes, one per core, while its threads fetch and store.

One pool serves the whole process (``PROCESSES``): it starts with the first task (a command that gives it none never
starts it) and lasts until it is closed; the next task starts it again. Its processes are forked from a server that has
imported the readers once, and each is replaced after ``TASKS_PER_PROCESS`` tasks (a feed, or a new story: its page
read, matched and printed in one task), which also empties the caches trafilatura only ever grows. What runs there
must be pure: plain values in, a value out.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

from monitor.observe import logs

TASKS_PER_PROCESS = 500
_OWNER_POLL_SECONDS = 5  # where the end of the owner cannot be waited for
# Imported once, by the server the processes are forked from; monitor.story_pages brings the matcher's modules, and
# numpy.random draws the story prints' permutations (else each process imported it again at its first print).
_PRELOADED = [
    "monitor.extract.html", "trafilatura", "monitor.sources.feed", "monitor.sources.feed_xml", "monitor.story_pages",
    "numpy", "numpy.random", "bs4",
]  # fmt: skip
_Args = ParamSpec("_Args")
_Value = TypeVar("_Value")


class ProcessPool:
    """Pure functions run in a pool of ``processes`` processes (one per core when not given); safe to share between
    threads."""

    def __init__(self, processes: int | None = None) -> None:
        self._processes = processes or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, work: Callable[_Args, _Value], *args: _Args.args, **kwargs: _Args.kwargs) -> _Value:
        """``work(*args, **kwargs)`` in a process of the pool; its exceptions are raised here. ``work`` and what it
        takes and gives must pickle: a module-level function of plain values."""
        pool = self._started()
        try:
            return pool.submit(work, *args, **kwargs).result()
        except BrokenProcessPool:  # a process died (killed, out of memory): the next document gets a new pool
            self._discard(pool)
            raise

    def start_readers(self) -> None:
        """Start the server the processes are forked from now, without waiting for it: it imports the readers (more
        than a second of one core) while this process goes on loading its configuration, rather than holding up the
        first document read while every poll thread waits. A command that then reads nothing loses only that work."""
        _forkserver()
        multiprocessing.forkserver.ensure_running()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self._processes,
                    mp_context=_forkserver(),
                    max_tasks_per_child=TASKS_PER_PROCESS,
                    initializer=_start_process,
                    initargs=(os.getpid(), logs.settings()),
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


def _start_process(owner: int, log_settings: logs.LogSettings) -> None:
    """A process of the pool logs as its owner does (format, level, secrets masked: trafilatura's warnings about a page
    are worth reading) and ends when its owner ends."""
    logs.use(log_settings)
    _end_with(owner)


def _end_with(owner: int) -> None:
    """Make this process of the pool end when ``owner``, the process the pool serves, ends.

    A process of the pool waits for work on a pipe whose writing end it holds itself, so it would never learn that its
    owner was killed (SIGKILL, the out-of-memory killer): it, and the fork server it keeps alive, would stay for good,
    holding their memory. A thread here waits on the owner instead and ends the process with it."""
    try:
        owner_ended = os.pidfd_open(owner)  # readable once the owner has ended, whatever its process id becomes
    except (AttributeError, OSError):  # no pidfd (not Linux, or older than 5.3): ask every few seconds
        threading.Thread(target=_poll_owner, args=(owner,), daemon=True).start()
        return
    threading.Thread(target=_wait_for_owner, args=(owner_ended,), daemon=True).start()


def _wait_for_owner(owner_ended: int) -> None:
    select.select([owner_ended], [], [])
    os._exit(0)  # at once: the owner that wanted the work done is gone, and so is anyone to give it to


def _poll_owner(owner: int) -> None:
    while True:
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(0)
        time.sleep(_OWNER_POLL_SECONDS)


def _forkserver() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOADED)
    return context


PROCESSES = ProcessPool()
