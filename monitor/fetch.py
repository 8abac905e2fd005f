"""The one HTTP client every source uses: timeouts, size caps, redirects, conditional GET, per-host politeness,
robots.txt, and the guard that keeps links found in feeds and pages away from private addresses.

``Fetcher.get`` either returns a ``Response`` (2xx, or 304 to a conditional request) or raises ``FetchError`` with a
reason a newsroom can read ("answered 503 Service Unavailable", "timed out after 30 s").
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin

import httpcore2
import httpx2
from protego import Protego

if TYPE_CHECKING:
    from monitor.fetch_settings import FetchSettings

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_PARSE_LIMIT = 500 * 1024  # RFC 9309 §2.5: parse at least 500 KiB; we read no more
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2: follow at least five
ROBOTS_CACHE_SECONDS = 24 * 3600  # RFC 9309 §2.4: do not use a cached copy for more than 24 hours
# An unreadable robots.txt blocks the whole site (RFC 9309 §2.3.1.4); asking again at the next poll rather than a day
# later keeps a short outage from silencing a source for 24 hours.
ROBOTS_RETRY_SECONDS = 10 * 60

# Advertise only the codings httpx2 can decode here: br needs the optional brotli package.
_BROTLI = any(importlib.util.find_spec(name) for name in ("brotli", "brotlicffi"))
ACCEPT_ENCODING = "gzip, deflate, br" if _BROTLI else "gzip, deflate"


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


class FetchError(Exception):
    """A URL could not be fetched: unreachable, timed out, too big, an error status, refused by robots.txt.

    ``temporary`` says whether the same request may well succeed later (a server error, 408 or 429, the network, an
    unreadable robots.txt) rather than being refused for good (404, 410, robots.txt says no, too large); unless the
    raiser says otherwise it follows ``status``, so a failure without a status is taken as permanent."""

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        temporary: bool | None = None,
    ) -> None:
        self.url, self.reason, self.status, self.retry_after = url, reason, status, retry_after
        self.temporary = _temporary_status(status) if temporary is None else temporary
        super().__init__(f"{url}: {reason}")


def _temporary_status(status: int | None) -> bool:
    return status is not None and (status >= 500 or status in (408, 429))


class LinkRefused(FetchError):
    """A found link, or a redirect, leads to a private address: refused before any request was sent there.

    Asking again changes nothing until the configuration does (``fetch.allow_private_links``)."""


class Fetcher:
    """One shared, thread-safe HTTP client with the limits and manners of ``FetchSettings``.

    ``clock`` and ``sleep`` drive the gap between requests to a host and the robots.txt cache; tests inject fakes.
    """

    def __init__(
        self,
        settings: FetchSettings,
        user_agent: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        headers = {"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING}
        limits = httpx2.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
        tls = httpx2.create_ssl_context()  # loading the trusted certificates is slow: once for both clients
        # Two clients, so two connection pools: a connection opened to a source's own host (which may be private)
        # is never reused for a request that may reach public addresses only.
        self._client = httpx2.Client(headers=headers, follow_redirects=False, limits=limits, verify=tls)
        self._public_client = httpx2.Client(
            headers=headers, follow_redirects=False, transport=_PublicOnlyTransport(limits, tls)
        )
        self._gate = _PolitenessGate(
            per_host=settings.per_host,
            concurrency=settings.concurrency,
            gap=settings.host_delay.total_seconds(),
            clock=clock,
            sleep=sleep,
        )
        # robots.txt groups are matched against the product token, not the whole header (RFC 9309 §2.2.1)
        self._robots = _RobotsCache(self._download_robots_txt, robot_name=user_agent.split("/", 1)[0], clock=clock)

    def get(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
        found_on: str | None = None,
    ) -> Response:
        """GET ``url``; 2xx -> Response, 304 to our validators -> Response(status=304), anything else -> FetchError.

        ``found_on`` is the configured address of the source ``url`` was found in (a feed item's link, a council
        document); leave it out when ``url`` is itself a configured address or one the operator typed. Either way,
        the host (name and port) of that configured address may be anywhere; every other host, whether linked to or
        redirected to, must be at a public address unless ``fetch.allow_private_links`` is set: LinkRefused.
        """
        conditional = _conditional_headers(validators)
        try:
            answer = self._follow(
                url,
                headers=conditional,
                limit=max_bytes or self._settings.max_bytes,
                timeout=timeout or self._settings.timeout,
                max_redirects=self._settings.max_redirects,
                obey_robots=self._settings.robots_txt,
                trusted=_site_of(found_on or url),
            )
        except _PrivateAddress as refused:
            raise LinkRefused(url, refused.reason(url)) from None
        if answer.status == 304 and conditional:
            return Response(answer.url, 304, answer.headers, b"", validators.updated_by(_validators_of(answer.headers)))
        if 200 <= answer.status < 300:
            return Response(answer.url, answer.status, answer.headers, answer.content, _validators_of(answer.headers))
        raise _status_error(url, answer)

    def close(self) -> None:
        self._client.close()
        self._public_client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- one request, hop by hop ----------------------------------------------------------------------------------

    def _follow(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        limit: int,
        timeout: float,
        max_redirects: int,
        obey_robots: bool,
        trusted: _Site | None,
        truncate: bool = False,
    ) -> _Answer:
        """Request ``url`` and follow redirects by hand, checking every address on the way.

        Hops to the ``trusted`` site may reach any address; other hops go through the public-only client."""
        address = url
        for _hop in range(max_redirects + 1):
            target = _web_address(url, address)
            if obey_robots:
                self._robots.check(url, target, trusted)
            client = self._client if self._may_be_private(target, trusted) else self._public_client
            answer = self._exchange(url, target, headers, client, limit=limit, timeout=timeout, truncate=truncate)
            if answer.location is None:
                return answer
            address = answer.location
        raise FetchError(url, f"was redirected more than {max_redirects} times; open it in a browser to see where it leads")

    def _may_be_private(self, target: httpx2.URL, trusted: _Site | None) -> bool:
        return self._settings.allow_private_links or (target.host, target.port) == trusted

    def _exchange(
        self,
        url: str,
        target: httpx2.URL,
        headers: Mapping[str, str],
        client: httpx2.Client,
        *,
        limit: int,
        timeout: float,
        truncate: bool,
    ) -> _Answer:
        """One HTTP request to ``target``, within the politeness gate and a total deadline of ``timeout`` seconds."""
        with self._gate.turn(target.host):
            started = time.monotonic()
            try:
                with client.stream("GET", target, headers=headers, timeout=self._timeouts(timeout)) as response:
                    content = b""
                    if 200 <= response.status_code < 300:
                        content = _read_body(url, response, limit=limit, deadline=started + timeout, truncate=truncate)
            except httpx2.HTTPError as error:
                logger.debug("GET %s failed after %.2f s: %r", target, time.monotonic() - started, error)
                raise FetchError(url, self._network_reason(error, timeout), temporary=True) from error
            except FetchError as error:
                logger.debug("GET %s abandoned after %.2f s: %s", target, time.monotonic() - started, error.reason)
                raise
        logger.debug(
            "GET %s -> %d (%d bytes in %.2f s)", target, response.status_code, len(content), time.monotonic() - started
        )
        return _Answer.of(target, response, content)

    def _timeouts(self, timeout: float) -> httpx2.Timeout:
        # httpx2 times each read on its own, so one read may wait the whole budget; _read_body enforces the total
        # across reads (a body that trickles in), which leaves a body that stalls half-way cut off by the read timeout.
        return httpx2.Timeout(timeout, connect=min(self._settings.connect_timeout, timeout))

    def _network_reason(self, error: httpx2.HTTPError, timeout: float) -> str:
        if isinstance(error, httpx2.ConnectTimeout):
            return f"could not connect: no answer within {_seconds(min(self._settings.connect_timeout, timeout))}"
        if isinstance(error, httpx2.TimeoutException):
            return f"timed out after {_seconds(timeout)}"
        if isinstance(error, httpx2.ConnectError):
            return f"could not connect: {_connect_problem(error)}"
        if isinstance(error, httpx2.DecodingError):
            return f"sent a compressed body that could not be decoded: {error}"
        return f"the connection failed: {error or type(error).__name__}"

    # --- robots.txt -----------------------------------------------------------------------------------------------

    def _download_robots_txt(self, site: httpx2.URL, trusted: _Site | None) -> _Answer:
        """robots.txt of ``site``, held to the same address rule as the request that needs it."""
        robots_url = str(site.copy_with(path="/robots.txt", query=None, fragment=None))
        return self._follow(
            robots_url,
            headers={},
            limit=ROBOTS_PARSE_LIMIT,
            timeout=self._settings.timeout,
            max_redirects=ROBOTS_MAX_REDIRECTS,
            obey_robots=False,
            trusted=trusted,
            truncate=True,
        )


@dataclass(frozen=True)
class _Answer:
    """What one hop answered, with the body read (only for 2xx)."""

    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes
    location: str | None  # where a redirect points, resolved against ``url``

    @classmethod
    def of(cls, target: httpx2.URL, response: httpx2.Response, content: bytes) -> _Answer:
        headers = dict(response.headers.items())
        location = None
        if response.status_code in REDIRECT_STATUSES and "location" in headers:
            location = urldefrag(urljoin(str(target), headers["location"])).url
        reason = _status_phrase(response.status_code) or response.reason_phrase
        return cls(str(target), response.status_code, reason, headers, content, location)


def _web_address(url: str, address: str) -> httpx2.URL:
    """``address`` (``url`` itself or where it redirected to) as a URL we may fetch."""
    try:
        target = httpx2.URL(address)
    except httpx2.InvalidURL as error:
        raise FetchError(url, f"{address!r} is not a valid web address ({error})") from None
    if target.scheme not in ("http", "https"):
        where = "" if address == url else f" (it redirected to {address})"
        raise FetchError(url, f"only http and https addresses can be fetched{where}")
    if not target.host:
        raise FetchError(url, f"{address!r} has no host name; write a full address like https://example.org/news")
    return target


def _read_body(url: str, response: httpx2.Response, *, limit: int, deadline: float, truncate: bool) -> bytes:
    """The decoded body, at most ``limit`` bytes (so a small gzip bomb cannot fill memory), read before ``deadline``.

    httpx2 times each read on its own; checking the clock between reads stops a server that trickles a byte at a time.
    Over the limit: the first ``limit`` bytes when ``truncate``, else FetchError.
    """
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise _too_large(url, limit)
    received = bytearray()
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise httpx2.ReadTimeout("the total deadline passed while reading the body", request=response.request)
        received += chunk
        if len(received) > limit:
            if truncate:
                return bytes(received[:limit])
            raise _too_large(url, limit)
    return bytes(received)


def _too_large(url: str, limit: int) -> FetchError:
    return FetchError(url, f"response is larger than the {_size(limit)} limit")


def _status_error(url: str, answer: _Answer) -> FetchError:
    reason = f"answered {answer.status} {answer.reason}".rstrip()
    if answer.location is None and answer.status in REDIRECT_STATUSES:
        reason += " without saying where to (no Location header)"
    if answer.url != url:
        reason += f" at {answer.url}"
    return FetchError(url, reason, status=answer.status, retry_after=_retry_after(answer.headers.get("retry-after")))


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: either a number of seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 850 and asctime dates carry no zone; HTTP dates are always GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _validators_of(headers: Mapping[str, str]) -> Validators:
    return Validators(headers.get("etag") or None, headers.get("last-modified") or None)


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _connect_problem(error: httpx2.ConnectError) -> str:
    """The reason in words: "host name not found" rather than "[Errno -2] Name or service not known"."""
    text = str(error)
    if "Name or service not known" in text or "nodename nor servname" in text or "Errno -2" in text:
        return "host name not found"
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text or type(error).__name__


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(limit: int) -> str:
    if limit >= 1_000_000:
        return f"{round(limit / 1_000_000, 1):g} MB"
    if limit >= 1_000:
        return f"{round(limit / 1_000, 1):g} kB"
    return f"{limit} bytes"


# --- politeness ---------------------------------------------------------------------------------------------------


class _HostLane:
    """Per-host state: how many requests may be in flight, and when the last one started."""

    def __init__(self, per_host: int) -> None:
        self.slots = threading.BoundedSemaphore(per_host)
        self.starting = threading.Lock()  # held while waiting out the gap, so starts to a host queue up in order
        self.last_start = float("-inf")


class _PolitenessGate:
    """At most ``per_host`` requests in flight per host and ``concurrency`` overall; ``gap`` seconds between starts."""

    def __init__(
        self, *, per_host: int, concurrency: int, gap: float, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self._per_host, self._gap, self._clock, self._sleep = per_host, gap, clock, sleep
        self._overall = threading.BoundedSemaphore(concurrency)
        self._lanes: dict[str, _HostLane] = {}
        self._lanes_lock = threading.Lock()

    @contextmanager
    def turn(self, host: str) -> Iterator[None]:
        lane = self._lane(host)
        # host slot first: a thread queueing for a busy host must not hold one of the overall slots meanwhile
        with lane.slots, self._overall:
            self._wait_for_gap(lane)
            yield

    def _lane(self, host: str) -> _HostLane:
        with self._lanes_lock:
            return self._lanes.setdefault(host, _HostLane(self._per_host))

    def _wait_for_gap(self, lane: _HostLane) -> None:
        with lane.starting:
            wait = lane.last_start + self._gap - self._clock()
            if wait > 0:
                self._sleep(wait)
            lane.last_start = self._clock()


# --- robots.txt ---------------------------------------------------------------------------------------------------

_ALLOW_ALL = Protego.parse("")


@dataclass(frozen=True)
class _RobotsRules:
    rules: Protego
    expires: float
    problem: str | None = None  # why the file could not be read; then the whole site is off limits
    unreachable: bool = False  # the site did not answer at all (no address, refused, timed out)


class _RobotsCache:
    """robots.txt per site (scheme, host, port), downloaded once by the first request that needs it.

    A site is kept twice when it is both a source's own host and a host linked to from elsewhere: what its source may
    reach (a private address) says nothing about what a link may, so neither answer stands in for the other."""

    def __init__(
        self, download: Callable[[httpx2.URL, _Site | None], _Answer], *, robot_name: str, clock: Callable[[], float]
    ) -> None:
        self._download, self._robot_name, self._clock = download, robot_name, clock
        self._rules: dict[tuple[str, str, int | None, bool], _RobotsRules] = {}
        self._site_locks: dict[tuple[str, str, int | None, bool], threading.Lock] = {}
        self._lock = threading.Lock()

    def check(self, url: str, target: httpx2.URL, trusted: _Site | None) -> None:
        """Raise FetchError unless robots.txt of ``target``'s site lets us fetch it."""
        found = self._rules_for(target, trusted)
        site = target.host if target.port is None else f"{target.host}:{target.port}"
        if found.unreachable:
            reason = f"could not reach {site} ({found.problem}); check the address, and that this machine can reach it"
            raise FetchError(url, reason, retry_after=self._seconds_left(found), temporary=True)
        if found.problem:
            raise FetchError(
                url,
                f"robots.txt of {site} {found.problem}, so the whole site counts as off limits (RFC 9309); "
                f"it will be asked again within {ROBOTS_RETRY_SECONDS // 60} minutes",
                retry_after=self._seconds_left(found),
                temporary=True,
            )
        if not found.rules.can_fetch(str(target), self._robot_name):
            raise FetchError(url, f"robots.txt of {site} asks bots like ours not to fetch this page")

    def _seconds_left(self, rules: _RobotsRules) -> float:
        # Until a cached failure expires, every request to its site fails the same way: that is when to come back.
        return max(0.0, rules.expires - self._clock())

    def _rules_for(self, target: httpx2.URL, trusted: _Site | None) -> _RobotsRules:
        key = (target.scheme, target.host, target.port, (target.host, target.port) == trusted)
        with self._lock:
            site_lock = self._site_locks.setdefault(key, threading.Lock())
        with site_lock:  # other threads wanting the same site wait for the one download
            cached = self._rules.get(key)
            if cached is None or cached.expires <= self._clock():
                cached = self._rules[key] = self._fetch(target, trusted)
            return cached

    def _fetch(self, target: httpx2.URL, trusted: _Site | None) -> _RobotsRules:
        # A private address refused on the way (_PrivateAddress) is not a FetchError: it is not cached, and refuses
        # the request that needed robots.txt, so the same site can still be read for a source that lives there.
        try:
            answer = self._download(target, trusted)
        except FetchError as error:
            if error.status is None:  # the site itself cannot be reached: say so, not that robots.txt failed
                return self._unreadable(error.reason, unreachable=True)
            return self._unreadable(f"could not be read ({error.reason})")
        if 200 <= answer.status < 300:
            text = answer.content.decode("utf-8-sig", errors="replace")
            return _RobotsRules(Protego.parse(text), self._clock() + ROBOTS_CACHE_SECONDS)
        # 429 means "come back later", like a server error, not "there are no rules"
        if 400 <= answer.status < 500 and answer.status != 429:
            return _RobotsRules(_ALLOW_ALL, self._clock() + ROBOTS_CACHE_SECONDS)
        return self._unreadable(f"answered {answer.status} {answer.reason}".rstrip())

    def _unreadable(self, problem: str, *, unreachable: bool = False) -> _RobotsRules:
        return _RobotsRules(_ALLOW_ALL, self._clock() + ROBOTS_RETRY_SECONDS, problem, unreachable)


