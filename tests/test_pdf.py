"""PDF text: page numbers kept, Word's hard wraps undone, bad files reported rather than crashing the poll."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fpdf import FPDF

from monitor.extract.pdf import PdfError, extract_pdf, looks_like_pdf
from monitor.match.snippets import page_at as page_of
from monitor.text import PAGE_BREAK


def make_pdf(pages: list[str | list[str]], *, user_password: str | None = None) -> bytes:
    """A PDF with one page per entry: a string is a paragraph wrapped by fpdf, a list is lines placed as they are
    (as Word places the lines of a wrapped paragraph). An empty entry is a page with no text, like a scan."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for page in pages:
        pdf.add_page()
        if isinstance(page, str):
            if page:
                pdf.multi_cell(0, 6, page)
        else:
            for line in page:
                pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    if user_password:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    return bytes(pdf.output())


def report(keyword_page: int, pages: int = 5, keyword: str = "more police officers in the town centre") -> bytes:
    return make_pdf(
        [
            f"Page {number} of the Community Safety Partnership update. "
            + (f"Members asked for {keyword} at night. " if number == keyword_page else "Nothing else of note. ") * 3
            for number in range(1, pages + 1)
        ]
    )


def test_the_page_of_a_hit_is_the_page_it_is_printed_on():
    text = extract_pdf(report(keyword_page=4))
    assert len(text.pages) == 5
    assert text.note == ""
    offset = text.body.index("more police officers")
    assert page_of(text.body, offset) == 4
    assert page_of(text.body, 0) == 1
    assert text.body.count(PAGE_BREAK) == 4


def test_word_hard_wraps_are_joined_and_broken_words_mended():
    data = make_pdf(
        [
            [
                "Members asked for more police offi-",
                "cers in the town centre and for",
                "a knife crime",
                "surgery.",
                "",
                "Resolved:",
                "1. That the update be noted.",
            ]
        ]
    )
    page = extract_pdf(data).pages[0]
    assert "more police officers in the town centre and for a knife crime surgery." in page
    assert "Resolved:\n1. That the update be noted." in page


def test_pypdf_reads_what_pdfium_cannot():
    # A trailer pointing at no catalogue: PDFium gives up, pypdf searches the file for it.
    data = make_pdf(["The Panel discussed knife crime in Southend."]).replace(b"/Root", b"/Roox")
    assert "knife crime in Southend" in extract_pdf(data).pages[0]


def test_pages_without_text_are_flagged_as_possibly_scanned():
    text = extract_pdf(make_pdf(["Cover page", "", "", "", "Back page"]))
    assert text.note == "scanned? no text on pages 2-4"
    assert extract_pdf(make_pdf(["", ""])).note == "scanned? no text on any of the 2 pages"


def test_only_the_first_pages_are_read_beyond_the_page_limit():
    text = extract_pdf(report(keyword_page=1, pages=4), max_pages=2)
    assert len(text.pages) == 2
    assert text.note == "only the first 2 of 4 pages read"


def test_an_encrypted_pdf_is_reported_not_read():
    with pytest.raises(PdfError, match="encrypted and needs a password"):
        extract_pdf(make_pdf(["secret minutes"], user_password="letmein"))


def test_a_broken_pdf_is_reported_with_both_readers_reasons():
    with pytest.raises(PdfError, match=r"broken PDF, not read \(pdfium: .*; pypdf: .*\)"):
        extract_pdf(b"%PDF-1.7\n" + b"\x00garbage" * 50)


def test_an_oversized_pdf_is_not_opened():
    with pytest.raises(PdfError, match=r"the PDF is \d+ kB, over the 1 kB limit; not read"):
        extract_pdf(report(keyword_page=1), max_bytes=1000)


def test_pdf_is_recognised_by_its_marker_not_its_name():
    assert looks_like_pdf(b"\r\n" * 100 + b"%PDF-1.4 ...")
    assert not looks_like_pdf(b"<html><body>Document not found</body></html>")
    assert not looks_like_pdf(b" " * 1024 + b"%PDF-1.4")
    with pytest.raises(PdfError, match="not a PDF"):
        extract_pdf(b"PK\x03\x04 a Word document")


def test_documents_read_in_parallel_threads_come_out_whole():
    data = [report(keyword_page=page) for page in (1, 2, 3, 4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(extract_pdf, data * 3))
    assert [page_of(t.body, t.body.index("police officers")) for t in texts] == [1, 2, 3, 4] * 3
