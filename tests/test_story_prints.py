"""Story prints: made the same way in every process, machine and version (the database keeps them), with datasketch's
MinHash, from the words the matcher sees; and a database whose prints an older version made gets today's (schema
step 11), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import struct
import zlib
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, insert, select, text, update

from monitor.extract import ProcessPool
from monitor.items import CouncilEvent, CouncilReference, Item
from monitor.match.normalise import WORD, normalise
from monitor.store import Store, migrations, schema
from monitor.stories import (
    PRINT_SCHEME,
    RULES,
    StoryRules,
    _key,
    _minhash,
    _permutations,
    _run_hashes,
    _words,
    likeness,
    story_print,
    text_print,
)
from tests.e2e import NOW, publish, write_config
from tests.story_world import START, build_world
from tests.test_delivery import succeeded
from tests.test_store import EPOCH, T0, _schema_versions, database_made_by

pytestmark = [pytest.mark.both_backends]

_MASK64 = (1 << 64) - 1
# A text of our own, over 100 words, whose print is pinned below.
PINNED_TEXT = " ".join(
    f"Officers were called to {place} at {hour} o'clock, and a man of {age} was arrested on suspicion of robbery."
    for place, hour, age in zip(
        ["Leigh Broadway", "Southchurch Road", "the seafront"] * 3, range(1, 10), range(20, 29), strict=True
    )
)


def world_texts() -> list[str]:
    return [article.text for article in build_world(seed=12) if len(article.text.split()) >= RULES.min_words][:12]


def test_prints_are_made_by_the_scheme_they_are_named_by():
    printed = story_print(kind="article", url="https://echo.test/news/1", title="Man held", text=PINNED_TEXT)

    assert printed is not None
    runs = struct.unpack(f"<{len(printed.runs) // 4}I", printed.runs)
    # These values are kept in databases: when they change, so must PRINT_SCHEME, with a schema step that makes the
    # stored prints again (monitor/store/migrations.py).
    assert (
        PRINT_SCHEME == "crc32 words; runs: polynomial mod 2^64, fmix64, high 32 bits; MinHash: affine32, seed 20261126"
    )
    assert (len(runs), runs[:3]) == (139, (114924514, 155227752, 247263369))
    assert printed.band_keys[:2] == (3098188384194980417, -8722030230642457884)
    assert printed.sure_keys == (-5512226691041343254,)  # the link's key, made as before


def test_a_runs_hash_is_the_polynomial_of_its_words_crc32_mixed_and_cut_to_32_bits():
    words = _words(PINNED_TEXT)

    def run_hash(run: list[bytes]) -> int:
        value = 0
        for word in run:
            value = (value * 0x9E3779B97F4A7C15 + zlib.crc32(word)) & _MASK64
        for shift, multiplier in ((33, 0xFF51AFD7ED558CCD), (33, 0xC4CEB9FE1A85EC53)):
            value = ((value ^ (value >> shift)) * multiplier) & _MASK64
        return (value ^ (value >> 33)) >> 32

    expected = sorted({run_hash(words[start : start + 7]) for start in range(len(words) - 6)})
    assert _run_hashes(words, 7).tolist() == expected


def test_the_minhash_is_datasketchs_affine32_minhash_with_the_same_seed():
    reference = MinHash(num_perm=RULES.permutations, seed=20261126, scheme="affine32", hashfunc=lambda value: value)
    multipliers, offsets = _permutations(RULES.permutations)
    assert (multipliers[:, 0] == reference.permutations[0]).all() and (offsets[:, 0] == reference.permutations[1]).all()
    for text_ in world_texts():
        runs = _run_hashes(_words(text_), RULES.shingle_words)
        sketch = reference.copy()
        sketch.update_batch(runs.tolist())

        assert _minhash(runs, RULES.permutations).tolist() == sketch.hashvalues.tolist()


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | st.text(alphabet="ab-_ .,'1\n\t\x00", max_size=80)
)
def test_words_are_the_matchers_words_in_utf8(original: str):
    assert _words(original) == [word.encode() for word in WORD.findall(normalise(original).text)]


def test_likeness_is_the_share_of_runs_two_texts_have_in_common():
    first, second = world_texts()[:2]
    runs = [set(_run_hashes(_words(each), 7).tolist()) for each in (first, second, first + " " + second)]
    prints = [text_print(each).runs for each in (first, second, first + " " + second)]

    assert likeness(prints[0], prints[2]) == len(runs[0] & runs[2]) / len(runs[0] | runs[2])
    assert likeness(prints[0], prints[1]) == len(runs[0] & runs[1]) / len(runs[0] | runs[1])
    assert likeness(prints[0], prints[0]) == 1.0 and likeness(prints[0], b"") == 0.0


@pytest.mark.parametrize("text_", [PINNED_TEXT, "Police were called.", ""])
def test_a_print_made_whole_from_its_texts_print_is_the_print_of_the_text(text_: str):
    fields = {"kind": "article", "url": "https://echo.test/1", "title": "Man held"}

    assert story_print(**fields, text=text_, text_printed=text_print(text_)) == story_print(**fields, text=text_)


def test_rules_that_leave_a_text_long_enough_to_compare_without_a_run_are_refused():
    with pytest.raises(ValueError, match="no run of 8 words"):
        StoryRules(shingle_words=8, min_words=5)


def test_a_new_storys_page_is_read_and_printed_in_one_trip_to_the_pool(monitor, tmp_path, site, monkeypatch):
    trips: list[str] = []

    def run(self, work, *args, **kwargs):  # in this process, each trip counted
        trips.append(work.__name__)
        return work(*args, **kwargs)

    monkeypatch.setattr(ProcessPool, "run", run)
    publish(site)

    succeeded(monitor("poll", config=write_config(tmp_path / "config", site)))

    url = Store.default_url(tmp_path / "data")
    with Store(url) as store:
        stored = store.items(since=NOW - timedelta(days=365))
    read = [item for item in stored if item.body]
    assert len(read) == len(stored) > 1 and trips.count("read_story_page") == len(read)
    assert "item_print" not in trips  # the print came back with the page's text
    prints = prints_stored(url)
    for item in stored:  # and it is the print of the item as stored
        printed = story_print(kind=item.kind, url=item.url, title=item.title, text=item.body or item.summary)
        assert printed is not None  # e2e's stories are short: a link key and a headline-and-text key each
        assert (prints[item.id][0], {key for key, _at in prints[item.id][1]}) == (
            printed.runs or None,
            set(printed.keys),
        )


# --- schema step 11: the prints of stored articles made again ------------------------------------------------------


def version_10_print(text_: str) -> tuple[bytes, list[int]]:
    """The runs and band keys schema version 10 made for ``text_``: datasketch's sha1_hash32 of each run of words."""
    words = [word.decode() for word in _words(text_)]
    runs = sorted({sha1_hash32(" ".join(words[start : start + 7]).encode()) for start in range(len(words) - 6)})
    sketch = MinHash(num_perm=128, seed=20261126, scheme="affine32", hashfunc=lambda value: value)
    sketch.update_batch(runs)
    values = sketch.hashvalues.astype("<u4")
    return struct.pack(f"<{len(runs)}I", *runs), [
        _key(b"band%d" % b, values[b * 3 : b * 3 + 3].tobytes()) for b in range(42)
    ]


