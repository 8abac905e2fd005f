"""Small text helpers shared by several stages: one home each, so that every stage cuts, flattens and sizes alike."""

from __future__ import annotations

import re

ELLIPSIS = "…"
# Between the pages of a document's text (a form feed): where a hit falls says which page it is on.
PAGE_BREAK = "\f"
_BYTE_ORDER_MARK_AND_SPACE = b"\xef\xbb\xbf \t\r\n"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space, and none at the ends."""
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: when longer, cut at the last word that fits, then "…"."""
    flat = one_line(text)
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - len(ELLIPSIS) + 1]
    words = cut.rsplit(" ", 1)[0] if " " in cut else cut[: limit - len(ELLIPSIS)]
    return words.rstrip() + ELLIPSIS


def without_bom(data: bytes) -> bytes:
    """``data`` without a UTF-8 byte order mark or whitespace before it: what a sniffing parser should look at."""
    return data.lstrip(_BYTE_ORDER_MARK_AND_SPACE)


def byte_size(count: int) -> str:
    """A size as people read it: "30 MB", "1.5 MB", "312 kB", "900 bytes"."""
    if count >= 1_000_000:
        return f"{round(count / 1_000_000, 1):g} MB"
    if count >= 1_000:
        return f"{round(count / 1_000):g} kB"
    return f"{count} bytes"


def error_words(error: BaseException, otherwise: str = "") -> str:
    """What an error says, without the name of its class or the system's "[Errno 111]": "Connection refused", never
    "URLError(ConnectionRefusedError(111, 'Connection refused'))"; ``otherwise`` when it says nothing."""
    reason = getattr(error, "reason", None)  # urllib's URLError wraps the error of the socket underneath
    if isinstance(reason, BaseException):
        return error_words(reason, otherwise)
    if isinstance(reason, str) and reason:
        return reason
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return re.sub(r"^\[Errno -?\d+\]\s*", "", str(error)).strip() or otherwise
