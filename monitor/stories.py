"""Stories: which items tell the same story, decided by their text, never by their headlines.

An article's text is its extracted page text, else its feed summary. It is cut into overlapping runs of
``shingle_words`` words (after the matcher's normal form: case, accents and punctuation do not count). Two articles
are one story when their texts share enough of their runs (the Jaccard similarity of the two sets): at least
``threshold`` between two sources (a wire story, a syndicated copy under a rewritten headline), and at least
``same_source_threshold`` within one (a republished update, not the outlet's template written up for another incident,
which shares its house phrases, stock lines and the police appeal).

Candidates are found without comparing every pair (locality-sensitive hashing): a datasketch MinHash of the runs is
cut into ``bands`` bands of ``rows`` values, each band gives a key, and only articles that share a key are compared.
The store keeps the keys in an indexed table and each article's run hashes beside it, so every process on one
database finds and compares the same candidates.

Two keys make a story on their own ("sure" keys): the same link (in its identity form, ``monitor.urls``), and, for a
text too short to compare (under ``min_words`` words), the same headline over the same text. A short text is often a
stock line ("Police were called.") or mostly the police's standard appeal, which must not join different incidents
together; and a shared headline alone never makes one story.

Only articles are grouped: a council item's text is expected to repeat (a document changed, the minutes after the
agenda) and each such change is news of its own.

The parameters come from measurements on the fixture worlds of ``tests/story_world.py`` (``bench/stories.py`` prints
them). Changing any of them changes the keys: a database then needs a migration that computes them again.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from monitor.items import Item
from monitor.match.normalise import WORD, normalise
from monitor.urls import identity_link

if TYPE_CHECKING:
    import numpy as np

SAME_STORY_WITHIN = timedelta(hours=72)  # the default window: copies of a story appear within days, not weeks
_SEED = 20261126  # fixed: the keys are kept in the database, so every process and version must compute the same
_SCHEME = "affine32"  # named, not left to datasketch's default, which changed in 2.0 and may change again
_VALUES = "<u4"  # MinHash values as bytes: little-endian whatever the machine, as the database may be shared


@dataclass(frozen=True)
class StoryRules:
    """How alike two texts must be to be one story, and how candidates are looked for."""

    shingle_words: int = 7  # words in a run: 6 and 8 group the fixture worlds alike
    permutations: int = 128  # MinHash values, of which bands x rows make the keys
    bands: int = 42  # 3 rows a band find 94% of pairs sharing 40% (32 of 4: 56%, and copies were split)
    rows: int = 3
    threshold: float = 0.4  # between reports from two sources (0.35 groups alike; 0.45 split copies)
    same_source_threshold: float = 0.8  # between two reports of one source: its republished update, not its template
    min_words: int = 100  # under this a text is mostly shared wording (at 70, relayed appeals were merged)

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.permutations:
            raise ValueError(f"{self.bands} bands of {self.rows} rows need more than {self.permutations} permutations")


RULES = StoryRules()


@dataclass(frozen=True)
class StoryPrint:
    """What an article's text gives to find its other copies: keys to look them up, and its word runs to decide."""

    band_keys: tuple[int, ...]  # shared by texts that may be alike: candidates, whose word runs are then compared
    sure_keys: tuple[int, ...]  # shared only by copies of one story: the same link, the same short text and headline
    runs: bytes  # the 32-bit hashes of its runs of words, kept with the article; empty for a text too short to compare

    @property
    def keys(self) -> tuple[int, ...]:
        return (*self.sure_keys, *self.band_keys)


@dataclass(frozen=True)
class Candidate:
    """A stored article that shares at least one key with a new one."""

    item_id: int
    story_id: int
    source_id: str
    shared: frozenset[int]  # the keys it shares with the new article
    runs: bytes  # its ``StoryPrint.runs``, as stored