def prints_stored(url: str) -> dict[int, tuple[bytes | None, set[tuple[int, datetime]], int]]:
    """Each item's stored runs, story keys (with their time) and story id."""
    engine = create_engine(url)
    keys_table = schema.story_keys_table
    with engine.connect() as connection:
        keys: dict[int, set[tuple[int, datetime]]] = defaultdict(set)
        for item_id, key, at in connection.execute(select(keys_table.c.item_id, keys_table.c.key, keys_table.c.at)):
            keys[item_id].add((key, at))
        items = connection.execute(select(schema.items_table.c.id, schema.items_table.c.story_runs,
                                          schema.items_table.c.story_id)).all()  # fmt: skip
    engine.dispose()
    return {item_id: (runs, keys[item_id], story_id) for item_id, runs, story_id in items}


def store_the_fixtures_articles(store: Store) -> None:
    """What tests/fixtures/store/schema-v10-prints.sql holds, stored by today's code."""
    world = build_world(seed=12)
    copy = next(a for a in world if a.role == "copy" and len(a.text.split()) >= 120)
    original = next(a for a in world if a.incident == copy.incident and a.role == "original")
    other = next(
        a for a in world if a.role == "original" and a.incident != copy.incident and a.source != original.source
    )
    found = original.published
    old = Item(
        other.source, "url:old", other.url + "-old", other.title, published=found - timedelta(days=40), body=other.text
    )
    store.add_item(old, [], found_at=old.published, reported=True)
    for article in (original, copy, other):
        item = Item(article.source, "url:" + article.url, article.url, article.title, published=article.published,
                    body=article.text)  # fmt: skip
        store.add_item(item, [], found_at=article.published, reported=True)
    short = Item("nub", "url:https://nub.test/1", "https://nub.test/1", "Man stabbed in Leigh",
                 summary="Police were called to Leigh Broadway.", published=found)  # fmt: skip
    store.add_item(short, [], found_at=found, reported=True)
    doc = Item("council", "doc:1", "https://council.test/doc/1", "CSP report", body=original.text, kind="document",
               council=CouncilReference(event=CouncilEvent.DOCUMENT_ADDED, committee="Cabinet"))  # fmt: skip
    store.add_item(doc, [], found_at=found, reported=True)
    assert store.forget_bodies(before=found - timedelta(days=30)) == 1


