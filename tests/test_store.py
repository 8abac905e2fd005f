"""The store against real SQLite files, and a real PostgreSQL server when there is one (`make test-postgres`)."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from monitor.items import CouncilEvent, CouncilReference, Item
from monitor.match.types import Hit, Match, Snippet
from monitor.sources.council.memory import CouncilMemory, DocumentMemory, MeetingMemory
from monitor.sources.feed import FeedCheckpoint
from monitor.sources.moderngov.checkpoint import ModernGovCheckpoint, ReadBy, Reading
from monitor.store import (
    FAILED,
    PENDING,
    SENT,
    OutboxConflict,
    PollEnd,
    SourceWait,
    Store,
    StoreError,
    WaitReason,
    migrations,
    schema,
)

pytestmark = pytest.mark.both_backends

T0 = datetime(2026, 11, 12, 8, 0, tzinfo=UTC)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "fixtures" / "store"
# A checkpoint with nested memories, dates and times: it comes back from the store as it went in.
COUNCIL_CHECKPOINT = ModernGovCheckpoint(
    council=CouncilMemory(
        meetings={"4800": MeetingMemory("140", date(2026, 11, 12), "https://council.test/m/4800", "f1", False, True,
                                        items=("40107",), minutes={"40107": "a1b2c3d4"}, documents=("60001",))},
        documents={"60001": DocumentMemory("04/11/2026", "", tries=1)},
    ),
    reading=Reading(ReadBy.PAGES, "web service blocked (403)", since=T0, service_failed=T0),
    decisions={"5001": date(2026, 11, 5)},
)  # fmt: skip


@pytest.fixture
def store(database_url: str):
    with Store(database_url) as opened:
        yield opened


def make_item(n: int, *, source: str = "echo", aliases: tuple[str, ...] = (), **fields) -> Item:
    return Item(
        source_id=source,
        key=f"id:{n}",
        url=f"https://news.test/story/{n}",
        title=fields.pop("title", f"Story {n}: man stabbed in Westcliff"),
        aliases=aliases or (f"url:https://news.test/story/{n}",),
        **fields,
    )


def make_match(topic: str = "knife-crime", *, urgent: bool = False) -> Match:
    return Match(
        topic_id=topic,
        terms=("stabbed", "Westcliff"),
        hits=(Hit("stabbed", "title", 13, 20), Hit("Westcliff", "body", 40, 49)),
        snippet=Snippet("... a man was stabbed near the station ...", marks=((12, 19),), page=3),
        urgent=urgent,
    )


def add(
    store: Store, item: Item, *matches: Match, found_at: datetime = T0, reported: bool = True, **page
) -> int | None:
    return store.add_item(item, matches or (make_match(),), found_at=found_at, reported=reported, **page)


def deliver(
    store: Store, match_ids: list[int], output: str, destination: str, *, at: datetime = T0, kind: str = "digest"
) -> None:
    """Queue a one-part delivery of these matches and record it sent, as the outbox does."""
    key = f"{output}:{destination}:{kind}:{match_ids}:{at.isoformat()}"
    delivery = store.enqueue(
        key=key, output=output, destination=destination, kind=kind, parts=[{"text": "x"}], match_ids=match_ids, at=at
    )
    store.record_part_sent(delivery.id, index=0, receipt=None, at=at)


# -- items ------------------------------------------------------------------------------------------------------------


def test_an_item_is_known_by_its_key_and_every_alias_within_its_source(store: Store) -> None:
    item_id = add(store, make_item(1, aliases=("url:https://news.test/story/1", "hash:abc")))

    assert item_id is not None
    assert store.known_keys("echo", ["id:1", "url:https://news.test/story/1", "hash:abc", "id:2"]) == {
        "id:1",
        "url:https://news.test/story/1",
        "hash:abc",
    }
    republished = Item("echo", "id:new-guid", "https://news.test/story/1?utm_source=x", "Story", aliases=("hash:abc",))
    assert add(store, republished) is None
    assert store.known_keys("bbc-essex", ["id:1"]) == set()
    assert add(store, make_item(1, source="bbc-essex")) is not None


def test_an_item_overlapping_a_known_alias_writes_nothing_at_all(store: Store) -> None:
    add(store, make_item(1, aliases=("url:https://news.test/shared",)))

    second = make_item(2, aliases=("url:https://news.test/shared", "hash:second"))
    assert add(store, second, make_match("knife-crime"), make_match("violence")) is None

    assert store.known_keys("echo", ["id:2", "hash:second"]) == set()
    assert [record.key for record in store.items(since=EPOCH)] == ["id:1"]
    assert [match.item_id for match in store.matches()] == [1]


def test_a_failure_half_way_through_add_item_leaves_no_trace(store: Store) -> None:
    broken = Match(topic_id=None, terms=(), hits=(), snippet=Snippet(""))  # type: ignore[arg-type]

    with pytest.raises(IntegrityError):
        add(store, make_item(1), make_match(), broken)

    assert store.known_keys("echo", ["id:1", "url:https://news.test/story/1"]) == set()
    assert store.items(since=EPOCH) == []
    assert add(store, make_item(1)) is not None


def test_two_matches_for_one_topic_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="several matches for one topic"):
        add(store, make_item(1), make_match("knife-crime"), make_match("knife-crime"))


def test_backfill_records_the_item_but_not_its_matches(store: Store) -> None:
    add(store, make_item(1), reported=False)

    assert store.matches() == []
    [record] = store.items(since=EPOCH)
    assert (record.key, record.reported, record.topics) == ("id:1", False, ())
    assert add(store, make_item(1)) is None


def test_every_item_field_comes_back_and_times_come_back_in_utc(store: Store) -> None:
    published = datetime(2026, 11, 12, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    council = CouncilReference(CouncilEvent.MINUTES_PUBLISHED, committee="Cabinet", meeting_date=date(2026, 11, 12),
                               item_number="7", item_title="Community safety")  # fmt: skip
    item = make_item(
        1, summary="Feed summary", published=published, body="Full text", body_note="", kind="minutes", council=council
    )
    add(store, item, make_match("knife-crime"), make_match("council", urgent=True))

    [record] = store.items(since=EPOCH)
    assert (record.title, record.summary, record.body, record.kind, record.council) == (
        item.title,
        "Feed summary",
        "Full text",
        "minutes",
        council,
    )
    assert record.published == published and record.published.tzinfo == UTC
    assert record.found_at == T0 and record.found_at.tzinfo == UTC
    assert record.topics == ("knife-crime", "council")
    by_topic = {match.topic_id: match for match in store.matches()}
    assert by_topic["knife-crime"].hits == make_match().hits
    assert by_topic["knife-crime"].snippet == make_match().snippet
    assert by_topic["knife-crime"].terms == ("stabbed", "Westcliff")
    assert (by_topic["council"].urgent, by_topic["knife-crime"].urgent) == (True, False)
    assert by_topic["council"].council == council


def test_an_item_without_a_council_reference_comes_back_without_one(store: Store) -> None:
    add(store, make_item(1), make_match())
    [record] = store.items(since=EPOCH)
    assert record.council is None and store.matches()[0].council is None


def test_a_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        add(store, make_item(1), found_at=datetime(2026, 11, 12, 8, 0))


# -- polls ------------------------------------------------------------------------------------------------------------


def test_finish_polls_records_each_end_in_order_as_finish_poll_would(store: Store) -> None:
    store.finish_poll("echo", at=T0, checkpoint=None, error=None, new_items=0, new_matches=0, seconds=0.1)
    later, saved = T0 + timedelta(minutes=15), FeedCheckpoint(etag='"v2"')
    store.finish_polls(
        [
            PollEnd("echo", later, saved, None, 2, 1, 0.5),  # a row that exists
            PollEnd("police", later, None, "HTTP 503", 0, 0, 0.2),  # a first poll, failed: a new row
            PollEnd("police", later + timedelta(minutes=1), None, "HTTP 503", 0, 0, 0.2),  # after it, counted on it
        ]
    )
    echo, police = store.source_health()
    assert (echo.last_polled_at, echo.last_new_items, FeedCheckpoint.restore(echo.checkpoint)) == (later, 2, saved)
    assert (police.polled_once, police.consecutive_failures, police.last_error) == (False, 2, "HTTP 503")
    assert police.last_polled_at == later + timedelta(minutes=1)
    store.finish_polls([])  # nothing to record opens no transaction and fails nothing
    assert len(store.source_health()) == 2


def test_finish_poll_saves_the_checkpoint_on_success_and_counts_failures(store: Store) -> None:
    assert (store.source_state("echo"), store.source_health()) == ({}, [])

    store.finish_poll("echo", at=T0, checkpoint=None, error="timed out", new_items=0, new_matches=0, seconds=30.0)
    [health] = store.source_health()
    assert (health.polled_once, health.consecutive_failures, health.checkpoint, store.source_state("echo")) == (
        False,
        1,
        {},
        {},
    )

    later = T0 + timedelta(minutes=15)
    saved = FeedCheckpoint(etag='"v1"', body_hash="abc")
    store.finish_poll("echo", at=later, checkpoint=saved, error=None, new_items=3, new_matches=1, seconds=1.5)
    [health] = store.source_health()
    assert (health.polled_once, health.last_success_at, health.last_error, health.consecutive_failures) == (
        True,
        later,
        None,
        0,
    )
    assert (health.last_new_items, health.last_new_matches, health.last_seconds) == (3, 1, 1.5)
    assert store.source_state("echo") == {
        "etag": '"v1"',
        "last_modified": None,
        "body_hash": "abc",
        "feed_url": None,
        "page_url": None,
        "entry_prints": [],
    }

    store.finish_poll("echo", at=later, checkpoint=None, error=None, new_items=0, new_matches=0, seconds=0.2)
    assert FeedCheckpoint.restore(store.source_state("echo")) == saved

    for minutes in (30, 45):
        store.finish_poll(
            "echo",
            at=T0 + timedelta(minutes=minutes),
            checkpoint=FeedCheckpoint(etag="lost"),
            error="HTTP 503",
            new_items=0,
            new_matches=0,
            seconds=0.1,
        )
    [health] = store.source_health()
    assert (health.consecutive_failures, health.last_error, health.last_success_at) == (2, "HTTP 503", later)
    assert health.last_polled_at == T0 + timedelta(minutes=45)
    assert FeedCheckpoint.restore(store.source_state("echo")) == saved
    assert health.polled_once and FeedCheckpoint.restore(health.checkpoint) == saved


# -- matches ----------------------------------------------------------------------------------------------------------


def test_matches_are_newest_first_by_publication_else_by_discovery(store: Store) -> None:
    add(store, make_item(1, published=T0 - timedelta(hours=5)), found_at=T0)
    add(store, make_item(2), found_at=T0 - timedelta(hours=2))  # no publication time: found_at stands in
    add(store, make_item(3, published=T0 - timedelta(hours=1)), make_match("violence"), found_at=T0)

    assert [m.item_id for m in store.matches()] == [3, 2, 1]
    assert [m.item_id for m in store.matches(topic="violence")] == [3]
    assert [m.item_id for m in store.matches(since=T0 - timedelta(hours=1))] == [3, 1]
    first, third = store.matches(topic="knife-crime")[-1].id, store.matches(topic="violence")[0].id
    assert [m.id for m in store.matches(ids=[first, third])] == [third, first]


def test_a_sent_delivery_removes_its_matches_from_that_destination_only(store: Store) -> None:
    for n in (1, 2, 3):
        add(store, make_item(n, published=T0 + timedelta(minutes=n)))
    third, second, first = (m.id for m in store.matches())

    deliver(store, [first, second], "slack", "#crime")
    deliver(store, [first], "slack", "#crime", at=T0 + timedelta(hours=1))  # the first record stays
    deliver(store, [second], "email", "desk@example.org", kind="alert")

    assert [m.id for m in store.matches(undelivered_to=("slack", "#crime"))] == [third]
    assert [m.id for m in store.matches(undelivered_to=("slack", "#other"))] == [third, second, first]
    by_id = {m.id: m for m in store.matches()}
    assert by_id[first].delivered_to == (("slack", "#crime"),)
    assert by_id[first].alerted is False
    # An alert is its own fact: the match still waits for the digest at that destination.
    assert by_id[second].delivered_to == (("slack", "#crime"),)
    assert by_id[second].alerted is True
    email = ("email", "desk@example.org")
    assert [m.id for m in store.matches(undelivered_to=email)] == [third, second, first]
    assert [m.id for m in store.matches(undelivered_to=email, kind="alert")] == [third, first]
    assert (by_id[third].delivered, by_id[first].delivered) == (False, True)


def test_matches_queued_for_a_destination_are_not_offered_again(store: Store) -> None:
    for n in (1, 2):
        add(store, make_item(n, published=T0 + timedelta(minutes=n)))
    second, first = (m.id for m in store.matches())
    store.enqueue(
        key="k1", output="slack", destination="#crime", kind="digest", parts=[{"text": "x"}], match_ids=[first], at=T0
    )
    assert [m.id for m in store.matches(undelivered_to=("slack", "#crime"))] == [second]
    assert [m.id for m in store.matches(undelivered_to=("slack", "#crime"), kind="alert")] == [second, first]
    assert store.last_delivery_at("slack", "#crime") is None


# -- restart and schema -----------------------------------------------------------------------------------------------


def test_reopening_the_same_database_keeps_everything(database_url: str) -> None:
    with Store(database_url) as store:
        add(store, make_item(1))
        store.finish_poll("council", at=T0, checkpoint=COUNCIL_CHECKPOINT, error=None, new_items=1, new_matches=1,
                          seconds=1)  # fmt: skip
        [match] = store.matches()
        deliver(store, [match.id], "console", "-")

    with Store(database_url) as store:
        assert add(store, make_item(1)) is None
        assert ModernGovCheckpoint.restore(store.source_state("council")) == COUNCIL_CHECKPOINT
        assert store.source_health("council")[0].polled_once
        assert store.matches()[0].delivered_to == (("console", "-"),)
        assert add(store, make_item(2)) == 2

    assert _schema_versions(database_url) == [len(migrations.MIGRATIONS)]


def test_a_sources_wait_is_replaced_by_each_poll_and_read_back_by_source(store: Store) -> None:
    def finish(source_id: str, wait: SourceWait | None, error: str | None = None) -> None:
        store.finish_poll(source_id, at=T0, checkpoint=None, error=error, new_items=0, new_matches=0, seconds=0.1,
                          wait=wait)  # fmt: skip

    fresh = SourceWait(WaitReason.FRESH, T0 + timedelta(minutes=40), entry="e1")
    gone = SourceWait(WaitReason.GONE, None, entry="e2")
    finish("echo", fresh)
    finish("police", gone, error="answered 410 Gone")
    assert [(health.source_id, health.wait) for health in store.source_health()] == [("echo", fresh), ("police", gone)]
    assert [health.wait for health in store.source_health("police")] == [gone]
    assert store.source_health("nowhere") == []

    finish("echo", None)
    [echo] = store.source_health("echo")
    assert echo.wait is None and echo.consecutive_failures == 0


def test_upgrade_runs_each_new_step_once_and_a_newer_database_is_refused(database_url: str) -> None:
    Store(database_url).close()
    current = len(migrations.MIGRATIONS)
    added = Table("added_in_next_version", MetaData(), Column("id", Integer, primary_key=True))
    runs: list[int] = []

    def next_version(connection) -> None:
        runs.append(current + 1)
        added.create(connection)

    engine = create_engine(database_url)
    for _ in range(2):
        with engine.begin() as connection:
            assert (
                migrations.upgrade(connection, at=T0, migrations=(*migrations.MIGRATIONS, next_version)) == current + 1
            )
    engine.dispose()

    assert runs == [current + 1]
    assert _schema_versions(database_url) == [current, current + 1]
    newer = f"schema version {current + 1} but this Beatwatch knows versions up to {current}"
    with pytest.raises(StoreError, match=newer):
        Store(database_url)


def test_the_parts_in_flight_step_adds_its_column_to_an_older_database_and_keeps_its_outbox(database_url: str) -> None:
    step = migrations.MIGRATIONS.index(migrations._add_part_in_flight_since) + 1  # the version it brings a db to
    with Store(database_url) as store:
        delivery = store.enqueue(
            key="old",
            output="slack",
            destination="#crime",
            kind="digest",
            parts=[{"text": "1"}, {"text": "2"}],
            match_ids=[],
            at=T0,
        )
        store.record_part_sent(delivery.id, index=0, receipt="1.1", at=T0)
    engine = create_engine(database_url)
    with engine.begin() as connection:  # as the version before made it
        connection.execute(text("ALTER TABLE deliveries DROP COLUMN part_in_flight_since"))
        connection.execute(text("DELETE FROM schema_version"))
        connection.execute(schema.schema_version_table.insert().values(version=step - 1, applied_at=T0))

    with engine.begin() as connection:
        assert migrations.upgrade(connection, at=T0, migrations=migrations.MIGRATIONS[:step]) == step
    with engine.begin() as connection:
        connection.execute(schema.deliveries_table.update().values(part_in_flight_since=T0))
        row = connection.execute(select(schema.deliveries_table)).one()
    engine.dispose()

    assert (row.parts_sent, row.receipts, row.part_in_flight_since) == (1, ["1.1"], T0)


def _schema_versions(url: str) -> list[int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        versions = list(connection.scalars(select(schema.schema_version_table.c.version).order_by("version")))
    engine.dispose()
    return versions


def database_made_by(fixture: str, data_dir: Path, *, base_url: str = "{{BASE}}") -> str:
    """The URL of a SQLite database made from ``fixture``, a database an older Beatwatch wrote, dumped; ``base_url``
    takes the place of ``{{BASE}}``, the address of the site it was polled from."""
    url = Store.default_url(data_dir)
    connection = sqlite3.connect(data_dir / "beatwatch.sqlite3")
    connection.executescript((FIXTURES / fixture).read_text().replace("{{BASE}}", base_url))
    connection.close()
    return url


def test_a_database_made_by_schema_version_1_is_upgraded_and_keeps_everything(tmp_path: Path) -> None:
    url = database_made_by("schema-v1.sql", tmp_path / "old")

    with Store(url) as store:
        [old] = store.items(since=EPOCH)
        assert (old.title, old.topics, old.body_note) == (
            "Man stabbed in Westcliff",
            ("knife-crime",),
            "page not fetched: answered 503 Service Unavailable",
        )
        assert (old.page_tries, old.page_retry_at) == (0, None)  # stored before retries existed: not waiting
        assert store.source_state("echo") == {"etag": '"abc"'}
        [health] = store.source_health()
        assert (health.last_new_items, health.pages_waiting, health.last_page_error) == (1, 0, None)
        waiting = add(store, make_item(2), page_tries=1, page_retry_at=T0)
        assert [record.id for record in store.pages_due("echo", now=T0)] == [waiting]

    assert _schema_versions(url) == list(range(1, len(migrations.MIGRATIONS) + 1))
    new_url = Store.default_url(tmp_path / "new")
    Store(new_url).close()
    assert _tables(url) == _tables(new_url)  # upgraded to what a new database is made with


def test_a_database_made_by_schema_version_3_keeps_its_outbox_with_one_record_of_what_each_delivery_carries(
    tmp_path: Path,
) -> None:
    url = database_made_by("schema-v3.sql", tmp_path / "old")

    with Store(url) as store:
        sent, half_sent, given_up, notice = store.deliveries()
        assert [(d.state, d.match_ids) for d in (sent, half_sent, given_up, notice)] == [
            (SENT, (1, 2)),
            (PENDING, (1, 2, 3)),
            (FAILED, (3,)),
            (PENDING, ()),
        ]
        assert (half_sent.parts_sent, half_sent.receipts, half_sent.part_in_flight_since, half_sent.last_error) == (
            1,
            ("1700000000.0001",),
            T0,
            "slack -> #crime: timed out",
        )
        # The given-up alert still holds its match, and so its story (match 2 is of the same item), for its destination;
        # a delivery is still found by its key.
        assert [m.id for m in store.matches(undelivered_to=("email", "desk@example.org"), kind="alert")] == [1]
        assert (
            store.enqueue(
                key=notice.key, output="console", destination="-", kind="notice", parts=[{}], match_ids=[1], at=T0
            )
            == notice
        )
        retry_at = T0 + timedelta(minutes=2)
        claimed(store, half_sent.id, retry_at)
        store.record_part_sent(half_sent.id, index=1, receipt="1700000000.0002", at=retry_at)
        assert store.matches(undelivered_to=("slack", "#crime")) == []
        assert {m.id: m.delivered_to for m in store.matches()}[1] == (("console", "-"), ("slack", "#crime"))

    assert _schema_versions(url) == list(range(3, len(migrations.MIGRATIONS) + 1))
    assert "match_ids" not in _tables(url)["deliveries"][0]
    connection = sqlite3.connect(tmp_path / "old" / "beatwatch.sqlite3")
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.close()
    new_url = Store.default_url(tmp_path / "new")
    Store(new_url).close()
    assert _tables(url) == _tables(new_url)


def test_a_database_made_by_schema_version_6_is_upgraded_with_sources_that_wait_for_nothing(tmp_path: Path) -> None:
    url = database_made_by("schema-v6.sql", tmp_path / "old")
    at = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

    with Store(url) as store:
        broken, echo = store.source_health()
        assert (echo.source_id, echo.last_success_at, echo.consecutive_failures, echo.wait) == ("echo", at, 0, None)
        assert (broken.consecutive_failures, broken.last_polled_at, broken.wait) == (4, at, None)
        assert broken.last_error == "{{BASE}}/missing.xml: answered 503 Service Unavailable"
        kept = FeedCheckpoint('"abc"', "Thu, 26 Nov 2026 05:00:00 GMT", "f00d")
        assert FeedCheckpoint.restore(store.source_state("echo")) == kept
        wait = SourceWait(WaitReason.BACKING_OFF, at + timedelta(hours=2), entry="0123456789abcdef")
        store.finish_poll("broken", at=at, checkpoint=None, error="again", new_items=0, new_matches=0, seconds=0.1,
                          wait=wait)  # fmt: skip
        assert [health.wait for health in store.source_health("broken")] == [wait]

    assert _schema_versions(url) == list(range(6, len(migrations.MIGRATIONS) + 1))
    new_url = Store.default_url(tmp_path / "new")
    Store(new_url).close()
    assert _tables(url) == _tables(new_url)


def test_a_database_made_by_schema_version_4_keeps_the_council_meaning_of_its_items_as_references(
    tmp_path: Path,
) -> None:
    url = database_made_by("schema-v4.sql", tmp_path / "old")

    with Store(url) as store:
        items = {item.key: item for item in store.items(since=EPOCH)}
        assert items["doc:60001"].council == CouncilReference(
            event=CouncilEvent.DOCUMENT_ADDED,
            committee="Cabinet",
            meeting_date=date(2026, 11, 12),
            meeting_url="{{BASE}}/ieListDocuments.aspx?CId=140&MId=4800",
            item_number="7",
            item_title="Community Safety Partnership update",
            document_url="{{BASE}}/mgConvert2PDF.aspx?ID=60001",
        )  # and the "pages" pair, which nothing read, is gone
        assert items["decision:5001"].council == CouncilReference(
            event=CouncilEvent.DECISION_PUBLISHED,
            decision_maker="Cabinet Member for Community Safety",
            decision_date=date(2026, 11, 4),
        )
        assert items["decision:5002"].council.meeting_url == "{{BASE}}/ieListDocuments.aspx?CId=140&MID=4800"
        assert {item.council.event for item in items.values() if item.council} == {
            CouncilEvent.AGENDA_PUBLISHED,
            CouncilEvent.DOCUMENT_ADDED,
            CouncilEvent.DECISION_PUBLISHED,
        }
        assert len(items) == 10 and all(item.council for item in items.values())
        by_id = {item.id: item for item in items.values()}
        assert all(match.council == by_id[match.item_id].council for match in store.matches())
        add(store, make_item(1))  # an article stored after the upgrade has no reference
        assert [item.council for item in store.items(since=EPOCH) if item.key == "id:1"] == [None]

    assert _schema_versions(url) == list(range(4, len(migrations.MIGRATIONS) + 1))
    assert "context" not in _tables(url)["items"][0]
    new_url = Store.default_url(tmp_path / "new")
    Store(new_url).close()
    assert _tables(url) == _tables(new_url)


def test_the_council_reference_step_turns_articles_pairs_into_no_reference_on_every_backend(database_url: str) -> None:
    step = (
        migrations.MIGRATIONS.index(migrations._council_reference_in_one_object) + 1
    )  # the version it brings a database to
    with Store(database_url) as store:
        add(store, make_item(1))
        add(store, make_item(2))
    engine = create_engine(database_url)
    pairs = [["committee", "Cabinet"], ["meeting_date", "2026-11-12"], ["event", "minutes_published"],
             ["pages", "form-feed"]]  # fmt: skip
    with engine.begin() as connection:  # as the version before made it
        connection.execute(text("ALTER TABLE items RENAME COLUMN council TO context"))
        connection.execute(text("UPDATE items SET context = '[]' WHERE id = 1"))
        connection.execute(text("UPDATE items SET context = :pairs WHERE id = 2"), {"pairs": json.dumps(pairs)})
        connection.execute(text("DELETE FROM schema_version"))
        connection.execute(schema.schema_version_table.insert().values(version=step - 1, applied_at=T0))
    with engine.begin() as connection:  # up to this step only: later steps expect the tables of their own time
        assert migrations.upgrade(connection, at=T0, migrations=migrations.MIGRATIONS[:step]) == step
        councils = connection.scalars(select(schema.items_table.c.council).order_by(schema.items_table.c.id)).all()
    engine.dispose()

    article, minutes = councils
    assert article is None
    assert minutes == CouncilReference(
        CouncilEvent.MINUTES_PUBLISHED, committee="Cabinet", meeting_date=date(2026, 11, 12)
    )


def test_the_one_record_step_drops_the_json_copy_of_what_a_delivery_carries_on_every_backend(database_url: str) -> None:
    step = (
        migrations.MIGRATIONS.index(migrations._one_record_of_delivery_matches) + 1
    )  # the version it brings a database to
    with Store(database_url) as store:
        queued = store.enqueue(
            key="old",
            output="slack",
            destination="#crime",
            kind="digest",
            parts=[{"text": "1"}],
            match_ids=_two_matches(store),
            at=T0,
        )
    engine = create_engine(database_url)
    with engine.begin() as connection:  # as the version before made it
        connection.execute(text("ALTER TABLE deliveries ADD COLUMN match_ids TEXT NOT NULL DEFAULT '[]'"))
        connection.execute(text("DELETE FROM schema_version"))
        connection.execute(schema.schema_version_table.insert().values(version=step - 1, applied_at=T0))
    with engine.begin() as connection:  # up to this step only: later steps expect the tables of their own time
        assert migrations.upgrade(connection, at=T0, migrations=migrations.MIGRATIONS[:step]) == step
        carried = connection.scalars(select(schema.delivery_matches_table.c.match_id).order_by("match_id")).all()
    engine.dispose()

    assert carried == [1, 2] and queued.match_ids == (1, 2)
    assert "match_ids" not in _tables(database_url)["deliveries"][0]


def _tables(url: str) -> dict[str, tuple[dict[str, object], list[object], list[object], list[object]]]:
    """Every table's columns (type, nullability, default), indexes, unique constraints and foreign keys, as the
    database reports them."""
    engine = create_engine(url)
    found = inspect(engine)
    tables = {
        name: (
            {
                column["name"]: (str(column["type"]), column["nullable"], column["default"])
                for column in found.get_columns(name)
            },
            sorted((index["name"], tuple(index["column_names"])) for index in found.get_indexes(name)),
            sorted(tuple(unique["column_names"]) for unique in found.get_unique_constraints(name)),
            sorted(
                (tuple(key["constrained_columns"]), key["referred_table"], tuple(key["referred_columns"]))
                for key in found.get_foreign_keys(name)
            ),
        )
        for name in found.get_table_names()
    }
    engine.dispose()
    return tables


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url = Store.default_url(tmp_path / "data")
    Store(url).close()

    connection = sqlite3.connect(tmp_path / "data" / "beatwatch.sqlite3")
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()
    with Store(url) as store, pytest.raises(IntegrityError):
        store.enqueue(key="k", output="console", destination="-", kind="digest", parts=[{}], match_ids=[999], at=T0)


def test_an_unopenable_database_says_where_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open the SQLite database .*missing.*MONITOR_DATABASE_URL"):
        Store(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    with pytest.raises(StoreError, match="not a SQLAlchemy URL"):
        Store("data/beatwatch.sqlite3")


# -- outbox -----------------------------------------------------------------------------------------------------------


def _two_matches(store: Store) -> list[int]:
    add(store, make_item(1))
    add(store, make_item(2))
    return sorted(m.id for m in store.matches())


def test_enqueue_is_idempotent_by_key(store: Store) -> None:
    match_ids = _two_matches(store)
    first = store.enqueue(
        key="slack:#crime:abc",
        output="slack",
        destination="#crime",
        kind="digest",
        parts=[{"text": "one"}],
        match_ids=match_ids,
        at=T0,
    )
    again = store.enqueue(
        key="slack:#crime:abc",
        output="slack",
        destination="#crime",
        kind="digest",
        parts=[{"text": "changed"}],
        match_ids=[],
        at=T0 + timedelta(hours=1),
    )

    assert again == first
    assert (first.state, first.parts, first.match_ids, first.next_attempt_at) == (
        PENDING,
        ({"text": "one"},),
        tuple(match_ids),
        T0,
    )
    assert [d.id for d in store.deliveries()] == [first.id]
    with pytest.raises(ValueError, match="has no parts"):
        store.enqueue(key="k2", output="slack", destination="#c", kind="digest", parts=[], match_ids=[], at=T0)


def test_parts_progress_survives_a_restart_and_the_last_part_delivers_the_matches(database_url: str) -> None:
    parts = [{"text": "part 1"}, {"text": "part 2"}, {"text": "part 3"}]
    with Store(database_url) as store:
        match_ids = _two_matches(store)
        delivery = store.enqueue(
            key="d1", output="slack", destination="#crime", kind="digest", parts=parts, match_ids=match_ids, at=T0
        )
        store.record_part_sent(delivery.id, index=0, receipt="1700000000.0001", at=T0)

    with Store(database_url) as store:
        [due] = store.due_deliveries(now=T0)
        assert (due.parts_sent, due.receipts, due.state) == (1, ("1700000000.0001",), PENDING)
        assert [m.delivered for m in store.matches()] == [False, False]

        store.record_part_sent(delivery.id, index=1, receipt=None, at=T0 + timedelta(seconds=1))
        assert [m.delivered for m in store.matches()] == [False, False]
        store.record_part_sent(delivery.id, index=2, receipt="1700000000.0003", at=T0 + timedelta(seconds=2))

        [sent] = store.deliveries(states=[SENT])
        assert (sent.parts_sent, sent.receipts) == (3, ("1700000000.0001", None, "1700000000.0003"))
        assert (sent.sent_at, sent.next_attempt_at) == (T0 + timedelta(seconds=2), None)
        assert store.due_deliveries(now=T0 + timedelta(days=1)) == []
        assert store.matches(undelivered_to=("slack", "#crime")) == []
        assert [m.delivered_to for m in store.matches()] == [(("slack", "#crime"),)] * 2
        assert store.last_delivery_at("slack", "#crime") == T0 + timedelta(seconds=2)
        assert all(not m.alerted for m in store.matches())
        with pytest.raises(ValueError, match="is sent, not pending"):
            store.record_part_sent(delivery.id, index=3, receipt="again", at=T0)


def test_a_sent_alert_marks_its_matches_alerted(store: Store) -> None:
    match_ids = _two_matches(store)
    alert = store.enqueue(
        key="a1",
        output="email",
        destination="desk@example.org",
        kind="alert",
        parts=[{"subject": "Urgent"}],
        match_ids=match_ids[:1],
        at=T0,
    )
    store.record_part_sent(alert.id, index=0, receipt="<id@example.org>", at=T0)

    alerted = {m.id: m.alerted for m in store.matches()}
    assert alerted == {match_ids[0]: True, match_ids[1]: False}


def claimed(store: Store, delivery_id: int, at: datetime, owner: str = "host:1"):
    """Claim a delivery as a sender would before trying it."""
    record = store.claim(delivery_id, owner=owner, now=at, until=at + timedelta(minutes=10), is_gone=lambda _: False)
    assert record is not None
    return record


def test_failures_back_off_then_fail_and_retry_now_requeues(store: Store) -> None:
    delivery = store.enqueue(
        key="d1", output="slack", destination="#crime", kind="digest", parts=[{"text": "x"}], match_ids=[], at=T0
    )
    retry_at = T0 + timedelta(minutes=2)
    claimed(store, delivery.id, T0)
    store.record_failure(
        delivery.id, owner="host:1", at=T0, error="slack -> #crime: HTTP 500", next_attempt_at=retry_at
    )

    assert store.due_deliveries(now=T0 + timedelta(minutes=1)) == []
    [due] = store.due_deliveries(now=retry_at)
    assert (due.attempts, due.last_error, due.state, due.last_attempt_at, due.claimed_by) == (
        1,
        "slack -> #crime: HTTP 500",
        PENDING,
        T0,
        None,
    )

    claimed(store, delivery.id, retry_at)
    store.record_failure(
        delivery.id, owner="host:1", at=retry_at, error="slack -> #crime: channel_not_found", next_attempt_at=None
    )
    [failed] = store.deliveries(states=[FAILED])
    assert (failed.attempts, failed.next_attempt_at) == (2, None)
    assert store.due_deliveries(now=T0 + timedelta(days=1)) == []
    with pytest.raises(ValueError, match="is failed"):
        store.record_failure(delivery.id, owner="host:1", at=retry_at, error="again", next_attempt_at=None)

    later = T0 + timedelta(hours=1)
    assert store.retry_now(delivery.id, at=later) == (1, 0)
    assert store.retry_now(None, at=later) == (0, 1)  # now pending, and due already
    [due] = store.due_deliveries(now=later)
    assert (due.state, due.attempts, due.next_attempt_at, due.last_error) == (
        PENDING,
        0,
        later,
        "slack -> #crime: channel_not_found",
    )
    with pytest.raises(LookupError, match="no delivery 999"):
        store.record_part_sent(999, index=0, receipt=None, at=T0)


def test_retry_now_brings_a_pending_delivery_forward_and_never_back(store: Store) -> None:
    waiting = store.enqueue(key="w", output="slack", destination="#c", kind="digest", parts=[{}], match_ids=[], at=T0)
    claimed(store, waiting.id, T0)
    store.record_failure(waiting.id, owner="host:1", at=T0, error="HTTP 502", next_attempt_at=T0 + timedelta(hours=1))

    assert store.retry_now(waiting.id, at=T0 + timedelta(minutes=1)) == (0, 1)
    assert store.retry_now(waiting.id, at=T0 + timedelta(minutes=5)) == (0, 1)
    [due] = store.deliveries()
    assert (due.next_attempt_at, due.attempts, due.last_error) == (T0 + timedelta(minutes=1), 1, "HTTP 502")
    assert store.retry_now(12345, at=T0) == (0, 0)


def test_deliveries_filter_by_state_and_recent_activity(store: Store) -> None:
    old = store.enqueue(key="old", output="console", destination="-", kind="digest", parts=[{}], match_ids=[], at=T0)
    new_at = T0 + timedelta(days=2)
    new = store.enqueue(
        key="new", output="console", destination="-", kind="digest", parts=[{}], match_ids=[], at=new_at
    )
    claimed(store, old.id, T0 + timedelta(days=1))
    store.record_failure(old.id, owner="host:1", at=T0 + timedelta(days=1), error="refused", next_attempt_at=None)

    assert [d.key for d in store.deliveries(states=[PENDING])] == ["new"]
    assert [d.key for d in store.deliveries(since=T0 + timedelta(hours=12))] == ["old", "new"]
    assert [d.key for d in store.deliveries(since=new_at)] == ["new"]
    assert store.retry_now(None, at=new_at) == (1, 1)
    assert [d.id for d in store.due_deliveries(now=new_at)] == [old.id, new.id]


# -- retention --------------------------------------------------------------------------------------------------------


def test_forget_bodies_drops_old_text_and_keeps_the_rest(store: Store) -> None:
    add(store, make_item(1, body="old text"), found_at=T0 - timedelta(days=40))
    add(store, make_item(2, body=None, body_note="HTTP 404"), found_at=T0 - timedelta(days=40))
    add(store, make_item(3, body="recent text"), found_at=T0 - timedelta(days=1))

    assert store.forget_bodies(before=T0 - timedelta(days=30)) == 1
    assert store.forget_bodies(before=T0 - timedelta(days=30)) == 0
    bodies = {record.key: (record.body, record.body_note) for record in store.items(since=EPOCH)}
    assert bodies["id:1"][0] is None and "retention" in bodies["id:1"][1]
    assert bodies["id:2"] == (None, "HTTP 404")
    assert bodies["id:3"] == ("recent text", "")


# -- concurrency ------------------------------------------------------------------------------------------------------


def _race_to_add(stores: list[Store], threads: int = 8, items_per_thread: int = 15) -> list[int | None]:
    """Each thread adds its own items and its neighbour's, reading and recording polls in between."""
    results: list[int | None] = []
    errors: list[BaseException] = []
    lock, start = threading.Lock(), threading.Barrier(threads)

    def poll(thread: int) -> None:
        store = stores[thread % len(stores)]
        try:
            start.wait()
            for i in range(items_per_thread):
                for owner in (thread, (thread + 1) % threads):
                    item_id = add(store, make_item(owner * 1000 + i, source="echo"))
                    with lock:
                        results.append(item_id)
                store.known_keys("echo", [f"id:{thread * 1000 + i}"])
                store.matches(topic="knife-crime", undelivered_to=("console", "-"))
            store.finish_poll(
                f"source-{thread}",
                at=T0,
                checkpoint=FeedCheckpoint(etag=str(thread)),
                error=None,
                new_items=items_per_thread,
                new_matches=0,
                seconds=0.1,
            )
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=poll, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    return results