# --- private addresses --------------------------------------------------------------------------------------------

_Site = tuple[str, int | None]  # host name and port as written (None: the scheme's default, so http and https match)
_NAT64 = ip_network("64:ff9b::/96")  # RFC 6052: an IPv4 address behind the well-known translation prefix


def _site_of(address: str) -> _Site | None:
    try:
        url = httpx2.URL(address)
    except httpx2.InvalidURL:
        return None
    return (url.host, url.port)


def is_public_address(address: IPv4Address | IPv6Address) -> bool:
    """Whether a link may lead to ``address``: not loopback, link-local, private, shared (100.64.0.0/10), multicast,
    unspecified or reserved. An IPv4 address written inside an IPv6 one is judged as itself."""
    if isinstance(address, IPv6Address):
        inner = address.ipv4_mapped or (IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if inner is not None:
            return is_public_address(inner)
        if address.sixtofour is not None and not is_public_address(address.sixtofour):
            return False
    special = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
    )
    return address.is_global and not any(special)


class _PrivateAddress(Exception):
    """Raised by the public-only connection pool instead of connecting; ``Fetcher.get`` turns it into LinkRefused."""

    def __init__(self, host: str, address: IPv4Address | IPv6Address) -> None:
        # an IPv4-mapped address is shown as the IPv4 address it is (Python 3.11 writes ::ffff:7f00:2)
        self.host, self.address = host, getattr(address, "ipv4_mapped", None) or address
        super().__init__(f"{host} is at {address}")

    def reason(self, url: str) -> str:
        asked_for = httpx2.URL(url).host == self.host
        where = "the link points at" if asked_for else "it redirected to"
        place = "a private address" if self.host == str(self.address) else f"{self.host}, a private address"
        return (
            f"{where} {place} ({self.address}), which Beatwatch does not follow; "
            "set fetch.allow_private_links if this is your intranet"
        )


