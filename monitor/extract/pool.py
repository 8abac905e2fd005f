"""Article pages read in other processes: trafilatura is Python, and a process runs Python on one core at a time, so a
poll that reads many pages reads them in a pool of processes, one per core.

One pool serves the whole process (``ARTICLES``): it starts with the first page read (a command that reads none never
starts it) and lasts until it is closed; the next page read starts it again. Its processes are forked from a server
that has imported the extractor once, and each is replaced after ``PAGES_PER_PROCESS`` pages, which also empties the
caches trafilatura only ever grows.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from monitor.extract.html import Article, read_article

PAGES_PER_PROCESS = 500


class ArticleReader:
    """``read_article`` in a pool of ``processes`` processes (one per core when not given); safe to share between
    threads."""

    def __init__(self, processes: int | None = None) -> None:
        self._processes = processes or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def read(self, content: bytes, url: str) -> Article:
        """The article of a downloaded page, as ``read_article`` gives it; its exceptions are raised here."""
        pool = self._started()
        try:
            return pool.submit(read_article, content, url).result()
        except BrokenProcessPool:  # a process died (killed, out of memory): the next page gets a new pool
            self._discard(pool)
            raise

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["monitor.extract.html", "trafilatura"])
                self._pool = ProcessPoolExecutor(
                    self._processes, mp_context=context, max_tasks_per_child=PAGES_PER_PROCESS
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


ARTICLES = ArticleReader()
