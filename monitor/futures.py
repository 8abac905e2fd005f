"""Work done in pools, taken back in the order it was asked for."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from concurrent.futures import Future
from typing import TypeVar

_Result = TypeVar("_Result")


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
