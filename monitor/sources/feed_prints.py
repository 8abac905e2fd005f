"""Fingerprints of a feed's entries, so that a changed feed costs its new entries only.

A feed that gains one story still lists the 10 to 100 it listed before, and turning each into an item again (its text
from HTML, its link keys) was most of what a changed feed cost, in the pool and again in the poll (issue 13). So the
feed's checkpoint keeps a short hash of each entry of the last body it read, and the entries of the next body whose
hash it keeps are not read at all. That is safe because the poll saves a checkpoint only once every item of its body
is stored: an entry with a kept hash made an item that is stored, or that was known already.

A hash covers all an item is made of: the entry as the document gives it (its markup, or its JSON) and what the
reader reads it against (the feed's address, its ``xml:base``, the feed's own link). So an edited entry, or the same
entry at another address, is read again, and whatever it gives is looked up among the stored items as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

# A feed of thousands of entries keeps the hashes of its first ones (feeds list their newest first): about 20 KB of
# checkpoint at most; the entries past them are read every time, as all were before.
ENTRIES_KEPT = 1000


def entry_print(context: str, entry: bytes) -> str:
    """The fingerprint of an entry (``entry``: its markup or JSON) read against ``context``: 64 bits, so a new entry
    taken for one read before is out of the question, in 16 characters."""
    digest = hashlib.blake2b(context.encode(), digest_size=8)
    digest.update(b"\0")
    digest.update(entry)
    return digest.hexdigest()


def prints_kept(prints: Iterable[str | None]) -> tuple[str, ...]:
    """The fingerprints a checkpoint keeps of a body's entries that gave items (read now or before); none when a reader
    gave some entry none (feedparser's entries are not told apart so), and every entry of the next body is read."""
    kept: dict[str, None] = {}
    for each in prints:
        if each is None:
            return ()
        kept.setdefault(each)
    return tuple(kept)[:ENTRIES_KEPT]