class _PublicOnlyBackend(httpcore2.SyncBackend):
    """Opens connections to public addresses only.

    The name is resolved once, every address it has is checked, and the connection goes to a checked address: a
    name that answers with a public address to a check and a private one to the connection (DNS rebinding) gains
    nothing, and any spelling of an address (2130706433, 0x7f.1, [::ffff:127.0.0.1]) is judged by what it resolves to.
    """

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.NetworkStream:
        addresses = _resolve(host, port)
        for address in addresses:
            if not is_public_address(address):
                raise _PrivateAddress(host, address)
        failure = httpcore2.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore2.ConnectError as error:
                failure = error
        raise failure


def _resolve(host: str, port: int) -> list[IPv4Address | IPv6Address]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise httpcore2.ConnectError(str(error)) from error
    return list(dict.fromkeys(ip_address(sockaddr[0]) for *_, sockaddr in found))


class _PublicOnlyTransport(httpx2.HTTPTransport):
    """httpx2's transport over a connection pool built on ``_PublicOnlyBackend``.

    Its pool only ever holds connections to checked addresses, so a kept-alive connection cannot carry a request
    past the check. HTTPTransport takes no network backend, hence the pool is replaced after it is built.
    """

    def __init__(self, limits: httpx2.Limits, tls: ssl.SSLContext) -> None:
        super().__init__(limits=limits, verify=tls)
        self._pool = httpcore2.ConnectionPool(
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PublicOnlyBackend(),
        )