def test_the_prints_step_makes_runs_and_band_keys_again_and_keeps_stories_and_sure_keys(database_url: str) -> None:
    step = migrations.MIGRATIONS.index(migrations._story_prints_of_today) + 1  # the version it brings a database to
    with Store(database_url) as store:
        store_the_fixtures_articles(store)
    today = prints_stored(database_url)
    engine = create_engine(database_url)
    with engine.begin() as connection:  # the prints as the version before made them
        bodies = dict(connection.execute(select(schema.items_table.c.id, schema.items_table.c.body)).all())
        for item_id, (runs, keys, _story) in today.items():
            if not runs:
                continue
            old_runs, old_bands = version_10_print(bodies[item_id])
            sure = {key for key, _at in keys} - set(text_print(bodies[item_id]).band_keys)
            by_id = schema.items_table.c.id == item_id
            connection.execute(update(schema.items_table).where(by_id).values(story_runs=old_runs))
            connection.execute(delete(schema.story_keys_table).where(schema.story_keys_table.c.item_id == item_id))
            rows = [{"key": key, "item_id": item_id, "at": START} for key in {*sure, *old_bands}]
            connection.execute(insert(schema.story_keys_table), rows)
        connection.execute(text("DELETE FROM schema_version"))
        connection.execute(schema.schema_version_table.insert().values(version=step - 1, applied_at=T0))
    assert prints_stored(database_url) != today

    with engine.begin() as connection:
        assert migrations.upgrade(connection, at=T0, migrations=migrations.MIGRATIONS[:step]) == step
    engine.dispose()

    assert prints_stored(database_url) == today
    assert {item_id: story for item_id, (_runs, _keys, story) in today.items()} == {1: 1, 2: 2, 3: 2, 4: 4, 5: 5, 6: 6}
    assert today[1][:2] == (None, set()) and today[6][:2] == (None, set())  # text forgotten; council material


def test_a_database_made_by_schema_version_10_is_upgraded_with_todays_prints(tmp_path: Path) -> None:
    url = database_made_by("schema-v10-prints.sql", tmp_path / "old")
    before = prints_stored(url)
    for item_id in (2, 3, 4):  # the fixture's prints are version 10's, as version_10_print makes them
        old_runs, old_bands = version_10_print(_body_of(url, item_id))
        assert before[item_id][0] == old_runs and {key for key, _at in before[item_id][1]} >= set(old_bands)

    with Store(url) as store:
        copy_text = _body_of(url, 3)
        later = Item("gazette", "id:g1", "https://gazette.test/news/1", "Yet another headline", body=copy_text,
                     published=START + timedelta(hours=8))  # fmt: skip
        added = store.add_item(later, [], found_at=START + timedelta(hours=8), reported=True)
        stories = {item.id: item.story_id for item in store.items(since=EPOCH)}

    assert stories[added] == 2  # found by the band keys made again for the copy it repeats
    upgraded = prints_stored(url)
    new_url = Store.default_url(tmp_path / "new")
    with Store(new_url) as fresh:
        store_the_fixtures_articles(fresh)
    made_today = prints_stored(new_url)
    assert {item_id: upgraded[item_id] for item_id in made_today} == made_today
    assert upgraded[5][1] == before[5][1] != set()  # a short text's sure keys, made as before
    assert _schema_versions(url) == list(range(10, len(migrations.MIGRATIONS) + 1))


def _body_of(url: str, item_id: int) -> str:
    engine = create_engine(url)
    with engine.connect() as connection:
        body = connection.scalar(select(schema.items_table.c.body).where(schema.items_table.c.id == item_id))
    engine.dispose()
    return body
