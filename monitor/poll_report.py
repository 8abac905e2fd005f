"""What a poll of one source reports, and its outcome in words: for the poll table, `monitor status`, the digest's list
of sources with problems, and the log. Whatever goes wrong inside a source is said in words there; a bug's traceback
goes to the log only."""

from __future__ import annotations

import logging
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from monitor.fetch import FetchError
from monitor.sources import SourceError

log = logging.getLogger("monitor.poll")


@dataclass(frozen=True)
class PollReport:
    """What one poll of one source did, for the poll table, the log and the delivery service's notices."""

    source_id: str
    new_items: int = 0
    new_matches: int = 0
    error: str | None = None
    seconds: float = 0.0
    unchanged: bool = False
    notes: tuple[str, ...] = ()
    pages_failed: int = 0  # story pages this poll could not fetch, at a first try or a later one
    pages_read_late: int = 0  # pages that had failed before and were read this time
    page_error: str | None = None  # the last page this poll could not fetch: "URL: note"
    postponed: bool = False  # not polled (no request made): the source waits, for the reason in ``next_poll``
    next_poll: str = ""  # why the source waits before its next poll (monitor/next_poll.py); "" when it does not
    gone: bool = False  # its server has just said it is gone (410): the admin is told once
    topics: tuple[str, ...] = ()  # the topic of each new match
    failure: str | None = None  # what kind of failure ``error`` is, in a word or two (``failure_kind``), for metrics


@dataclass
class PollCounts:
    """What a poll of one source has done so far."""

    items: int = 0
    notes: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # one per new match
    pages_failed: int = 0
    pages_read_late: int = 0
    page_error: str | None = None

    @property
    def matches(self) -> int:
        return len(self.topics)

    def page_failed(self, url: str, note: str) -> None:
        self.pages_failed += 1
        self.page_error = f"{url}: {note}"

    def report(
        self,
        source_id: str,
        *,
        error: str | None,
        seconds: float,
        unchanged: bool,
        next_poll: str,
        gone: bool,
        failure: str | None,
    ) -> PollReport:
        """The report of a poll that did this much and ended so."""
        return PollReport(
            source_id,
            self.items,
            self.matches,
            error,
            seconds,
            unchanged,
            tuple(self.notes),
            pages_failed=self.pages_failed,
            pages_read_late=self.pages_read_late,
            page_error=self.page_error,
            next_poll=next_poll,
            gone=gone,
            topics=tuple(self.topics),
            failure=failure,
        )


def log_poll(
    source_id: str, counts: PollCounts, *, error: str | None, unchanged: bool, next_poll: str, seconds: float
) -> None:
    """The poll's outcome in the log: its error or what it found, the story pages it could not fetch, its wait. The
    outcome's figures are fields of its event too, for a JSON log."""
    figures = {"seconds": round(seconds, 3), "new_items": counts.items, "new_matches": counts.matches}
    if error:
        log.warning("source %s failed after %.1f s: %s", source_id, seconds, error, extra={**figures, "error": error})
    else:
        log.info(
            "source %s: %d new items, %d new matches%s, %d pages read on a later try in %.1f s",
            source_id,
            counts.items,
            counts.matches,
            " (not modified)" if unchanged else "",
            counts.pages_read_late,
            seconds,
            extra={**figures, "not_modified": unchanged, "pages_read_late": counts.pages_read_late},
        )
    if counts.page_error:
        log.warning(
            "source %s: story pages not fetched: %d; last: %s", source_id, counts.pages_failed, counts.page_error
        )
    if next_poll:
        log.info("source %s: %s", source_id, next_poll)


UNEXPECTED = "an unexpected problem; the details are in the log"


def failure_kind(failure: Exception, *, storing: bool) -> str:
    """A poll's failure in a word or two, from a short fixed list, for metrics: the fetch's kind (``http_503``,
    ``timeout``…), ``unreadable`` for an answer the source could not read, ``reader_died`` for a process of the pool
    that ended under it, else ``storing`` or ``unexpected``."""
    if isinstance(failure, FetchError):
        return failure.kind
    if isinstance(failure, SourceError):
        return "unreadable"
    if isinstance(failure, BrokenProcessPool):
        return "reader_died"
    return "storing" if storing else "unexpected"


def problem_text(failure: Exception, *, storing: bool) -> str:
    """What went wrong, in words, for the poll table, `monitor status` and the digest: a fetch or a source says what
    it met; anything else is a bug, whose traceback is in the log and nowhere else."""
    if isinstance(failure, (FetchError, SourceError)):
        return str(failure)
    if isinstance(failure, BrokenProcessPool):
        return (
            "a process reading documents ended mid-way (killed, or out of memory: check the machine's memory and the"
            " log); what was stored is kept, and the rest is read again at the next poll"
        )
    doing = "storing what this source had (what was stored is kept)" if storing else "reading this source"
    return f"an unexpected problem while {doing}; the details are in the log"


__all__ = ["UNEXPECTED", "PollCounts", "PollReport", "failure_kind", "log_poll", "problem_text"]
