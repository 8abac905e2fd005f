"""Time, injected: every stage asks a clock for "now" so tests can choose it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_from_iso(text: str | None) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (one without a zone is taken as UTC); None if it is not one."""
    try:
        stamp = datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
