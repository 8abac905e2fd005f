"""The distinct things to look for, numbered, and the Aho-Corasick automaton that finds them all.

Every plain word, phrase and wildcard of every topic is known to ONE automaton (pyahocorasick), whole, as its words
read with single spaces between them. In a short text one RE2 pass finds where a term may be (its anchor: its first
two words, or its only one) and the automaton reads those stretches; a long text it reads whole. It reports every
place where a term may start a word of the text, overlapping terms included; there the term is confirmed in the
real text when the automaton cannot tell, and a wildcard runs on to the end of its word. Terms of ``stem: true``
topics go into a second automaton, searched in a stemmed view of the fields. See ``KeyFinder`` and ``find_keys``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from itertools import accumulate, chain
from typing import NamedTuple

import ahocorasick
import re2

from monitor.match.normalise import WORD_CHAR, collapse_spaces
from monitor.match.stemming import stemmed_view
from monitor.match.terms import Near, Phrase, Regex, Term
from monitor.match.view import OTHER_WORD_CHAR, ascii_word_view, word_view

Span = tuple[int, int]

_WORD_TAIL = re.compile(WORD_CHAR + "*")
_ANCHOR = re.compile("[^ ]+")  # in a view key
# Beyond about 1,000 anchors (thousands of terms) RE2's DFA outgrows its default memory and RE2 falls back to a search
# ten times slower than the automaton; cutting anchors short finds nearly every word. The automaton reads all then.
_MOST_ANCHORS = 1000
_READ_WHOLE = 8000  # a view longer than this is read whole (see ``KeyFinder``)
_ANCHOR_OPTIONS = re2.Options()
_ANCHOR_OPTIONS.log_errors = False
_EXACT, _PREFIX = 0, 1  # the two pattern slots of an automaton key: the key itself, and words starting with it


class PatternTable:
    """The distinct things to look for, numbered; the same phrase in many topics is looked for once."""

    def __init__(self) -> None:
        self.plain: dict[str, list[int]] = {}  # normalised key -> [exact pattern id, prefix pattern id], -1 if unused
        self.stemmed: dict[str, list[int]] = {}  # the same for stemmed keys
        self.regexes: dict[str, tuple[int, Regex]] = {}  # source as written -> (pattern id, the compiled pattern)
        self.count = 0

    def of_term(self, term: Term, stem: bool) -> tuple[int, ...]:
        """The patterns that find ``term``: one, or for NEAR those of its left and right sides."""
        body = term.body
        if isinstance(body, Regex):
            return (self.of_regex(body),)
        if isinstance(body, Near):
            return self.of_phrase(body.left, stem), self.of_phrase(body.right, stem)
        return (self.of_phrase(body, stem),)

    def of_phrase(self, phrase: Phrase, stem: bool) -> int:
        if phrase.prefix:
            return self._keyed(self.plain, phrase.key, _PREFIX)
        if stem:
            return self._keyed(self.stemmed, stemmed_view(phrase.key)[0], _EXACT)
        return self._keyed(self.plain, phrase.key, _EXACT)

    def of_regex(self, regex: Regex) -> int:
        if regex.pattern.pattern not in self.regexes:
            self.regexes[regex.pattern.pattern] = (self._new(), regex)
        return self.regexes[regex.pattern.pattern][0]

    def plain_keys(self, pattern_ids: Collection[int]) -> list[tuple[str, bool]] | None:
        """The key of each of ``pattern_ids`` and whether it is a wildcard; None when one of them is not a plain key
        (a stemmed key or a regular expression)."""
        keys = [
            (key, slot == _PREFIX)
            for key, slots in self.plain.items()
            for slot, pattern_id in enumerate(slots)
            if pattern_id in pattern_ids
        ]
        return keys if len(keys) == len(set(pattern_ids)) else None

    def _keyed(self, table: dict[str, list[int]], key: str, slot: int) -> int:
        ids = table.setdefault(key, [-1, -1])
        if ids[slot] < 0:
            ids[slot] = self._new()
        return ids[slot]

    def _new(self) -> int:
        self.count += 1
        return self.count - 1


class KeyFinder(NamedTuple):
    """An automaton of whole keys in the spaced-out word view, what finds where they may be, and the keys it cannot
    hold.

    A key is known to the automaton by its *view key*: the key's word view (``view.word_view``) with each run of
    spaces made one, a space before it (a key starting with a letter or digit must start a word) and, when its last
    word must end there, a space after it. The automaton reads the text's view spaced the same way
    (``find_keys``), so it finds a phrase however its words are spaced, as a whole: one hit where a key may be, not
    one for every occurrence of its first word ("was charged", "at the wheel").

    Spacing out a view costs time for every run of spaces in it, and most short texts hold few keys. So in a short
    view RE2, whose compiled DFA runs at C speed, first finds the *anchors* (see ``_anchors``): a key's first two runs
    of letters and digits, or its only one. Every occurrence of a key starts where its anchor does, or inside another
    anchor found, and ends within ``most_runs`` runs of letters and digits after; only those stretches are spaced
    out and read. A long view is read whole: it holds so many anchors that finding them one by one costs more.

    A key that starts with a sign ("£ 5m") has no letter or digit to place its start: it is searched for in the
    text by its own regular expression, with the few like it.
    """

    automaton: ahocorasick.Automaton | None  # None: every key starts with a sign
    anchors: re2._Regexp | None  # None: views are read whole (see ``_anchors``)
    key_end: re.Pattern[bytes]  # from an anchor's end, as many runs as a key may have, and the space after them
    led_by_signs: tuple[tuple[re.Pattern[str], int], ...]  # (what finds every occurrence, its pattern id)

    def stretches(self, view: bytes) -> list[tuple[int, int]]:
        """The stretches of ``view`` that hold every occurrence of a view key, in order and not overlapping."""
        if self.anchors is None or len(view) > _READ_WHOLE:
            return [(0, len(view))]
        stretches: list[tuple[int, int]] = []
        for anchor in self.anchors.finditer(view):
            low, end = anchor.span()
            high = self.key_end.match(view, end).end()  # type: ignore[union-attr]  # it matches anywhere
            if stretches and low <= stretches[-1][1]:
                low = stretches.pop()[0]
            stretches.append((low, high))
        return stretches


def build_automaton(keys: dict[str, list[int]]) -> KeyFinder | None:
    """What finds every key in ``keys`` (see ``find_keys``)."""
    by_view_key: defaultdict[str, list[_Entry]] = defaultdict(list)
    led_by_signs = []
    for key, slots in keys.items():
        for slot, pattern_id in enumerate(slots):
            if pattern_id < 0:
                continue
            prefix = slot == _PREFIX
            confirmation = _confirmation(key, prefix)
            if key[0].isalnum():
                by_view_key[_spaced_view_key(key, prefix)].append(_Entry(pattern_id, prefix, confirmation, len(key)))
            else:  # overlapping occurrences too, as the automaton finds them: the key is read ahead of each position
                assert confirmation is not None  # only a single word of ASCII letters and digits goes without
                led_by_signs.append((re.compile(f"(?=({confirmation.pattern}))"), pattern_id))
    if not by_view_key and not led_by_signs:
        return None
    keys_in_view = [(key, prefix) for key, slots in keys.items() if key[0].isalnum() for prefix, _ in _used(slots)]
    most_runs = max((len(view_key.split()) for view_key in by_view_key), default=0)
    return KeyFinder(
        _automaton(by_view_key),
        _anchors([_first_runs(key, prefix) for key, prefix in keys_in_view]) if keys_in_view else None,
        re.compile(b"(?: *[^ ]*){%d} ?" % most_runs),
        tuple(led_by_signs),
    )


def _used(slots: list[int]) -> list[tuple[bool, int]]:
    """(whether a wildcard, pattern id) of each slot in use."""
    return [(slot == _PREFIX, pattern_id) for slot, pattern_id in enumerate(slots) if pattern_id >= 0]


def _first_runs(key: str, prefix: bool) -> tuple[str, list[str]]:
    """What ``_anchors`` takes of a key: the view key of its first word, and the views of the words after it."""
    return _first_word_view_key(key, prefix), word_view(key.partition(" ")[2]).split()


def _spaced_view_key(key: str, prefix: bool) -> str:
    """The view key of ``key``, which starts with a letter or digit (see ``KeyFinder``)."""
    trail = key[-1].isalnum() and not prefix  # the last word must end
    return " " + " ".join(word_view(key).split()) + " " * trail


def _automaton(by_view_key: dict[str, list[_Entry]]) -> ahocorasick.Automaton | None:
    if not by_view_key:
        return None
    automaton = ahocorasick.Automaton()
    for view_key, entries in by_view_key.items():
        automaton.add_word(view_key, _Keys(len(view_key), tuple(entries)))
    automaton.make_automaton()
    return automaton


def _first_word_view_key(key: str, prefix: bool) -> str:
    """The view of the key's first word, with a space before it when the key starts with a letter or digit, and after
    it when that word must end there."""
    first_word, _, rest = key.partition(" ")
    lead = key[0].isalnum()  # a key starting with a letter or digit must start a word
    trail = first_word[-1].isalnum() and (bool(rest) or not prefix)  # ... and the word must end
    return " " * lead + word_view(first_word) + " " * trail


def anchor_search(patterns: PatternTable, pattern_ids: Collection[int]) -> re2._Regexp | None:
    """What finds, in the word view of a text, where one of ``pattern_ids`` may be found: a view without any of their
    anchors holds none of them. None when one of them is not a plain key, or see ``_anchors``."""
    keys = patterns.plain_keys(pattern_ids) if pattern_ids else None
    if keys is None:
        return None
    return _anchors([_first_runs(key, prefix) for key, prefix in keys])


def _escaped(anchor: str) -> str:
    """Letters and digits stand for themselves; \\x01 (any other letter) needs an escape."""
    return "".join(char if char.isascii() and char.isalnum() else f"\\x{ord(char):02x}" for char in anchor)


def _anchors(keys_in_view: Collection[tuple[str, list[str]]]) -> re2._Regexp | None:
    """What finds the anchor of each key, given as (its view key, the views of the words after its first): a space,
    then the key's first run of letters and digits; then, when the key has a second run (in its first word, as in
    "anti social", or the next word), spaces and that run; else a space after the first run when every key anchored
    by that run alone has one there. None when one of them has no run at all (a term whose first word is a sign, such
    as "£ 5m": its view key is a space), or when there are too many anchors.

    A view key starts with a space: one is put before a key that starts with a letter or digit, and any other
    character is a space in the view."""
    ending: dict[str, bool] = {}  # anchor -> whether a word must end after it
    for view_key, following in keys_in_view:
        first = _ANCHOR.search(view_key)
        if first is None:
            return None
        runs = (*view_key[first.start() :].split(), *following)
        if len(runs) > 1:
            ending[_escaped(runs[0]) + " +" + _escaped(runs[1])] = False
            continue
        # \b rather than a space after the anchor: a match must not take the space, which may start the next anchor.
        # After an ASCII letter or digit it holds before a space or \x01 (a letter beyond ASCII: more than needed, and
        # harmless); not after \x01, so such anchors go without.
        ends = first.end() < len(view_key) and first.group()[-1] != OTHER_WORD_CHAR
        anchor = _escaped(first.group())
        ending[anchor] = ending.get(anchor, True) and ends
    if len(ending) > _MOST_ANCHORS:
        return None
    groups = [sorted(anchor for anchor, ends in ending.items() if ends is must_end) for must_end in (False, True)]
    # [ \x00] rather than " " (the view has no \x00): RE2 would look for a literal first character with memchr,
    # restarting its DFA at every space, which makes it several times slower on text.
    parts = [
        "[ \\x00](?:" + "|".join(group) + ")" + end for group, end in zip(groups, ("", "\\b"), strict=True) if group
    ]
    return re2.compile("|".join(parts), _ANCHOR_OPTIONS)


class _Entry(NamedTuple):
    """A key as the automaton knows it."""

    pattern_id: int
    prefix: bool
    confirmation: re.Pattern[str] | None  # None when finding the view key says it all
    size: int  # of the key


class _Keys(NamedTuple):
    """What the automaton holds for one view key: the keys that read so in the view."""

    length: int  # of the view key
    entries: tuple[_Entry, ...]


def _confirmation(key: str, prefix: bool) -> re.Pattern[str] | None:
    """What confirms ``key`` where its view key was found; None when the view has said it all."""
    if key.isascii() and key.isalnum():
        return None
    source = " +".join(map(re.escape, key.split(" ")))  # a space of the key matches a run of spaces
    if prefix:
        source += WORD_CHAR + "*"
    elif key[-1].isalnum():
        source += f"(?!{WORD_CHAR})"
    return re.compile(source)


def find_keys(finder: KeyFinder, texts: Sequence[str], view: bytes | None = None) -> list[defaultdict[int, list[Span]]]:
    """Every occurrence of every key on word boundaries in each of ``texts``, each key's in order; where matching
    spends its time.

    The texts are read together, joined by ``\x00`` (which no normalised text contains, so no key reaches from one
    text into the next), in their *word view* (``view.word_view``) with each run of spaces made one, as the
    automaton knows its keys (see ``KeyFinder``). Where the view cannot tell (punctuation, letters beyond ASCII,
    the spaces between words), a regular expression confirms the key in the real text at the place found.
    ``view``: the view of the joined texts (``view.joined_view``), if made already.
    """
    joined = "\x00".join(("", *texts, ""))  # \x00 at either end, too: a space in the view
    starts = list(accumulate((len(text) + 1 for text in texts[:-1]), initial=1))
    found: list[defaultdict[int, list[Span]]] = [defaultdict(list) for _ in texts]
    occurrences = _led_by_signs(finder, joined)
    if finder.automaton is not None:
        view = ascii_word_view(joined) if view is None else view
        occurrences = chain(_found(finder, joined, view), occurrences)
    for start, pattern_id, end in occurrences:
        text = bisect_right(starts, start) - 1
        found[text][pattern_id].append((start - starts[text], end - starts[text]))
    return found


def _found(finder: KeyFinder, joined: str, view: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, pattern id, end) of each key the automaton holds, in ``joined``, whose word view is ``view``."""
    for low, high in finder.stretches(view):
        spaced, back = collapse_spaces(view[low:high].decode("ascii"))
        for last, (length, entries) in finder.automaton.iter(spaced):  # type: ignore[union-attr]
            start = low + back.start(last - length + 2)  # the key's first letter or digit, after its view key's space
            for pattern_id, prefix, confirmation, size in entries:
                if confirmation is None:
                    end = _end_of_word(joined, start + size) if prefix else start + size
                elif confirmed := confirmation.match(joined, start):
                    end = confirmed.end()
                else:
                    continue
                yield start, pattern_id, end


def _led_by_signs(finder: KeyFinder, joined: str) -> Iterator[tuple[int, int, int]]:
    for ahead, pattern_id in finder.led_by_signs:
        for occurrence in ahead.finditer(joined):
            yield occurrence.start(), pattern_id, occurrence.end(1)


def _end_of_word(text: str, position: int) -> int:
    """Where the word that goes on at ``position`` ends (``position`` itself when none does)."""
    tail = _WORD_TAIL.match(text, position)
    return position if tail is None else tail.end()
