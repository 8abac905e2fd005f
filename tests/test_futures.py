"""Values gathered from several threads and written a batch at a time (``monitor.futures.Gathered``)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from monitor.futures import Gathered


def test_a_batch_is_written_by_the_thread_that_fills_it_and_flush_writes_the_rest() -> None:
    written: list[tuple[str, list[int]]] = []
    gathered: Gathered[int] = Gathered(lambda batch: written.append((threading.current_thread().name, batch)), 3)
    for value in range(4):
        gathered.add(value)
    assert written == [(threading.current_thread().name, [0, 1, 2])]  # 3 is waiting for its batch
    gathered.flush()
    gathered.flush()  # nothing left: nothing written
    assert [batch for _, batch in written] == [[0, 1, 2], [3]]


def test_values_added_from_many_threads_are_each_written_once() -> None:
    written: list[list[int]] = []
    gathered = Gathered(written.append, 7)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(gathered.add, range(1000)))
    gathered.flush()
    assert sorted(value for batch in written for value in batch) == list(range(1000))
