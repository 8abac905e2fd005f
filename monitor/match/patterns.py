"""The distinct things to look for, numbered, and the Aho-Corasick automaton that finds them all.

Every plain word, phrase and wildcard of every topic is known to ONE automaton (pyahocorasick), by the first word of
the term. One RE2 pass over an item's fields finds where a term may be (its anchor: its first two words, or its only
one), and the automaton reads those stretches, reporting every place where such a word starts a word of the text,
overlapping terms included. There the whole term is confirmed when it has more than that word, and a wildcard runs on
to the end of its word. Terms of ``stem: true`` topics go into a second automaton, searched in a stemmed view of the
fields. See ``find_keys`` for how the automaton is kept fast, and ``KeyFinder`` for how most of the text is passed over
before it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from itertools import accumulate
from typing import NamedTuple

import ahocorasick
import re2

from monitor.match.normalise import WORD_CHAR
from monitor.match.stemming import stemmed_view
from monitor.match.terms import Near, Phrase, Regex, Term
from monitor.match.view import OTHER_WORD_CHAR, ascii_word_view, word_view

Span = tuple[int, int]

_WORD_TAIL = re.compile(WORD_CHAR + "*")
_NEXT_WORD = re.compile(b" *([^ ]*)")  # in the word view
_ANCHOR = re.compile("[^ ]+")  # in a view key
# Beyond about 1,000 anchors (thousands of terms) RE2's DFA outgrows its default memory and RE2 falls back to a search
# ten times slower than the automaton; cutting anchors short finds nearly every word. The automaton reads all then.
_MOST_ANCHORS = 1000
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
    """An automaton of keys, and a regular expression that finds where one of them may be, far faster.

    pyahocorasick walks its automaton one character at a time, which costs most of the time of matching. So RE2,
    whose compiled DFA runs at C speed, first finds the *anchors* (see ``_anchors``): a key's first two runs of
    letters and digits, or its only one. Every occurrence of a key holds an occurrence of its anchor, and lies within
    ``reach`` characters of it either way; the automaton reads only those stretches of the view, and so finds
    exactly what it would find in the whole view, in the same order. A phrase is anchored by its first two words
    because its first word alone is often among the commonest ("was charged", "more officers", "Old Leigh"): every
    "was" found would cost a look at the word after it.
    """

    automaton: ahocorasick.Automaton
    anchors: re2._Regexp | None  # None: the automaton reads the whole view (see ``_anchors``)
    reach: int  # the length of the longest view key

    def stretches(self, view: bytes) -> list[tuple[int, int]]:
        """The stretches of ``view`` that hold every occurrence of a view key, in order and not overlapping."""
        reach, size = self.reach, len(view)
        if self.anchors is None:
            return [(0, size)]
        stretches: list[tuple[int, int]] = []
        for anchor in self.anchors.finditer(view):
            # To the anchor's end: an anchor found inside a longer one ("leigh" in "old leigh") is not found again.
            low, high = anchor.start() - reach, anchor.end() + reach
            if stretches and low <= stretches[-1][1]:
                stretches[-1] = (stretches[-1][0], min(high, size))
            else:
                stretches.append((max(low, 0), min(high, size)))
        return stretches


def build_automaton(keys: dict[str, list[int]]) -> KeyFinder | None:
    """One automaton over the word view (see ``find_keys``) finding every key in ``keys``."""
    if not keys:
        return None
    by_view_key: defaultdict[str, list[tuple[_Entry, list[str]]]] = defaultdict(list)
    for key, slots in keys.items():
        rest = key.partition(" ")[2]
        for slot, pattern_id in enumerate(slots):
            if pattern_id < 0:
                continue
            prefix = slot == _PREFIX
            lead, view_key = _view_key(key, prefix)
            entry = _Entry(lead, pattern_id, prefix, _confirmation(key, prefix), len(key))
            by_view_key[view_key].append((entry, word_view(rest).split()))
    automaton = ahocorasick.Automaton()
    for view_key, entries in by_view_key.items():
        automaton.add_word(view_key, _keys(len(view_key), entries))
    automaton.make_automaton()
    keys_in_view = [(view_key, following) for view_key, entries in by_view_key.items() for _, following in entries]
    return KeyFinder(automaton, _anchors(keys_in_view), max(map(len, by_view_key)))


def _view_key(key: str, prefix: bool) -> tuple[int, str]:
    """(1 when a space stands before ``key`` in its view key, the view key): the view of the key's first word, with a
    space before it when the key starts with a letter or digit, and after it when that word must end there."""
    first_word, _, rest = key.partition(" ")
    lead = int(key[0].isalnum())  # a key starting with a letter or digit must start a word
    trail = first_word[-1].isalnum() and (bool(rest) or not prefix)  # ... and the word must end
    return lead, " " * lead + word_view(first_word) + " " * trail


def anchor_search(patterns: PatternTable, pattern_ids: Collection[int]) -> re2._Regexp | None:
    """What finds, in the word view of a text, where one of ``pattern_ids`` may be found: a view without any of their
    anchors holds none of them. None when one of them is not a plain key, or see ``_anchors``."""
    keys = patterns.plain_keys(pattern_ids) if pattern_ids else None
    if keys is None:
        return None
    return _anchors([(_view_key(key, prefix)[1], word_view(key.partition(" ")[2]).split()) for key, prefix in keys])


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
    """A key as the automaton knows it, under the view of its first word."""

    lead: int  # 1 when the view key has a space before the key
    pattern_id: int
    prefix: bool
    confirmation: re.Pattern[str] | None  # None when finding the view key says it all
    size: int  # of the key


class _Keys(NamedTuple):
    """What the automaton holds for one view key: the keys starting with that word, by the word that comes next."""

    length: int  # of the view key
    alone: tuple[_Entry, ...]  # keys of one word (or with nothing more the view can show)
    by_next: dict[str, tuple[_Entry, ...]]  # by the view of their second word
    by_next_start: tuple[tuple[str, _Entry], ...]  # wildcards of two words: the second word starts so


def _keys(length: int, entries: list[tuple[_Entry, list[str]]]) -> _Keys:
    alone, by_next, by_next_start = [], defaultdict(list), []
    for entry, following in entries:
        if not following:
            alone.append(entry)
        elif entry.prefix and len(following) == 1:
            by_next_start.append((following[0], entry))
        else:
            by_next[following[0]].append(entry)
    return _Keys(length, tuple(alone), {word: tuple(group) for word, group in by_next.items()}, tuple(by_next_start))


def _confirmation(key: str, prefix: bool) -> re.Pattern[str] | None:
    """What confirms ``key`` where the view of its first word was found; None when the view has said it all."""
    if key.isascii() and key.isalnum():
        return None
    source = " +".join(map(re.escape, key.split(" ")))  # a space of the key matches a run of spaces
    if prefix:
        source += WORD_CHAR + "*"
    elif key[-1].isalnum():
        source += f"(?!{WORD_CHAR})"
    return re.compile(source)


def find_keys(finder: KeyFinder, texts: Sequence[str], view: bytes | None = None) -> list[defaultdict[int, list[Span]]]:
    """Every occurrence of every key on word boundaries in each of ``texts``; where matching spends its time.

    The texts are read together, joined by ``\x00`` (which no normalised text contains, so no key reaches from one
    text into the next), in their *word view* (``view.word_view``). The automaton knows each key by the view of the
    key's first word, with a space put before it when the key starts with a letter or digit, and after it when that
    word must end there. So keys are found only where words start, and since nearly every automaton key
    begins with a space, the automaton's root has one way out instead of dozens, which makes pyahocorasick about
    three times faster. Phrases that start with the word found are narrowed down by the next word of the view;
    where the view cannot tell (punctuation, letters beyond ASCII, more words), a regular expression confirms the
    key in the real text at the place found. The automaton reads only the stretches of the view where
    ``finder`` says a key may be. ``view``: the view of the joined texts (``view.joined_view``), if made already.
    """
    joined = "\x00".join(("", *texts, ""))  # \x00 at either end, too: a space in the view
    if view is None:
        view = ascii_word_view(joined)
    starts = list(accumulate((len(text) + 1 for text in texts[:-1]), initial=1))
    found: list[defaultdict[int, list[Span]]] = [defaultdict(list) for _ in texts]
    for last, (length, entries, by_next, by_next_start) in _found(finder, view):
        if by_next or by_next_start:  # the view key ended with a space: the next word follows the run of spaces
            next_word = _NEXT_WORD.match(view, last + 1)
            assert next_word is not None  # " *([^ ]*)" matches anywhere, if only the empty string
            following = next_word.group(1).decode("ascii")
            entries = (
                *entries,
                *by_next.get(following, ()),
                *(entry for start, entry in by_next_start if following.startswith(start)),
            )
        first = last - length + 1  # where the view key starts; the key starts there or after its leading space
        for lead, pattern_id, prefix, confirmation, size in entries:
            start = first + lead
            if confirmation is None:
                end = _end_of_word(joined, start + size) if prefix else start + size
            elif not (confirmed := confirmation.match(joined, start)):
                continue
            else:
                end = confirmed.end()
            text = bisect_right(starts, start) - 1
            found[text][pattern_id].append((start - starts[text], end - starts[text]))
    return found


def _end_of_word(text: str, position: int) -> int:
    """Where the word that goes on at ``position`` ends (``position`` itself when none does)."""
    tail = _WORD_TAIL.match(text, position)
    return position if tail is None else tail.end()


def _found(finder: KeyFinder, view: bytes) -> Iterator[tuple[int, _Keys]]:
    """What the automaton finds in ``view``, by where each view key ends."""
    for low, high in finder.stretches(view):
        for last, keys in finder.automaton.iter(view[low:high].decode("ascii")):
            yield low + last, keys
