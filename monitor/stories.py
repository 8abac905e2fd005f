"""Stories: which items tell the same story, decided by their text, never by their headlines.

An article's text is its extracted page text, else its feed summary. It is cut into overlapping runs of
``shingle_words`` words (after the matcher's normal form: case, accents and punctuation do not count). Two articles
are one story when their texts share enough of their runs (the Jaccard similarity of the two sets): at least
``threshold`` between two sources (a wire story, a syndicated copy under a rewritten headline), and at least
``same_source_threshold`` within one (a republished update, not the outlet's template written up for another incident,
which shares its house phrases, stock lines and the police appeal).

Candidates are found without comparing every pair (locality-sensitive hashing): a MinHash of the runs is cut into
``bands`` bands of ``rows`` values, each band gives a key, and only articles that share a key are compared. The store
keeps the keys in an indexed table and each article's run hashes beside it, so every process on one database finds and
compares the same candidates.

Two keys make a story on their own ("sure" keys): the same link (in its identity form, ``monitor.urls``), and, for a
text too short to compare (under ``min_words`` words), the same headline over the same text. A short text is often a
stock line ("Police were called.") or mostly the police's standard appeal, which must not join different incidents
together; and a shared headline alone never makes one story.

Only articles are grouped: a council item's text is expected to repeat (a document changed, the minutes after the
agenda) and each such change is news of its own.

The parameters come from measurements on the fixture worlds of ``tests/story_world.py`` (``bench/stories.py`` prints
them). Changing any of them, or ``PRINT_SCHEME``, changes the keys: a database then needs a schema step that makes the
stored prints again (``monitor.store.stories.remake_prints``).

Every new article is printed, in the pool of processes beside its page's extraction, so a print is made on whole numpy
arrays, for about a tenth of an extraction's CPU time (``bench/prints.py``): the words are split by one
``bytes.translate``, each word's CRC-32 taken, each run's hash made of its words' hashes by polynomial arithmetic over
the whole text at once, and the MinHash is datasketch's "affine32" scheme computed in a few numpy operations.
datasketch itself is no longer used at run time, only by the tests, which hold these MinHash values to its own: its
``MinHash.update_batch`` calls a hash function once per run in Python (1.5 ms of CPU for a 4,000-run text against
0.3 ms here), and importing it brings scipy, half a second of CPU in every process that prints.
"""

from __future__ import annotations

import hashlib
import zlib
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

    from monitor.store import ItemRecord

SAME_STORY_WITHIN = timedelta(hours=72)  # the default window: copies of a story appear within days, not weeks
# How prints are made, named so that a change is seen: the keys and runs are kept in the database, so every process and
# version must make the same ones (no Python hash(), fixed seed, little-endian bytes whatever the machine), and a
# change of any part needs a schema step that makes the stored prints again. tests/test_story_prints.py pins values.
PRINT_SCHEME = "crc32 words; runs: polynomial mod 2^64, fmix64, high 32 bits; MinHash: affine32, seed 20261126"
_SEED = 20261126
_RUN_MULTIPLIER = 0x9E3779B97F4A7C15  # odd, so a run's hash is a polynomial of its words' hashes in distinct powers
_VALUES = "<u4"  # run hashes and MinHash values as bytes
_FMIX = {32: (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16), 64: (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33)}
_PERMUTATION_SLICE = 16  # permutations applied at once: their products for a long text stay in the CPU's cache
# Every ASCII byte that is not a letter or digit (not ``WORD``) becomes a space.
_NOT_WORD_TO_SPACE = bytes(byte if chr(byte).isalnum() else 0x20 for byte in range(128)).ljust(256, b" ")


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
        if self.min_words < self.shingle_words:
            raise ValueError(f"a text of {self.min_words} words has no run of {self.shingle_words} words to compare")


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
class TextPrint:
    """The part of a print that the text alone decides, and nearly all of its cost: made where the text was read (in
    the pool of processes, beside the page's extraction), and made whole with the item's link and headline."""

    band_keys: tuple[int, ...]
    runs: bytes
    short_words: bytes  # a text too short to compare: its words, which make a sure key with the headline's; else b""


@dataclass(frozen=True)
class Candidate:
    """A stored article that shares at least one key with a new one."""

    item_id: int
    story_id: int
    source_id: str
    shared: frozenset[int]  # the keys it shares with the new article
    runs: bytes  # its ``StoryPrint.runs``, as stored


def story_print(
    *, kind: str, url: str, title: str, text: str, rules: StoryRules = RULES, text_printed: TextPrint | None = None
) -> StoryPrint | None:
    """The print of an item (``text``: its page text, else its feed summary); None for an item that is not an
    article, which is always a story of its own. ``text_printed``: ``text_print(text)``, when made already."""
    if kind != "article":
        return None
    printed = text_printed or text_print(text, rules)
    sure = [link_story_key(identity_link(url))] if url.strip() else []
    if printed.short_words:
        sure.append(_key(b"short", b" ".join(_words(title)) + b"\n" + printed.short_words))
    return StoryPrint(band_keys=printed.band_keys, sure_keys=tuple(sure), runs=printed.runs)


