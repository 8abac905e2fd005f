"""How long an answer stays fresh by its own headers (RFC 9111 §4.2), as a private cache reckons it: what a source's
next poll may wait for, since asking again before then can only bring the same answer back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# Directives that leave nothing to reuse: the answer must be asked for again every time.
_NO_REUSE = frozenset({"no-cache", "no-store"})


def fresh_for(headers: Mapping[str, str], *, now: datetime) -> timedelta | None:
    """How much longer the answer with ``headers`` (lower-case names) stays fresh; None when it says nothing, or says
    that it is not to be reused (``no-cache``, ``no-store``, ``max-age=0``, an ``Expires`` not after its ``Date``).

    ``max-age`` wins over ``Expires`` (RFC 9111 §5.3); the time the answer already spent in caches on the way (``Age``)
    counts against it. ``Expires`` is measured from the server's own ``Date``, so our clock and the server's need not
    agree; ``now`` stands in for a missing ``Date``."""
    directives = _cache_control(headers.get("cache-control", ""))
    if _NO_REUSE & directives.keys():
        return None
    lifetime = _max_age(directives.get("max-age"))
    if lifetime is None and "expires" in headers:
        expires = _http_date(headers["expires"])
        lifetime = expires - (_http_date(headers.get("date", "")) or now) if expires else timedelta(0)
    if lifetime is None:
        return None
    left = lifetime - timedelta(seconds=_seconds(headers.get("age")) or 0)
    return left if left > timedelta(0) else None


def _cache_control(value: str) -> dict[str, str | None]:
    """The directives of a Cache-Control header, by lower-case name, each with its value (unquoted) or None."""
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, equals, argument = part.strip().partition("=")
        if name:
            directives.setdefault(name.strip().lower(), argument.strip().strip('"') if equals else None)
    return directives


def _max_age(value: str | None) -> timedelta | None:
    seconds = _seconds(value)
    return None if seconds is None else timedelta(seconds=seconds)


def _seconds(value: str | None) -> int | None:
    """A delta-seconds value (RFC 9111 §1.2.2): digits only; anything else is not one."""
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _http_date(value: str) -> datetime | None:
    """An HTTP date as an aware time; None when it is not one (an invalid Expires means "already expired")."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