def test_concurrent_polls_store_each_item_once_without_locking_errors(database_url: str) -> None:
    # Two stores on one file behave like two processes: separate locks and connections, one database.
    stores = [Store(database_url), Store(database_url)]
    try:
        results = _race_to_add(stores)
        stored = [item_id for item_id in results if item_id is not None]
        assert len(results) == 8 * 15 * 2
        assert len(stored) == len(set(stored)) == 8 * 15
        assert len(stores[0].items(since=EPOCH)) == 8 * 15
        assert len(stores[1].matches()) == 8 * 15
        assert len(stores[0].source_health()) == 8
    finally:
        for store in stores:
            store.close()


def test_an_in_memory_database_is_shared_by_every_thread() -> None:
    with Store("sqlite://") as store:
        results = _race_to_add([store], threads=4, items_per_thread=10)
        assert len([item_id for item_id in results if item_id is not None]) == 40
        assert len(store.matches()) == 40
        assert {health.source_id for health in store.source_health()} == {f"source-{n}" for n in range(4)}


def test_default_url_creates_the_data_directory(tmp_path: Path) -> None:
    url = Store.default_url(tmp_path / "nested" / "data")

    assert (tmp_path / "nested" / "data").is_dir()
    assert url == f"sqlite:///{tmp_path / 'nested' / 'data' / 'beatwatch.sqlite3'}"


