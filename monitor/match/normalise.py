"""One normal form for story text and for rule terms, with a way back to the original text's character offsets.

Terms and text go through the same steps, so a term matches whatever reads the same after them:

1. HTML entities left in feed text are decoded (``&amp;`` -> ``&``, ``&#8217;`` -> ``’``);
2. each character is NFKC-normalised and case-folded, and accents are removed (``Café`` -> ``cafe``, ``ß`` -> ``ss``;
   letters without a decomposition such as ``ø`` or ``ł`` stay as they are); curly quotes become ``'`` and ``"``;
   whitespace, line breaks, control characters, hyphens and dashes become a space; invisible characters (soft
   hyphens, zero-width joiners, combining accents) are dropped;
3. each run of spaces counts as one space: ``Leigh-on-Sea``, ``Leigh on Sea`` and ``leigh – on – sea`` all read
   ``leigh on sea``.

``normalise`` does steps 1 and 2 and keeps the runs of spaces, so its text stays one character per original
character nearly everywhere; the matcher lets a space of a term match a run of spaces. ``collapse_spaces`` does
step 3, for terms (``terms.parse_term``) and for regular expressions, which see single spaces.

A *word character* is a letter or digit in any script, exactly ``str.isalnum()`` (the regular expression
``[^\\W_]``). When a step changes lengths (``ß`` -> ``ss``) it records its edits in an ``OffsetMap``, which leads a
span back to the original text.

Speed matters here (every field of every item passes through): ASCII and Latin-1 text is folded by one
``bytes.translate``, several times faster than even the ASCII fast path of ``str.translate``; the typographic
punctuation of English copy is replaced with ``str.replace`` first; only the remaining non-ASCII characters get
Python-level work, one by one when they are few and in one translation when they are many.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left, bisect_right
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from monitor.match.view import ascii_word_view, folded_view_table

WORD_CHAR = r"[^\W_]"
"""A regular expression for one word character (letter or digit); the same test as ``str.isalnum()``."""

NOT_WORD_CHAR = r"[\W_]"
"""... and for one character that is not."""

WORD = re.compile(WORD_CHAR + "+")

# An HTML entity with its semicolon, as feeds leave them in titles; without one, "&amp" may be plain text.
ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ASCII_SEPARATOR = re.compile(r"[\x00-\x1f\x7f-]")  # what ``_ascii_form`` turns into a space
_SPACE_RUN = re.compile("(  +)")  # not " {2,}": a literal prefix makes re search several times faster


def _ascii_form(char: str) -> str:
    if char.isspace() or char < " " or char == "\x7f" or char == "-":
        return " "
    return char.lower()


_APOSTROPHES = frozenset("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc")
_QUOTES = frozenset("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u2039\u203a")
_SEPARATORS = frozenset(("Zs", "Zl", "Zp", "Cc", "Pd"))


def _fold_one(char: str) -> str:
    """The normal form of one character that NFKC has already produced."""
    if char.isascii():
        return _ascii_form(char)
    category = unicodedata.category(char)
    if category in _SEPARATORS or char in "\u2212\u2043\u200b":  # minus sign, hyphen bullet, zero-width space
        return " "
    if char in _APOSTROPHES:
        return "'"
    if char in _QUOTES:
        return '"'
    if category in ("Cf", "Mn", "Me"):  # soft hyphens, joiners, direction marks, combining accents
        return ""
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    bare = "".join(piece for piece in decomposed if unicodedata.category(piece) != "Mn")
    # lower() as well: _fold_ascii may lower() a whole text, so every folded character must be lower case already
    return unicodedata.normalize("NFC", bare).lower()


class _FoldTable(dict):
    """The ``str.translate`` table of normal forms, filled on first sight; remembers the irregular characters."""

    def __init__(self) -> None:
        super().__init__((code, _ascii_form(chr(code))) for code in range(128))
        self._irregular: set[str] = set()  # characters whose normal form is not exactly one character long
        self._irregular_pattern = re.compile("(?!)")

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = "".join(_fold_one(piece) for piece in unicodedata.normalize("NFKC", char))
        if len(folded) != 1:
            self._irregular.add(char)
            self._irregular_pattern = re.compile("[" + "".join(map(re.escape, sorted(self._irregular))) + "]")
        self[code] = folded
        return folded

    def edits(self, text: str) -> list[tuple[int, int, int]]:
        """Where ``text.translate(self)`` changed lengths; call it after the translation, which meets new characters."""
        found = self._irregular_pattern.finditer(text)
        return [(char.start(), char.end(), len(self[ord(char.group())])) for char in found]


_FOLD = _FoldTable()

# The non-ASCII characters of most English news, each one ASCII character in normal form: str.replace deals with
# them far faster than a search for non-ASCII characters, and often leaves plain ASCII for the fast path.
_PLAIN_PUNCTUATION = {char: _FOLD[ord(char)] for char in "\u2019\u2018\u201c\u201d\u2013\u2014\xa0"}
# Latin-1 characters whose normal form is one Latin-1 character (é -> e, £ -> £; not ß -> ss), and that form:
# text made of them is folded by one bytes.translate.
_LATIN1_REGULAR = bytes(code for code in range(256) if len(_FOLD[code]) == 1 and ord(_FOLD[code]) < 256)
_LATIN1_TABLE = bytes(ord(_FOLD[code]) if code in _LATIN1_REGULAR else code for code in range(256))
_FOLDED_VIEW = folded_view_table(_LATIN1_TABLE)  # the view of such text, straight from its Latin-1 bytes


class OffsetMap:
    """Maps positions in an edited text back to the text it was made from.

    ``edits`` are ``(old_start, old_end, new_length)``, in order and not overlapping; everything between edits was
    copied one character for one. A span that starts or ends inside an edited stretch grows to cover all of it.
    The lookup tables are built on first use: most texts have no hits, so most maps are never asked. (Not by a
    ``cached_property``: it takes a lock at each first use, and the matcher makes a map for every stretch it reads.)
    """

    def __init__(self, edits: list[tuple[int, int, int]]) -> None:
        self._edits = edits
        self._built: tuple[list[int], list[int], list[int], list[int]] | None = None

    @property
    def _tables(self) -> tuple[list[int], list[int], list[int], list[int]]:
        if self._built is None:
            self._built = self._build()
        return self._built

    def _build(self) -> tuple[list[int], list[int], list[int], list[int]]:
        new_starts, new_ends, old_starts, old_ends = [], [], [], []
        shift = 0
        for old_start, old_end, new_length in self._edits:
            new_start = old_start + shift
            new_starts.append(new_start)
            new_ends.append(new_start + new_length)
            old_starts.append(old_start)
            old_ends.append(old_end)
            shift += new_length - (old_end - old_start)
        return new_starts, new_ends, old_starts, old_ends

    def start(self, position: int) -> int:
        new_starts, new_ends, old_starts, old_ends = self._tables
        k = bisect_right(new_starts, position) - 1
        if k < 0:
            return position
        if position < new_ends[k]:
            return old_starts[k]
        return old_ends[k] + position - new_ends[k]

    def end(self, position: int) -> int:
        new_starts, new_ends, old_starts, old_ends = self._tables
        k = bisect_right(new_starts, position - 1) - 1
        if k < 0:
            old = position
        elif position - 1 < new_ends[k]:
            old = old_ends[k]
        else:
            old = old_ends[k] + position - new_ends[k]
        # characters dropped right after the span (a combining accent after its letter) belong to it
        k = bisect_left(new_starts, position)
        while k < len(new_starts) and new_starts[k] == new_ends[k] == position and old_starts[k] == old:
            old = old_ends[k]
            k += 1
        return old


class Normalised(NamedTuple):  # a NamedTuple rather than a dataclass: made for every field of every item
    """A text after steps 1 and 2 of the normal form, and how to find a span of it in the ``original``."""

    original: str
    text: str
    maps: tuple[OffsetMap, ...] = ()  # one per step that changed lengths, first step first

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if not self.maps:
            return start, end
        for offsets in reversed(self.maps):
            start, end = offsets.start(start), offsets.end(end)
        return start, end


def normalise(original: str) -> Normalised:
    """``original`` after steps 1 and 2 of the normal form described in this module's docstring."""
    text, entity_edits = _decode_entities(original)
    return _normalised(original, entity_edits, *_latin1_form(text))


