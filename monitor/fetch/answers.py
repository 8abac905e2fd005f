"""What a fetch gives back: a ``Response`` with its ``Validators``, or a ``FetchError`` saying why there is none; and
``Answer``, what one hop of a request answered, which the client and the robots.txt cache share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin

from monitor.fetch.freshness import fresh_for

if TYPE_CHECKING:  # what a fetch gives back is read without the HTTP client
    import httpx2

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators of a URL, kept verbatim (weak ``W/"…"`` ETags included)."""

    etag: str | None = None
    last_modified: str | None = None

    def updated_by(self, newer: Validators) -> Validators:
        """These validators with whatever ``newer`` sends in their place: a 304 may repeat both, one or none."""
        return Validators(newer.etag or self.etag, newer.last_modified or self.last_modified)


@dataclass(frozen=True)
class Response:
    url: str  # final URL after redirects
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    content: bytes = b""
    validators: Validators = Validators()

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def fresh_for(self, now: datetime) -> timedelta | None:
        """How much longer this answer stays fresh by its Cache-Control, Expires and Age (a 304's own headers)."""
        return fresh_for(self.headers, now=now)


class FetchError(Exception):
    """A URL could not be fetched: unreachable, timed out, too big, an error status, refused by robots.txt.

    ``temporary`` says whether the same request may well succeed later (a server error, 408 or 429, the network, an
    unreadable robots.txt) rather than being refused for good (404, 410, robots.txt says no, too large); unless the
    raiser says otherwise it follows ``status``, so a failure without a status is taken as permanent.
    ``retry_after`` is the server's Retry-After in seconds from the moment it answered; ``retry_after_header`` is the
    value as sent, for a reader that keeps its own clock. ``kind`` names the failure in a word or two, for metrics:
    ``http_404`` for a status, else what the raiser says (``timeout``, ``connect``, ``too_large``, ``robots``…)."""

    default_kind = "other"

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        retry_after_header: str | None = None,
        temporary: bool | None = None,
        kind: str = "",
    ) -> None:
        self.url, self.reason, self.status, self.retry_after = url, reason, status, retry_after
        self.kind = kind or (f"http_{status}" if status is not None else self.default_kind)
        self.retry_after_header = retry_after_header
        self.temporary = _temporary_status(status) if temporary is None else temporary
        super().__init__(f"{url}: {reason}")


def _temporary_status(status: int | None) -> bool:
    return status is not None and (status >= 500 or status in (408, 429))


class LinkRefused(FetchError):
    """A found link, or a redirect, leads to a private address: refused before any request was sent there.

    Asking again changes nothing until the configuration does (``fetch.allow_private_links``)."""

    default_kind = "private_link"


@dataclass(frozen=True)
class Answer:
    """What one hop answered, with the body read (only for 2xx)."""

    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes
    location: str | None  # where a redirect points, resolved against ``url``

    @classmethod
    def of(cls, target: httpx2.URL, response: httpx2.Response, content: bytes) -> Answer:
        headers = dict(response.headers.items())
        location = None
        if response.status_code in REDIRECT_STATUSES and "location" in headers:
            location = urldefrag(urljoin(str(target), headers["location"])).url
        reason = _status_phrase(response.status_code) or response.reason_phrase
        return cls(str(target), response.status_code, reason, headers, content, location)


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