def test_a_claimed_delivery_is_sent_by_its_owner_only_until_the_claim_ends(store: Store) -> None:
    delivery = store.enqueue(
        key="c1", output="slack", destination="#crime", kind="digest", parts=[{"text": "x"}], match_ids=[], at=T0
    )
    later = T0 + timedelta(minutes=10)
    alive, gone = (lambda owner: False), (lambda owner: True)
    assert store.claim(delivery.id, owner="a:1", now=T0, until=later, is_gone=alive)
    assert store.claim(delivery.id, owner="a:1", now=T0, until=later, is_gone=alive)  # renewing is fine
    assert not store.claim(delivery.id, owner="b:2", now=T0, until=later, is_gone=alive)
    assert store.claim(delivery.id, owner="b:2", now=T0, until=later, is_gone=gone)  # its owner has died
    assert store.claim(delivery.id, owner="a:1", now=later, until=later + timedelta(minutes=10), is_gone=alive)
    store.record_part_sent(delivery.id, index=0, receipt="ts", at=later)
    assert not store.claim(delivery.id, owner="a:1", now=later, until=later, is_gone=alive)  # sent: nothing to claim


def _three_parts(store: Store):
    return store.enqueue(
        key="p3",
        output="slack",
        destination="#crime",
        kind="digest",
        parts=[{"text": "1"}, {"text": "2"}, {"text": "3"}],
        match_ids=[],
        at=T0,
    )