def story_print(*, kind: str, url: str, title: str, text: str, rules: StoryRules = RULES) -> StoryPrint | None:
    """The print of an item (``text``: its page text, else its feed summary); None for an item that is not an
    article, which is always a story of its own."""
    if kind != "article":
        return None
    words = _words(text)
    sure = [link_story_key(identity_link(url))] if url.strip() else []
    if len(words) < rules.min_words:
        if words:
            sure.append(_key(b"short", " ".join(_words(title)) + "\n" + " ".join(words)))
        return StoryPrint(band_keys=(), sure_keys=tuple(sure), runs=b"")
    runs = _run_hashes(words, rules)
    values = _minhash(runs, rules)
    bands = tuple(
        _key(b"band%d" % band, values[band * rules.rows : (band + 1) * rules.rows].tobytes())
        for band in range(rules.bands)
    )
    return StoryPrint(band_keys=bands, sure_keys=tuple(sure), runs=_packed(runs))


def item_print(item: Item) -> StoryPrint | None:
    """The print of ``item`` as it is stored: of its page text, else its feed summary. Pure, so a poll makes it in its
    pool of processes and hands it to the store with the item."""
    return story_print(kind=item.kind, url=item.url, title=item.title, text=item.body or item.summary)


def item_prints(items: Sequence[Item]) -> list[StoryPrint | None]:
    """``item_print`` of each of ``items``: many prints for one trip to a pool of processes."""
    return [item_print(item) for item in items]


def likeness(a: bytes, b: bytes) -> float:
    """The share of word runs two texts have in common (their Jaccard similarity), from their ``runs``."""
    first, second = set(_unpacked(a)), set(_unpacked(b))
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared) if first and second else 0.0


def same_story(
    new: StoryPrint, source_id: str, candidates: Sequence[Candidate], rules: StoryRules = RULES
) -> Candidate | None:
    """The candidate whose story the new article (of ``source_id``) joins: one that shares a sure key, else the most
    alike at or above the threshold for the pair (the earliest stored on a tie); None when none is alike enough."""
    best: tuple[float, int] | None = None
    chosen = None
    for candidate in candidates:
        score = 1.0 if candidate.shared & set(new.sure_keys) else likeness(new.runs, candidate.runs)
        threshold = rules.same_source_threshold if candidate.source_id == source_id else rules.threshold
        if score >= threshold and (best is None or (score, -candidate.item_id) > best):
            best, chosen = (score, -candidate.item_id), candidate
    return chosen


def link_story_key(link_form: str) -> int:
    """The sure key of an article whose link has the identity form ``link_form``."""
    return _key(b"link", link_form)


def _words(text: str) -> list[str]:
    return WORD.findall(normalise(text).text)


def _run_hashes(words: Sequence[str], rules: StoryRules) -> list[int]:
    """The hash of every run of ``shingle_words`` words (a text has at least that many when it is compared), as the
    MinHash takes them: datasketch's own 32-bit hash, computed once for both uses."""
    from datasketch.hashfunc import sha1_hash32

    size = rules.shingle_words
    runs = {" ".join(words[start : start + size]) for start in range(len(words) - size + 1)}
    return sorted({sha1_hash32(run.encode()) for run in runs})


def _minhash(run_hashes: list[int], rules: StoryRules) -> np.ndarray:
    # datasketch brings scipy, most of a second to load: only storing an article needs it, not every command.
    from datasketch import MinHash

    sketch = MinHash(
        num_perm=rules.permutations,
        seed=_SEED,
        hashfunc=_hashed_already,
        permutations=_permutations(rules.permutations),
        scheme=_SCHEME,
    )
    sketch.update_batch(run_hashes)
    return sketch.hashvalues.astype(_VALUES)


def _hashed_already(value: int) -> int:
    return value


@lru_cache(maxsize=4)
def _permutations(count: int) -> np.ndarray:
    """The permutations of a MinHash of ``count`` values: made once, as making them costs more than hashing a text."""
    from datasketch import MinHash

    return MinHash(num_perm=count, seed=_SEED, scheme=_SCHEME).permutations


def _packed(values: list[int]) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)


def _unpacked(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 4}I", data)


def _key(kind: bytes, value: str | bytes) -> int:
    """A 64-bit key (signed, as SQL's BIGINT) for ``value`` of ``kind``; two kinds never share a key."""
    data = value.encode() if isinstance(value, str) else value
    digest = hashlib.blake2b(data, digest_size=8, person=kind.ljust(16, b"\0")[:16]).digest()
    return int.from_bytes(digest, "big", signed=True)
