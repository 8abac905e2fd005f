"""The extract stage for HTML: an article's body without its boilerplate, and plain text of short HTML fragments."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from monitor.demo.sample_site import sample_pages
from monitor.extract import html_to_text, read_article, reset_caches
from monitor.extract.html import _markup_text

PAGES = Path(__file__).parent / "fixtures" / "pages"

# Per page: words only the article body holds, then text from the page's sidebars, comments, menus, banners and footer.
PAGE_CASES = {
    "westcliff-appeal.html": (
        ["was stabbed in the leg", "Detective Sergeant Marcus Ollerenshaw"],
        ["Man stabbed in Basildon", "Bring back stop and search", "Knife crime is out of control", "We use cookies",
         "Announcements", "Registered in England and Wales", "Teenager arrested after Rayleigh burglary spree"],
    ),
    "knife-edge-vote.html": (
        ["casting vote of the chair", "knife-edge"],
        ["Teenager stabbed near Southend Victoria", "County lines gang jailed", "Machete gangs are everywhere",
         "This site uses cookies", "Get the Echo Fixture daily"],
    ),
    "southend-united.html": (
        ["lacked the killer instinct", "Attendance: 7,912"],
        ["Supporter stabbed outside away ground", "stabbing pain", "Skip to content", "Proudly powered by WordPress",
         "Previous: Preview"],
    ),
    "leigh-bakery.html": (
        ["best independent bakery in the East of England", "second counter in Hadleigh"],
        ["Two men stabbed in Hadleigh", "Leigh-on-Sea dispersal order extended", "machete attack in Chelmsford",
         "Advertisement", "store and/or access information"],
    ),
    "county-lines-shoeburyness.html": (
        ["cuckooing", "possession with intent to supply Class A drugs"],
        ["Man charged after stabbing in Colchester", "Knife arch operation", "Was this page useful",
         "optional analytics cookies", "In an emergency always call 999"],
    ),
}  # fmt: skip


def extract_fixture(name: str) -> str:
    text = read_article((PAGES / name).read_bytes(), f"https://www.fixture.example/news/{name}").text
    assert text is not None, f"nothing extracted from {name}"
    return text


@pytest.mark.parametrize("name", sorted(PAGE_CASES))
def test_article_body_is_extracted_without_sidebars_comments_or_boilerplate(name):
    body_terms, boilerplate = PAGE_CASES[name]

    text = extract_fixture(name)

    for term in body_terms:
        assert term in text, f"{name}: body text {term!r} missing"
    for phrase in boilerplate:
        assert phrase not in text, f"{name}: boilerplate {phrase!r} leaked into the text"


def test_every_fixture_page_has_a_case():
    assert sorted(PAGE_CASES) == sorted(page.name for page in PAGES.glob("*.html"))


def test_tables_in_the_body_are_kept():
    text = extract_fixture("county-lines-shoeburyness.html")

    assert re.search(r"Wraps of suspected crack cocaine\W+62", text)


def test_paragraphs_stay_on_their_own_lines_without_blank_runs():
    text = extract_fixture("leigh-bakery.html")

    assert "East of England at this year's regional food awards.\nCrumb & Tide" in text
    assert "\n\n\n" not in text and text == text.strip()


@pytest.mark.parametrize("page", [b"", b"<html><body></body></html>", b"<html><head><title>T</title></head></html>"])
def test_page_without_an_article_gives_none(page):
    assert read_article(page, "https://www.fixture.example/empty").text is None


def test_extraction_after_resetting_caches_is_unchanged():
    before = extract_fixture("southend-united.html")
    reset_caches()
    assert extract_fixture("southend-united.html") == before


DEMO_ARTICLES = [page for page in sample_pages("http://127.0.0.1:8000") if page.path.startswith("/articles/")]


@pytest.mark.parametrize("page", DEMO_ARTICLES, ids=lambda page: page.path)
def test_demo_articles_extract_without_their_sidebar_or_comments(page):
    text = read_article(page.body.encode(), f"http://127.0.0.1:8000{page.path}").text

    assert text is not None and len(text) > 300
    traps = ("Most read", "Teenager stabbed near Southend Victoria", "Knife arch operation", "Comments (",
             "Knife crime in Southend is out of control", "synthetic newspaper", "Was this page useful")  # fmt: skip
    for trap in traps:
        assert trap not in text


# --- html_to_text --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("Fish &amp; chips &#8217;n&#x27; peas &hellip;", "Fish & chips \u2019n' peas \u2026"),
        ("<p>First&nbsp;paragraph.</p><p>&nbsp;</p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p>Second.</p>",
         "First paragraph.\nSecond."),
        ("Line one<br>line two<br/><br />line   three", "Line one\nline two\nline three"),
        ("<div><h2>Item 5</h2><ul><li>Knife crime</li><li>Police numbers</li></ul></div>",
         "Item 5\nKnife crime\nPolice numbers"),
        ("<table><tr><td>Minute</td><td>Decision</td></tr><tr><td>12</td><td>Approved</td></tr></table>",
         "Minute Decision\n12 Approved"),
        ("Inline <b>bold</b>, <em>emphasis</em> and <a href='/x'>a link</a> stay on one line",
         "Inline bold, emphasis and a link stay on one line"),
        ("<p>Shown</p><script>var hidden = 1;</script><style>p {color: red}</style>", "Shown"),
        ("  plain\ttext \n\n with   spaces ", "plain text\nwith spaces"),
        ("", ""),
    ],
)  # fmt: skip
def test_html_to_text(fragment, text):
    assert html_to_text(fragment) == text


# Text that is not markup takes a short way; these pieces, strung together at random, must read as the parser reads
# them: whitespace of every kind, references of every shape (named, numeric, unterminated, unknown, out of range), and
# the characters the parser alone changes (NUL, a leading byte order mark).
_PLAIN_PIECES = [
    "a", "Knife", " ", "  ", "\n", "\r\n", "\r", "\t", "\xa0", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u3000",
    "\ufeff", "\x00", "é", "£", "&", ";", "#", "&amp;", "&amp", "&AMP;", "&nbsp;", "&nbsp", "&pound;", "&hellip;",
    "&notit;", "&unknown;", "&#8217;", "&#x2019;", "&#X41;", "&#0;", "&#128;", "&#x9d;", "&#xD800;", "&#1114112;",
    "&#65279;", "&#13;", "&#9;", "&lt;b&gt;", "AT&T", "&#39", "&apos;", "\U0001f600",
]  # fmt: skip


def test_text_without_markup_reads_as_the_parser_reads_it():
    rng = random.Random(13)
    fragments = ["".join(rng.choices(_PLAIN_PIECES, k=rng.randrange(1, 12))) for _ in range(3000)]
    fragments += [f"{piece}x" for piece in _PLAIN_PIECES] + [f"x{piece}" for piece in _PLAIN_PIECES]

    assert [html_to_text(fragment) for fragment in fragments] == [_markup_text(fragment) for fragment in fragments]