def test_a_claim_returns_the_delivery_as_it_is_now_and_refuses_one_not_yet_due(store: Store) -> None:
    delivery = _three_parts(store)
    alive = lambda owner: False  # noqa: E731
    first = claimed(store, delivery.id, T0, owner="a:1")
    store.record_part_sent(delivery.id, index=0, receipt="1.1", at=T0)
    store.record_failure(
        delivery.id, owner="a:1", at=T0, error="Retry-After: 60", next_attempt_at=T0 + timedelta(seconds=60)
    )

    early = store.claim(
        delivery.id, owner="b:2", now=T0 + timedelta(seconds=59), until=T0 + timedelta(hours=1), is_gone=alive
    )
    due = store.claim(
        delivery.id, owner="b:2", now=T0 + timedelta(seconds=60), until=T0 + timedelta(hours=1), is_gone=alive
    )

    assert (first.parts_sent, first.receipts, first.claimed_by) == (0, (), "a:1")
    assert early is None
    assert (due.parts_sent, due.receipts, due.claimed_by, due.attempts) == (1, ("1.1",), "b:2", 1)


def test_recording_a_part_names_its_index_and_refuses_any_other(store: Store) -> None:
    delivery = _three_parts(store)
    store.record_part_sent(delivery.id, index=0, receipt="1.1", at=T0)

    for wrong in (0, 2):
        with pytest.raises(OutboxConflict, match=r"1 of its 3 parts are recorded as sent"):
            store.record_part_sent(delivery.id, index=wrong, receipt="again", at=T0)
    after = store.record_part_sent(delivery.id, index=1, receipt="1.2", at=T0)

    assert (after.parts_sent, after.receipts, after.state) == (2, ("1.1", "1.2"), PENDING)


