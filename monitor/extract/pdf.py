"""PDF to text, page by page: pypdfium2 first, pypdf when pdfium cannot read the file.

pypdfium2 and pypdf are imported at the first PDF read, not with the module: most commands never read one.

Council reports are Word exports with a text layer, so no OCR: a page without text is flagged instead. The pages of one
document travel as one string with a form feed between pages, so a later stage can turn a hit's offset into a page
number (``monitor.match.snippets.page_at``).
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.text import PAGE_BREAK, byte_size

if TYPE_CHECKING:
    import pypdfium2

MAX_PAGES = 300
MAX_BYTES = 30_000_000

# PDFium is not thread-safe and polls run in threads: one document at a time goes through it.
_PDFIUM_LOCK = threading.Lock()

# PDFium marks a hyphen it found at a line end (a word broken over two lines) with U+FFFE or U+0002; U+00AD is the
# soft hyphen.
_BROKEN_WORD = re.compile("[\ufffe\u0002\u00ad]\n?")
_HYPHEN_WRAP = re.compile(r"(?<=[a-z])-\n(?=[a-z])")
# A line break inside a paragraph: not after the end of a sentence, not before a blank line or the start of a list item.
_WRAP = re.compile(r"(?<![.!?:;\n])\n(?![\n\u2022\u25aa\u2013*-]|\s*(?:\d{1,3}[.)]|\(?[a-z]\))\s)")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class PdfError(Exception):
    """A PDF that cannot be read: encrypted, broken, or over the limits. ``reason`` says which, for a person."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class PdfText:
    """The text of each page read (page 1 first), and a note on what was odd: no text on some pages, pages left out."""

    pages: tuple[str, ...]
    note: str = ""

    @property
    def body(self) -> str:
        return PAGE_BREAK.join(self.pages)


def looks_like_pdf(data: bytes) -> bool:
    """True when ``data`` starts like a PDF. Readers accept the ``%PDF`` marker anywhere in the first kilobyte."""
    return b"%PDF" in data[:1024]


def extract_pdf(data: bytes, *, max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES) -> PdfText:
    """The text of the first ``max_pages`` pages of a PDF, with Word's hard line wraps undone.

    Raises ``PdfError`` when the file is too big, encrypted with a password, or neither pypdfium2 nor pypdf can read it.
    """
    if len(data) > max_bytes:
        raise PdfError(f"the PDF is {byte_size(len(data))}, over the {byte_size(max_bytes)} limit; not read")
    if not looks_like_pdf(data):
        raise PdfError("not a PDF (no %PDF marker in the first kilobyte)")
    import pypdfium2

    try:
        raw_pages, page_count = _read_with_pdfium(data, max_pages)
    except pypdfium2.PdfiumError as pdfium_error:
        if "password" in str(pdfium_error).lower():
            raise PdfError("the PDF is encrypted and needs a password; not read") from pdfium_error
        raw_pages, page_count = _read_with_pypdf(data, max_pages, pdfium_error)
    pages = tuple(_unwrap(page) for page in raw_pages)
    return PdfText(pages=pages, note=_note(pages, page_count))


def _read_with_pdfium(data: bytes, max_pages: int) -> tuple[list[str], int]:
    import pypdfium2

    with _PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(data)
        try:
            page_count = len(document)
            return [_pdfium_page_text(document, index) for index in range(min(page_count, max_pages))], page_count
        finally:
            document.close()


def _pdfium_page_text(document: pypdfium2.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        text_page = page.get_textpage()
        try:
            return text_page.get_text_range()
        finally:
            text_page.close()
    finally:
        page.close()


def _read_with_pypdf(data: bytes, max_pages: int, pdfium_error: Exception) -> tuple[list[str], int]:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfError("the PDF is encrypted and needs a password; not read")
        page_count = len(reader.pages)
        return [reader.pages[index].extract_text() or "" for index in range(min(page_count, max_pages))], page_count
    except PdfError:
        raise
    except Exception as pypdf_error:  # pypdf raises many kinds of error on broken files; all mean "cannot read"
        raise PdfError(f"broken PDF, not read (pdfium: {pdfium_error}; pypdf: {pypdf_error})") from pypdf_error


def _unwrap(text: str) -> str:
    """Page text with the lines of each paragraph joined and words broken over two lines made whole again."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace(PAGE_BREAK, "\n")
    text = _BROKEN_WORD.sub("", text)
    text = _HYPHEN_WRAP.sub("", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    text = _WRAP.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _note(pages: tuple[str, ...], page_count: int) -> str:
    notes = []
    empty = [number for number, text in enumerate(pages, start=1) if not text]
    if empty and len(empty) == len(pages):
        notes.append(f"scanned? no text on any of the {len(pages)} pages")
    elif empty:
        notes.append(f"scanned? no text on {'page' if len(empty) == 1 else 'pages'} {_ranges(empty)}")
    if page_count > len(pages):
        notes.append(f"only the first {len(pages)} of {page_count} pages read")
    return "; ".join(notes)


def _ranges(numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` as ``"3-5, 9"``."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(first) if first == last else f"{first}-{last}" for first, last in spans)
