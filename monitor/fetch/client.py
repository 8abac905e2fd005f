"""The HTTP client every source uses: timeouts, size caps, redirects by hand, conditional GET, and the politeness
gate, robots.txt cache and private-address guard wired into every hop."""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import httpx2

from monitor.fetch.answers import REDIRECT_STATUSES, Answer, FetchError, LinkRefused, Response, Validators
from monitor.fetch.guard import PrivateAddress, PublicOnlyTransport, Site, site_of
from monitor.fetch.politeness import PolitenessGate
from monitor.fetch.robots import ROBOTS_MAX_REDIRECTS, ROBOTS_PARSE_LIMIT, RobotsCache
from monitor.retry_after import seconds_to_wait
from monitor.text import byte_size, error_words

if TYPE_CHECKING:
    from monitor.fetch.settings import FetchSettings

logger = logging.getLogger(__name__)

# Advertise only the codings httpx2 can decode here: br needs the optional brotli package.
_BROTLI = any(importlib.util.find_spec(name) for name in ("brotli", "brotlicffi"))
ACCEPT_ENCODING = "gzip, deflate, br" if _BROTLI else "gzip, deflate"


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
            headers=headers, follow_redirects=False, transport=PublicOnlyTransport(limits, tls)
        )
        self._gate = PolitenessGate(
            per_host=settings.per_host,
            concurrency=settings.concurrency,
            gap=settings.host_delay.total_seconds(),
            clock=clock,
            sleep=sleep,
        )
        # robots.txt groups are matched against the product token, not the whole header (RFC 9309 §2.2.1)
        self._robots = RobotsCache(self._download_robots_txt, robot_name=user_agent.split("/", 1)[0], clock=clock)

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
                trusted=site_of(found_on or url),
            )
        except PrivateAddress as refused:
            raise LinkRefused(url, refused.reason(url)) from None
        if answer.status == 304 and conditional and validators is not None:  # only our validators ask for a 304
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
        trusted: Site | None,
        truncate: bool = False,
    ) -> Answer:
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
        raise FetchError(
            url,
            f"was redirected more than {max_redirects} times; open it in a browser to see where it leads",
            kind="redirects",
        )

    def _may_be_private(self, target: httpx2.URL, trusted: Site | None) -> bool:
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
    ) -> Answer:
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
                reason, kind = self._network_failure(error, timeout)
                raise FetchError(url, reason, temporary=True, kind=kind) from error
            except FetchError as error:
                logger.debug("GET %s abandoned after %.2f s: %s", target, time.monotonic() - started, error.reason)
                raise
        logger.debug(
            "GET %s -> %d (%d bytes in %.2f s)", target, response.status_code, len(content), time.monotonic() - started
        )
        return Answer.of(target, response, content)

    def _timeouts(self, timeout: float) -> httpx2.Timeout:
        # httpx2 times each read on its own, so one read may wait the whole budget; _read_body enforces the total
        # across reads (a body that trickles in), which leaves a body that stalls half-way cut off by the read timeout.
        return httpx2.Timeout(timeout, connect=min(self._settings.connect_timeout, timeout))

    def _network_failure(self, error: httpx2.HTTPError, timeout: float) -> tuple[str, str]:
        """What went wrong in words, and its kind."""
        if isinstance(error, httpx2.ConnectTimeout):
            connect = _seconds(min(self._settings.connect_timeout, timeout))
            return f"could not connect: no answer within {connect}", "timeout"
        if isinstance(error, httpx2.TimeoutException):
            return f"timed out after {_seconds(timeout)}", "timeout"
        if isinstance(error, httpx2.ConnectError):
            return f"could not connect: {_connect_problem(error)}", "connect"
        if isinstance(error, httpx2.DecodingError):
            return f"sent a compressed body that could not be decoded: {error}", "decoding"
        return f"the connection failed: {_in_words(error)}", "network"

    # --- robots.txt -----------------------------------------------------------------------------------------------

    def _download_robots_txt(self, site: httpx2.URL, trusted: Site | None) -> Answer:
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


def _web_address(url: str, address: str) -> httpx2.URL:
    """``address`` (``url`` itself or where it redirected to) as a URL we may fetch."""
    try:
        target = httpx2.URL(address)
    except httpx2.InvalidURL as error:
        raise FetchError(url, f"{address!r} is not a valid web address ({error})", kind="address") from None
    if target.scheme not in ("http", "https"):
        where = "" if address == url else f" (it redirected to {address})"
        raise FetchError(url, f"only http and https addresses can be fetched{where}", kind="address")
    if not target.host:
        raise FetchError(
            url, f"{address!r} has no host name; write a full address like https://example.org/news", kind="address"
        )
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
    return FetchError(url, f"response is larger than the {byte_size(limit)} limit", kind="too_large")


def _status_error(url: str, answer: Answer) -> FetchError:
    reason = f"answered {answer.status} {answer.reason}".rstrip()
    if answer.location is None and answer.status in REDIRECT_STATUSES:
        reason += " without saying where to (no Location header)"
    if answer.url != url:
        reason += f" at {answer.url}"
    waited = answer.headers.get("retry-after")
    return FetchError(url, reason, status=answer.status, retry_after=seconds_to_wait(waited), retry_after_header=waited)


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _validators_of(headers: Mapping[str, str]) -> Validators:
    return Validators(headers.get("etag") or None, headers.get("last-modified") or None)


def _connect_problem(error: httpx2.ConnectError) -> str:
    """The reason in words: "host name not found" rather than "[Errno -2] Name or service not known"."""
    text = str(error)
    if "Name or service not known" in text or "nodename nor servname" in text or "Errno -2" in text:
        return "host name not found"
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return _in_words(error)


def _in_words(error: httpx2.HTTPError) -> str:
    """What went wrong on the connection, in the words the system gave; and never the name of an exception class,
    which says nothing to a newsroom."""
    if isinstance(error, httpx2.RemoteProtocolError):
        return error_words(error, "the server broke off or did not answer in HTTP")
    return error_words(error, "the server or the network closed the connection")


def _seconds(value: float) -> str:
    return f"{value:g} s"