class Viewed(NamedTuple):
    """A text's word view (``view.ascii_word_view`` of its normal form), made before the normal form itself: most
    items are done with once their views are searched, and Latin-1 text (most English news) has its view made
    straight from its bytes. ``normalised()`` makes the normal form."""

    view: bytes
    original: str
    entity_edits: list[tuple[int, int, int]]
    latin1: bytes | None  # the text with entities decoded and punctuation replaced, when Latin-1 (see _latin1_form)
    done: Normalised | None  # the normal form, made already when there are no such bytes

    def normalised(self) -> Normalised:
        if self.done is not None:
            return self.done
        return _normalised(self.original, self.entity_edits, "", self.latin1)  # the text is in the bytes


def viewed(original: str) -> Viewed:
    """``original``'s word view, and what its normal form is made from."""
    text, entity_edits = _decode_entities(original)
    text, latin1 = _latin1_form(text)
    if latin1 is not None:
        return Viewed(latin1.translate(_FOLDED_VIEW), original, entity_edits, latin1, None)
    normalised = _normalised(original, entity_edits, text, None)
    return Viewed(ascii_word_view(normalised.text), original, entity_edits, None, normalised)


def _normalised(original: str, entity_edits: list[tuple[int, int, int]], text: str, latin1: bytes | None) -> Normalised:
    """``original`` normalised, from ``text``, its entities decoded (with their ``entity_edits``), and ``latin1``."""
    folded, fold_edits = _fold(text, latin1)
    maps: tuple[OffsetMap, ...] = (OffsetMap(entity_edits),) if entity_edits else ()
    if fold_edits:
        maps += (OffsetMap(fold_edits),)
    return Normalised(original, folded, maps)