def text_print(text: str, rules: StoryRules = RULES) -> TextPrint:
    """What ``text`` gives the print of any item it is the text of."""
    words = _words(text)
    if len(words) < rules.min_words:
        return TextPrint(band_keys=(), runs=b"", short_words=b" ".join(words))
    runs = _run_hashes(words, rules.shingle_words)
    values = _minhash(runs, rules.permutations).astype(_VALUES)
    bands = tuple(
        _key(b"band%d" % band, values[band * rules.rows : (band + 1) * rules.rows].tobytes())
        for band in range(rules.bands)
    )
    return TextPrint(band_keys=bands, runs=runs.astype(_VALUES).tobytes(), short_words=b"")


def item_print(item: Item | ItemRecord, text_printed: TextPrint | None = None) -> StoryPrint | None:
    """The print of ``item`` (new, or stored) as it is stored: of its page text, else its feed summary
    (``text_printed``: that text's ``text_print``, when made already). Pure, so a poll makes it in its pool of processes
    and hands it to the store with the item."""
    text = item.body or item.summary
    return story_print(kind=item.kind, url=item.url, title=item.title, text=text, text_printed=text_printed)


def item_prints(items: Sequence[Item]) -> list[StoryPrint | None]:
    """``item_print`` of each of ``items``: many prints for one trip to a pool of processes."""
    return [item_print(item) for item in items]


def likeness(a: bytes, b: bytes) -> float:
    """The share of word runs two texts have in common (their Jaccard similarity), from their ``runs``."""
    import numpy as np

    if not a or not b:
        return 0.0
    first, second = np.frombuffer(a, _VALUES), np.frombuffer(b, _VALUES)  # each sorted, without repeats
    shared = np.intersect1d(first, second, assume_unique=True).size
    return shared / (first.size + second.size - shared)


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


def _words(text: str) -> list[bytes]:
    """The words of ``text`` in the matcher's normal form (as ``WORD`` finds them), in UTF-8."""
    folded = normalise(text).text
    if folded.isascii():  # nearly all English copy: one bytes.translate and a split, six times faster than WORD
        return folded.encode("ascii").translate(_NOT_WORD_TO_SPACE).split()
    return [word.encode() for word in WORD.findall(folded)]


def _run_hashes(words: list[bytes], size: int) -> np.ndarray:
    """The 32-bit hashes of the runs of ``size`` words (a text has at least that many when it is compared), sorted,
    each once: each word's CRC-32; a run's hash, the polynomial of its words' (mod 2^64: numpy's uint64 arithmetic
    wraps), mixed by MurmurHash3's finalizer and cut to its high 32 bits."""
    import numpy as np

    word_hashes = np.fromiter(map(zlib.crc32, words), np.uint64, len(words))
    count = len(words) - size + 1
    runs = word_hashes[:count].copy()
    for offset in range(1, size):
        runs *= np.uint64(_RUN_MULTIPLIER)
        runs += word_hashes[offset : offset + count]
    hashes = (_fmix(runs, 64) >> np.uint64(32)).astype(np.uint32)
    hashes.sort()
    return hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))]


def _minhash(run_hashes: np.ndarray, count: int) -> np.ndarray:
    """The MinHash of ``run_hashes`` as datasketch's ``MinHash(num_perm=count, seed=_SEED, scheme="affine32")`` makes
    it: the hashes pre-mixed by fmix32, then for each permutation the least of ``a * h + b`` mod 2^32."""
    import numpy as np

    multipliers, offsets = _permutations(count)
    mixed = _fmix(run_hashes, 32)
    values = np.empty(count, np.uint32)
    products = np.empty((_PERMUTATION_SLICE, mixed.size), np.uint32)  # one buffer for every slice of permutations
    for start in range(0, count, _PERMUTATION_SLICE):
        part = slice(start, start + _PERMUTATION_SLICE)
        applied = products[: len(multipliers[part])]
        np.multiply(multipliers[part], mixed, out=applied)
        applied += offsets[part]
        applied.min(axis=1, out=values[part])
    return values


@lru_cache(maxsize=4)
def _permutations(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``a`` and ``b`` of ``count`` permutations, as columns, drawn from the seed as datasketch draws them for its
    affine32 scheme (numpy's ``RandomState``, whose stream numpy keeps the same in every version)."""
    import numpy as np

    draw = np.random.RandomState(_SEED)
    multipliers = draw.randint(0, 1 << 31, count, dtype=np.uint32) * np.uint32(2) + np.uint32(1)  # odd: one-to-one
    offsets = draw.randint(0, 1 << 32, count, dtype=np.uint32)
    return multipliers[:, None], offsets[:, None]


def _fmix(values: np.ndarray, width: int) -> np.ndarray:
    """MurmurHash3's finalizer on unsigned ``width``-bit ``values``: one-to-one, and every bit moves every other."""
    import numpy as np

    kind = np.uint32 if width == 32 else np.uint64
    shift, multiplier, shift_again, multiplier_again, last_shift = (kind(constant) for constant in _FMIX[width])
    mixed = values ^ (values >> shift)
    mixed *= multiplier
    mixed ^= mixed >> shift_again
    mixed *= multiplier_again
    return mixed ^ (mixed >> last_shift)


def _key(kind: bytes, value: str | bytes) -> int:
    """A 64-bit key (signed, as SQL's BIGINT) for ``value`` of ``kind``; two kinds never share a key."""
    data = value.encode() if isinstance(value, str) else value
    digest = hashlib.blake2b(data, digest_size=8, person=kind.ljust(16, b"\0")[:16]).digest()
    return int.from_bytes(digest, "big", signed=True)
