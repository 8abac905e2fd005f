"""``Retry-After``, as web servers and Slack send it: read in one place by the fetcher and by the outputs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def seconds_to_wait(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: a number of seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 850 and asctime dates carry no zone; HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retry_after_header(headers: Mapping[str, str | list[str]] | None) -> str | None:
    """The Retry-After value among ``headers``, whatever the case of its name (slack_sdk keeps names as sent and may
    give a value as a list)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            return value[0] if isinstance(value, list) else value
    return None
