"""Documents to text by what their bytes are: PDF (page by page), HTML, or a note saying why there is no text.

Council systems link documents through handler URLs with no extension (``mgConvert2PDF.aspx?ID=60860``,
``Document.ashx?id=…``) and often send no useful Content-Type, so the bytes decide. Each result carries a short hash
of its words, which is how a council source tells a republished document from a changed one.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass

from monitor.extract.html import fragment_text
from monitor.extract.pdf import MAX_BYTES, PdfError, extract_pdf, looks_like_pdf

DOCUMENT_MAX_BYTES = MAX_BYTES  # a bigger document is not downloaded at all
UNREAD = "unread"  # the hash of a document that could not be downloaded

_WORDS = re.compile(r"\w+")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_WORD_TYPES = ("application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .doc files


@dataclass(frozen=True)
class DocumentText:
    """The text of a downloaded document (PDF pages separated by form feeds), or None and a note saying why there is
    none; ``hash`` changes when the document's words (or, without text, its bytes) change."""

    body: str | None
    note: str
    hash: str

    @classmethod
    def unread(cls, reason: str) -> DocumentText:
        """A document that could not be downloaded: reported by its title alone."""
        return cls(None, f"document not fetched: {reason}", UNREAD)


def document_text(data: bytes, content_type: str, url: str) -> DocumentText:
    """Text of a document by what its bytes are: PDF, HTML, Word (not read), or anything else (not read)."""
    media_type = content_type.split(";")[0].strip().lower()
    if looks_like_pdf(data):
        try:
            pdf = extract_pdf(data)
        except PdfError as error:
            return DocumentText(None, error.reason, _bytes_hash(data))
        return DocumentText(pdf.body, pdf.note, content_hash(pdf.body))
    if media_type in _HTML_TYPES or data.lstrip()[:1] == b"<":
        text = fragment_text(data.decode(_charset(content_type), errors="replace"))
        return DocumentText(text, "", content_hash(text))
    if _is_word(data, media_type, url):
        return DocumentText(None, "Word document not extracted", _bytes_hash(data))
    note = f"not extracted: {media_type or 'unknown type'} is not PDF or HTML"
    return DocumentText(None, note, _bytes_hash(data))


def content_hash(text: str) -> str:
    """8 hex digits that change when the words of ``text`` change, and not when only spacing or markup does."""
    words = " ".join(_WORDS.findall(text.lower()))
    return hashlib.sha256(words.encode()).hexdigest()[:8]


def _is_word(data: bytes, media_type: str, url: str) -> bool:
    path = url.split("?")[0].lower()
    return media_type in _WORD_TYPES or path.endswith((".doc", ".docx")) or data.startswith(_OLE_MAGIC)


def _charset(content_type: str) -> str:
    """The charset a Content-Type names, when Python knows it; UTF-8 otherwise."""
    found = re.search(r"charset=[\"']?([\w-]+)", content_type, re.IGNORECASE)
    try:
        return codecs.lookup(found.group(1)).name if found else "utf-8"
    except LookupError:
        return "utf-8"


def _bytes_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]
