"""The word view of a normalised text: what the Aho-Corasick automaton reads (see ``patterns.find_keys``).

Every character that is not a letter or digit becomes a space and every non-ASCII letter or digit becomes
``\\x01``, so the view is plain ASCII of the same length as the text: letters and digits where words are, spaces
between. Keys are viewed the same way; an occurrence found in the view is confirmed in the real text, so a
``\\x01`` standing for any non-ASCII letter costs nothing in precision.

Being ASCII, the view of mostly-ASCII text is cheap to make: ASCII and Latin-1 text goes through ``bytes.translate``
(several times faster than even the ASCII fast path of ``str.translate``); for any other text ``str.encode`` copies
the ASCII characters at C speed and calls ``_view_non_ascii`` only for the runs of other characters.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence

OTHER_WORD_CHAR = "\x01"
_ERRORS = "beatwatch.word_view"


def _view_char(char: str) -> str:
    if char.isascii():
        return char if char.isalnum() else " "
    return OTHER_WORD_CHAR if char.isalnum() else " "


_LATIN1_TABLE = bytes(ord(_view_char(chr(code))) for code in range(256))
# For the text encoded as ASCII: as above, except \x01, which there is the error handler's stand-in for a letter.
_BYTES_TABLE = bytes(1 if code == 1 else _LATIN1_TABLE[code] if code < 128 else ord(" ") for code in range(256))


class _OtherCharacters(dict):
    """``str.translate`` table of non-ASCII characters, filled on first sight."""

    def __missing__(self, code: int) -> str:
        self[code] = _view_char(chr(code))
        return self[code]


_OTHER = _OtherCharacters()


def _view_non_ascii(error: UnicodeError) -> tuple[str, int]:
    # Registered by name, so reachable from any codec call; only ``word_view``'s encoding is meant to reach it.
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return error.object[error.start : error.end].translate(_OTHER), error.end


codecs.register_error(_ERRORS, _view_non_ascii)


def word_view(text: str) -> str:
    """``text`` as the automaton reads it; normalised, its only control characters are the ``\\x00`` joining fields."""
    return ascii_word_view(text).decode("ascii")


def ascii_word_view(text: str) -> bytes:
    """``word_view(text)`` encoded as ASCII."""
    try:  # ASCII, or £, ø and the like: one byte a character
        return text.encode("latin-1").translate(_LATIN1_TABLE)
    except UnicodeEncodeError:
        return text.encode("ascii", _ERRORS).translate(_BYTES_TABLE)


def folded_view_table(fold: bytes) -> bytes:
    """The ``bytes.translate`` table that makes the view of Latin-1 text folded by the table ``fold``: both in one."""
    return bytes(_LATIN1_TABLE[code] for code in fold)


def joined_view(views: Sequence[bytes]) -> bytes:
    """The view of texts joined by ``\\x00`` (as ``patterns.find_keys`` joins them), from their ``views``."""
    return b" ".join((b"", *views, b""))  # \x00, not a letter or digit, is a space in the view
