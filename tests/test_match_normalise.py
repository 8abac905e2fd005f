"""The normal form of text and terms, and the way from a span of it back to the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match.normalise import (
    _FOLD,
    WORD,
    collapse_spaces,
    normalise,
)
from monitor.match.normalise import _fold as fold
from monitor.match.normalise import _fold_other as fold_other
from monitor.match.normalise import _latin1_form as latin1_form
from monitor.match.terms import Phrase, parse_term
from monitor.match.view import OTHER_WORD_CHAR, word_view


def normal_form(text: str) -> str:
    """``text`` after all three steps, without spaces at either end: how the words of a rule term are read."""
    return collapse_spaces(normalise(text).text)[0].strip(" ")


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("Leigh-on-Sea", "leigh on sea"),
        ("leigh – on – sea", "leigh on sea"),
        ("Knife\r\n\r\n\tCRIME", "knife crime"),
        ("Café Straße ﬁne", "cafe strasse fine"),
        ("cafe\u0301", "cafe"),  # a combining accent
        ("O’Brien “said”", 'o\'brien "said"'),
        ("Smith &amp; Sons&#8217;", "smith & sons'"),
        ("a&nbsp;b", "a b"),
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zero width"),
        ("ＦＵＬＬ width", "full width"),
        ("İstanbul", "istanbul"),
        ("bell\x07 nul\x00", "bell nul"),
        ("ø ł æ", "ø ł æ"),  # letters without a decomposition stay
        ("&amp", "&amp"),  # no semicolon: left alone
    ],
)
def test_the_normal_form(text, form):
    assert parse_term(text).body == Phrase(form)
    assert normal_form(text) == form


def test_normalise_keeps_runs_of_spaces_so_that_it_stays_one_character_per_character():
    normalised = normalise("Knife\n\ncrime - here")
    assert normalised.text == "knife  crime   here"
    assert normalised.maps == ()
    assert collapse_spaces(normalised.text)[0] == "knife crime here"


def test_a_span_of_the_normal_form_leads_back_to_the_original_text():
    original = "Smith &amp; Sons ﬁght in Straße, cafe\u0301 – then…\n\nknife"
    normalised = normalise(original)
    single, back = collapse_spaces(normalised.text)
    for word in ("smith", "&", "sons", "fight", "strasse", "cafe", "...", "knife"):
        start = single.index(word)
        original_start, original_end = normalised.original_span(back.start(start), back.end(start + len(word)))
        assert normal_form(original[original_start:original_end]) == word
    start, accented = single.index("cafe"), original.index("cafe")
    assert normalised.original_span(back.start(start), back.end(start + 4)) == (accented, accented + 5)


HARD_PIECES = ["&amp;", "&#8217;", "ß", "ﬁ", "\u0301", "…", "—", "\n", "  ", "word", "\udc80"]
PIECES = st.text(max_size=3) | st.sampled_from(HARD_PIECES)
ANY_TEXT = st.lists(PIECES, max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_every_word_of_the_normal_form_maps_back_to_original_text_of_that_form(original):
    normalised = normalise(original)
    for word in WORD.finditer(normalised.text):
        start, end = normalised.original_span(*word.span())
        assert 0 <= start < end <= len(original)
        assert word.group() in normal_form(original[start:end])


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_the_one_by_one_and_the_whole_text_ways_of_folding_agree(text):
    one_by_one = fold_other(text + "\u2602")  # a non-ASCII character keeps ASCII text on these paths
    whole = (text + "\u2602").translate(_FOLD), _FOLD.edits(text + "\u2602")
    assert one_by_one == whole
    assert fold(*latin1_form(text))[0] == text.translate(_FOLD)


@given(st.characters())
def test_folding_is_idempotent(char):
    folded = _FOLD[ord(char)]
    assert "".join(_FOLD[ord(piece)] for piece in folded) == folded


@given(st.characters())
def test_word_characters_are_letters_and_digits_for_re_and_str_alike(char):
    assert bool(WORD.fullmatch(char)) == char.isalnum()


@given(ANY_TEXT)
def test_the_word_view_keeps_length_ascii_letters_and_word_boundaries(text):
    normalised = normalise(text).text
    view = word_view(normalised)
    assert view.isascii() and len(view) == len(normalised)
    for char, seen in zip(normalised, view, strict=True):
        assert seen == (char if char.isascii() and char.isalnum() else OTHER_WORD_CHAR if char.isalnum() else " ")


@pytest.mark.parametrize(
    ("piece", "form"),
    [
        ("漢字かな Ελληνικά ", "漢字かな ελληνικα "),
        ("X", "x"),
        ("\n\x01-", "   "),
        ("Straße ﬁ cafe\u0301 ", "strasse fi cafe "),
    ],
)
def test_megabytes_of_hard_text_are_normalised(piece, form):
    text = piece * (1_000_000 // len(piece))
    normalised = normalise(text)
    assert normalised.text == form * (1_000_000 // len(piece))
    last = normalised.original_span(len(normalised.text) - len(form), len(normalised.text))
    assert text[slice(*last)] == piece
