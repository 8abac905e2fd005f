"""Daemons' turns (monitor/store/turns.py), white box: each Store opened here is one daemon's connection to the
database, and each replica that joins is one daemon. Several live daemons need PostgreSQL; SQLite lets
one in at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from monitor.store import Replica, Store, StoreError

pytestmark = [pytest.mark.both_backends, pytest.mark.usefixtures("database_url")]

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
EVERY = timedelta(minutes=10)


class Daemon:
    """One daemon's view of the database: its own store (so its own connections), joined as a replica."""

    def __init__(self, url: str, name: str) -> None:
        self.store = Store(url)
        self.replica = self.store.join(name, at=T0)

    def turn(self, source_id: str, at: datetime, *, sources: int = 1) -> bool:
        """Take the source's turn at ``at`` and, when it is this daemon's, end it (the poll itself is not the point)."""
        taken = self.store.take_turn(source_id, replica=self.replica, now=at, every=EVERY)
        if taken:
            self.store.end_turn(source_id, replica=self.replica, now=at, sources=sources)
        return taken

    def leave(self) -> None:
        self.store.leave(self.replica)
        self.store.close()


@pytest.fixture
def daemons(database_url: str) -> Iterator[list[Daemon]]:
    """``daemons`` starts empty; the test appends the daemons it starts, and those still running are stopped."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.replica.hold is not None:
            daemon.leave()


def test_a_daemon_polls_its_source_at_every_one_of_its_turns(database_url, daemons):
    daemons.append(Daemon(database_url, "host-a:1"))
    assert [daemons[0].turn("echo", T0 + n * EVERY) for n in range(4)] == [True] * 4


def test_a_restarted_daemon_takes_the_sources_of_the_one_before_half_an_interval_after_their_last_poll(
    database_url, daemons
):
    before = Daemon(database_url, "host-a:1")
    assert before.turn("echo", T0)
    before.leave()

    daemons.append(Daemon(database_url, "host-a:2"))
    assert not daemons[0].turn("echo", T0 + EVERY / 4)  # it was polled a moment ago: not again already
    assert daemons[0].turn("echo", T0 + EVERY / 2)


@pytest.mark.usefixtures("sqlite_only")
def test_sqlite_lets_one_daemon_work_on_a_file_at_a_time(tmp_path):
    url = Store.default_url(tmp_path / "data")
    first = Daemon(url, "host-a:1")
    with pytest.raises(StoreError) as refused, Store(url) as second:
        second.join("host-a:2", at=T0)
    assert str(refused.value).count("\n") == 0
    assert f"another `monitor run` is already working on {tmp_path / 'data' / 'beatwatch.sqlite3'}" in str(
        refused.value
    )
    assert "PostgreSQL (MONITOR_DATABASE_URL)" in str(refused.value)

    first.leave()
    Daemon(url, "host-a:3").leave()  # its lock went with it


def test_a_live_daemons_source_is_left_to_it_until_it_is_half_an_interval_late(postgres_only, daemons):
    a, b = Daemon(postgres_only, "host-a:1"), Daemon(postgres_only, "host-b:1")
    daemons += [a, b]
    assert a.turn("echo", T0)
    assert not b.turn("echo", T0 + EVERY / 2)
    assert not b.turn("echo", T0 + EVERY)
    assert a.turn("echo", T0 + EVERY + timedelta(seconds=30))  # a's own turn, a little late: still a's
    assert not b.turn("echo", T0 + 2 * EVERY)
    assert b.turn("echo", T0 + EVERY + timedelta(seconds=30) + EVERY * 3 / 2)  # a missed its turn: b takes it
    assert not a.turn("echo", T0 + 3 * EVERY)  # and keeps it


def test_a_source_being_polled_is_never_taken_by_another_daemon(postgres_only, daemons):
    a, b = Daemon(postgres_only, "host-a:1"), Daemon(postgres_only, "host-b:1")
    daemons += [a, b]
    assert a.store.take_turn("council", replica=a.replica, now=T0, every=EVERY)
    assert not b.turn("council", T0 + 5 * EVERY)  # a's poll has gone on for a long time, but a lives: it is a's
    a.store.end_turn("council", replica=a.replica, now=T0 + 5 * EVERY, sources=1)
    assert not b.turn("council", T0 + 6 * EVERY)  # and a keeps it
    assert b.turn("council", T0 + 5 * EVERY + EVERY * 3 / 2)  # until it is half an interval late


def test_a_dead_daemons_sources_are_taken_at_the_next_turn_of_another_and_never_before_half_an_interval(
    postgres_only, daemons
):
    a, b = Daemon(postgres_only, "host-a:1"), Daemon(postgres_only, "host-b:1")
    daemons.append(b)
    assert a.store.take_turn("echo", replica=a.replica, now=T0, every=EVERY)  # a dies mid-poll
    assert a.turn("police", T0)
    a.leave()  # its connection closes, as when its process is killed

    assert not b.turn("echo", T0 + EVERY / 4)
    assert b.turn("echo", T0 + EVERY / 2, sources=2)
    assert b.turn("police", T0 + EVERY / 2, sources=2)


def test_a_daemon_over_its_share_hands_sources_on_after_polling_them_and_a_newcomer_takes_them(postgres_only, daemons):
    sources = [f"feed-{n}" for n in range(4)]
    a = Daemon(postgres_only, "host-a:1")
    daemons.append(a)
    assert all(a.turn(source, T0, sources=4) for source in sources)  # alone, a takes every source

    b = Daemon(postgres_only, "host-b:1")
    daemons.append(b)
    assert not any(b.turn(source, T0 + EVERY / 2, sources=4) for source in sources)  # all a's
    assert all(a.turn(source, T0 + EVERY, sources=4) for source in sources)  # a polls each, handing two on
    later = T0 + EVERY * 3 / 2
    assert [b.turn(source, later, sources=4) for source in sources] == [True, True, False, False]
    assert [a.turn(source, T0 + 2 * EVERY, sources=4) for source in sources] == [False, False, True, True]


def test_replicas_are_told_apart_by_their_ids(postgres_only, daemons):
    # The same name, as when a process id is used again.
    a, b = Daemon(postgres_only, "host-a:1"), Daemon(postgres_only, "host-a:1")
    daemons += [a, b]
    assert isinstance(a.replica, Replica) and a.replica.id != b.replica.id
    assert a.turn("echo", T0)
    assert not b.turn("echo", T0 + EVERY)