def test_a_part_in_flight_keeps_its_first_moment_until_it_is_recorded_or_known_not_sent(store: Store) -> None:
    delivery = _three_parts(store)
    claimed(store, delivery.id, T0)
    later = T0 + timedelta(minutes=5)

    store.mark_part_in_flight(delivery.id, index=0, owner="host:1", at=T0)
    store.mark_part_in_flight(delivery.id, index=0, owner="host:1", at=later)
    unknown = store.record_failure(
        delivery.id, owner="host:1", at=later, error="timed out", next_attempt_at=later, part_may_have_arrived=True
    )
    claimed(store, delivery.id, later)
    refused = store.record_failure(delivery.id, owner="host:1", at=later, error="429", next_attempt_at=later)
    claimed(store, delivery.id, later)
    store.mark_part_in_flight(delivery.id, index=0, owner="host:1", at=later)
    sent = store.record_part_sent(delivery.id, index=0, receipt="1.1", at=later)

    assert unknown.part_in_flight_since == T0 and refused.part_in_flight_since is None
    assert sent.part_in_flight_since is None and sent.parts_sent == 1
    with pytest.raises(OutboxConflict, match="part 1 of delivery"):
        store.mark_part_in_flight(delivery.id, index=0, owner="host:1", at=later)


def test_only_the_claimant_marks_a_part_in_flight_or_records_a_failure(store: Store) -> None:
    delivery = _three_parts(store)
    claimed(store, delivery.id, T0, owner="a:1")

    with pytest.raises(OutboxConflict, match="claimed by a:1, not b:2"):
        store.mark_part_in_flight(delivery.id, index=0, owner="b:2", at=T0)
    with pytest.raises(OutboxConflict, match="claimed by a:1, not b:2"):
        store.record_failure(delivery.id, owner="b:2", at=T0, error="x", next_attempt_at=T0)
    assert store.deliveries()[0].attempts == 0


def test_a_readdressed_delivery_starts_again_from_its_first_part_unless_someone_is_sending_it(store: Store) -> None:
    delivery = _three_parts(store)
    claimed(store, delivery.id, T0, owner="a:1")
    store.record_part_sent(delivery.id, index=0, receipt="1.1", at=T0)
    store.mark_part_in_flight(delivery.id, index=1, owner="a:1", at=T0)

    held = store.readdress(delivery.id, destination="#new", now=T0, is_gone=lambda owner: False)
    moved = store.readdress(delivery.id, destination="#new", now=T0, is_gone=lambda owner: True)

    assert held is None
    assert (moved.destination, moved.parts_sent, moved.receipts, moved.part_in_flight_since) == ("#new", 0, (), None)
    assert moved.key == delivery.key
