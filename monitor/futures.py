"""Work done in pools, taken back in the order it was asked for; and values gathered to be written together."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from threading import Lock
from typing import Generic, TypeVar

_Result = TypeVar("_Result")
_Value = TypeVar("_Value")


def done(value: _Result) -> Future[_Result]:
    """A future already holding ``value``: work done at once, in line with work done in a pool."""
    future: Future[_Result] = Future()
    future.set_result(value)
    return future


def ready_in_order(futures: Sequence[Future[_Result]]) -> Generator[list[_Result], None, None]:
    """The results of ``futures`` in their order, in batches: a batch ends where the next result is not ready yet.
    Work not yet started when the caller stops reading is cancelled."""
    batch: list[_Result] = []
    try:
        for future in futures:
            if batch and not future.done():
                yield batch
                batch = []
            batch.append(future.result())
        if batch:
            yield batch
    finally:
        for future in futures:
            future.cancel()


class ThreadPool:
    """A pool of threads started at its first task (with as many threads as ``size()`` then says) and stopped by
    ``close``, after which the next task starts it again. Safe to use from several threads at once."""

    def __init__(self, size: Callable[[], int], name: str) -> None:
        self._size, self._name = size, name
        self._pool: ThreadPoolExecutor | None = None
        self._lock = Lock()

    def submit(self, work: Callable[[], _Result]) -> Future[_Result]:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._size(), thread_name_prefix=self._name)
            # The work runs in a copy of the caller's context, so its log lines still name what the caller's do.
            return self._pool.submit(copy_context().run, work)

    def close(self) -> None:
        """Wait for the tasks running; drop those not started."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class Gathered(Generic[_Value]):
    """Values from several threads written by ``write`` ``size`` at a time: the thread whose value fills a batch
    writes it, while the others go on gathering; ``flush`` writes what is left. Safe to use from several threads."""

    def __init__(self, write: Callable[[list[_Value]], None], size: int) -> None:
        self._write, self._size = write, size
        self._values: list[_Value] = []
        self._lock = Lock()

    def add(self, value: _Value) -> None:
        with self._lock:
            self._values.append(value)
            full = len(self._values) >= self._size
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            values, self._values = self._values, []
        if values:
            self._write(values)
