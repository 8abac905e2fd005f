"""When to fetch a story's page again after it failed for a reason that may pass (a server error, a rate limit, the
network), and when to give up."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.durations import format_duration
from monitor.fetch import FetchError

PAGE_TRIES = 8  # fetches of one page in all, the first included
FIRST_PAGE_RETRY = timedelta(minutes=5)  # the wait after the first failure, doubling after each one after it
# No retry later than this after the story was found. Within the delivery service's ALERT_WINDOW, so a match a late
# page adds to an urgent topic is still alerted.
PAGE_RETRY_AGE = timedelta(days=1)


def after_failure(failure: FetchError, *, tries: int, found_at: datetime, now: datetime) -> tuple[str, datetime | None]:
    """The item's note after its page's ``tries``-th failed fetch, and when to fetch the page again (None: give up)."""
    retry_at = _next_try(failure, tries=tries, found_at=found_at, now=now)
    return _failure_note(failure, tries=tries, retrying=retry_at is not None), retry_at


def _next_try(failure: FetchError, *, tries: int, found_at: datetime, now: datetime) -> datetime | None:
    """None for a permanent failure (404, robots.txt says no, too large), when the tries are used up, or when the time
    (never before the server's Retry-After) would fall past the age limit."""
    if not failure.temporary or tries >= PAGE_TRIES:
        return None
    wait = max(FIRST_PAGE_RETRY * 2 ** (tries - 1), timedelta(seconds=failure.retry_after or 0))
    due = now + wait
    return due if due <= found_at + PAGE_RETRY_AGE else None


def too_old_to_retry(found_at: datetime, now: datetime) -> bool:
    """A page still waiting this long after its story was found (polls stopped for a while) is not fetched any more."""
    return now > found_at + PAGE_RETRY_AGE


def _failure_note(failure: FetchError, *, tries: int, retrying: bool) -> str:
    if retrying:
        return f"page not fetched: {failure.reason}{_WILL_RETRY}"
    if failure.temporary:
        return f"page not fetched after {tries} {'try' if tries == 1 else 'tries'}: {failure.reason} (gave up)"
    return f"page not fetched: {failure.reason}"


def expired_note(note: str) -> str:
    """The note of a waiting page given up unfetched because its time ran out."""
    age = format_duration(PAGE_RETRY_AGE)
    return f"{note.removesuffix(_WILL_RETRY)} (gave up: {age} passed since the story was found)"


_WILL_RETRY = " (will try again)"