def collapse_spaces(text: str) -> tuple[str, OffsetMap]:
    """``text`` with each run of spaces made one space, and the map back to ``text``."""
    if "  " not in text:
        return text, OffsetMap([])
    parts = _SPACE_RUN.split(text)  # text, run, text, run, ..., text
    ends = list(accumulate(map(len, parts)))
    # Each run starts where the text before it ends.
    edits = [(start, start + len(run), 1) for start, run in zip(ends[:-1:2], parts[1::2], strict=True)]
    return " ".join(parts[0::2]), OffsetMap(edits)


def _decode_entities(text: str) -> tuple[str, list[tuple[int, int, int]]]:
    if "&" not in text:
        return text, []
    edits: list[tuple[int, int, int]] = []

    def decode(found: re.Match[str]) -> str:
        entity = found.group()
        decoded = _decoded(entity)
        if decoded != entity:
            edits.append((found.start(), found.end(), len(decoded)))
        return decoded

    return ENTITY.sub(decode, text), edits


@lru_cache(maxsize=1024)
def _decoded(entity: str) -> str:
    return html.unescape(entity)


def _fold(text: str, latin1: bytes | None) -> tuple[str, list[tuple[int, int, int]]]:
    """Step 2 on ``text``, or on its ``latin1`` bytes when there are (see ``_latin1_form``), with its edits."""
    if latin1 is not None:
        return latin1.translate(_LATIN1_TABLE).decode("latin-1"), []
    return _fold_other(text)


def _latin1_form(text: str) -> tuple[str, bytes | None]:
    """``text`` with its typographic punctuation replaced, and its Latin-1 bytes when it is Latin-1 without irregular
    characters (ASCII, or English with £ or é): those are folded, and viewed, by one ``bytes.translate``."""
    if not text.isascii():
        for char, folded in _PLAIN_PUNCTUATION.items():
            text = text.replace(char, folded)  # one pass, like a search; the text itself when the char is absent
        if not text.isascii():
            try:
                encoded = text.encode("latin-1")
            except UnicodeEncodeError:
                return text, None
            return text, None if encoded.translate(None, _LATIN1_REGULAR) else encoded  # what is left is irregular
    return text, text.encode("ascii")


def _fold_other(text: str) -> tuple[str, list[tuple[int, int, int]]]:
    """Text with characters beyond ASCII: one by one when they are few, else all in one translation.

    ``encode("ascii", "replace")`` puts a ``?`` in place of each of them, at C speed, so they are counted and found
    with ``bytes`` methods rather than a much slower regular expression search.
    """
    marked = text.encode("ascii", "replace")
    if marked.count(b"?") * 8 > len(text):
        return text.translate(_FOLD), _FOLD.edits(text)
    pieces: list[str] = []
    edits: list[tuple[int, int, int]] = []
    copied = 0
    position = marked.find(b"?")
    while position >= 0:
        char = text[position]
        if not char.isascii():  # not a real question mark
            folded = _FOLD[ord(char)]
            pieces += (text[copied:position], folded)
            copied = position + 1
            if len(folded) != 1:
                edits.append((position, position + 1, len(folded)))
        position = marked.find(b"?", position + 1)
    pieces.append(text[copied:])
    return _fold_ascii("".join(pieces)), edits


def _fold_ascii(text: str) -> str:
    """``text``, whose other characters are folded already (so regular), with its ASCII characters folded too."""
    try:  # ASCII, or £, ø and the like: one byte a character, about 1 ns each
        return text.encode("latin-1").translate(_LATIN1_TABLE).decode("latin-1")
    except UnicodeEncodeError:
        return _ASCII_SEPARATOR.sub(" ", text.lower())
