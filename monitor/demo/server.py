"""A small programmable web site on 127.0.0.1, for the offline demo and for every test that needs a server.

    with LocalSite() as site:
        site.add("/feed.xml", feed_bytes, content_type="application/rss+xml")   # static, with ETag and Last-Modified
        site.add("/bare.xml", feed_bytes, etag=None, last_modified=None)          # validators as real servers vary
        site.add("/fresh.xml", feed_bytes, headers={"Cache-Control": "max-age=600", "Age": "100"})  # on 304s too
        site.add("/flaky", b"busy", status=503, headers={"Retry-After": "Fri, 27 Nov 2026 08:00:00 GMT"})
        site.add("/gone.xml", b"", status=410)
        site.add_handler("/dated", lambda request: (200, {"Date": "Thu, 26 Nov 2026 08:00:00 GMT"}, b"..."))
        fetch(site.url("/feed.xml")); site.requests[-1].headers["if-none-match"]

A route sends any headers it is given, ``Date`` and ``Server`` included in place of the site's own, so a test with its
own clock can send dates of its own time (Expires, Retry-After, Date).

Answers are HTTP/1.0 (one request per connection) unless the site is made with ``keep_alive=True``. A handler may
return its body as an iterable of chunks, written as they come (and the connection closed after): that is how tests
build slow or endless responses. ``LocalSite(host="127.0.0.2")`` listens on another loopback address.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

Body = bytes | str | Iterable[bytes]
Reply = tuple[int, Mapping[str, str], Body]
# "per-request": a new ETag on every answer for the same body, so no tag a client kept ever matches
EtagStyle = Literal["strong", "weak", "per-request"]
# RFC 9110 §5.6.7: servers send the first; clients must still accept the two obsolete forms
DateStyle = Literal["imf", "rfc850", "asctime"]


class Request(NamedTuple):
    """One request the site received, as logged in ``LocalSite.requests`` and passed to handlers."""

    method: str
    path: str  # as sent, query string included
    headers: Mapping[str, str]  # lower-case names
    connection: int = 0  # which TCP connection carried it, counted from 1 per site (kept-alive ones carry several)


Handler = Callable[[Request], Reply]


class LocalSite:
    """An HTTP server on 127.0.0.1 at a free port, serving what the test or demo put on it. Use it as a context
    manager."""

    def __init__(self, host: str = "127.0.0.1", *, keep_alive: bool = False) -> None:
        self._server = _QuietServer((host, 0), _RequestHandler)
        self._server.site = self
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        self.keep_alive = keep_alive
        self._routes: dict[str, Handler] = {}
        self._modified: dict[str, datetime] = {}
        self._requests: list[Request] = []
        self._bytes_sent = 0
        self._connections = itertools.count(1)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name=f"LocalSite {self.base_url}", daemon=True)

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _serve(self) -> None:
        # a short poll interval keeps close() (which waits for the loop to notice) quick: tests start many sites
        self._server.serve_forever(poll_interval=0.02)

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this site."""
        return f"{self.base_url}/{path.lstrip('/')}"

    # --- what the site serves -------------------------------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        etag: EtagStyle | None = "strong",
        last_modified: DateStyle | None = "imf",
        bare_304: bool = False,
    ) -> None:
        """Serve ``body`` at ``path``. A 200 resource carries an ETag (a hash of the body) and a Last-Modified date,
        and answers conditional requests with 304. Adding the same path again moves its Last-Modified on by at least
        a second, so a changed resource is never "not modified" to If-Modified-Since.

        Like real servers, it can send only one validator or none (``None``), a weak ETag, a new ETag every time,
        Last-Modified in an obsolete date format, or a 304 without the validators (``bare_304``). A 304 repeats the
        caching headers among ``headers`` (Cache-Control, Expires, Age, Date, Vary), as RFC 9110 §15.4.5 asks, unless
        it is bare."""
        content = body.encode("utf-8") if isinstance(body, str) else body
        resource = _StaticResource(
            content,
            {"Content-Type": content_type, **(headers or {})},
            status=status,
            etag=etag,
            modified=self._next_modified(path) if last_modified else None,
            date_style=last_modified or "imf",
            bare_304=bare_304,
        )
        self.add_handler(path, resource)

    def add_handler(self, path: str, handler: Handler) -> None:
        """Answer ``path`` with ``handler(request) -> (status, headers, body)``; body may be an iterable of chunks."""
        if not path.startswith("/"):
            raise ValueError(f"path {path!r} must start with '/'")
        with self._lock:
            self._routes[path] = handler

    def remove(self, path: str) -> None:
        with self._lock:
            if self._routes.pop(path, None) is None:
                raise KeyError(f"nothing is served at {path!r}, so it cannot be removed")

    @property
    def requests(self) -> list[Request]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def bytes_sent(self) -> int:
        """Bytes of response bodies sent so far (headers not counted; a 304 sends none)."""
        with self._lock:
            return self._bytes_sent

    # --- serving --------------------------------------------------------------------------------------------------

    def _count_sent(self, size: int) -> None:
        with self._lock:
            self._bytes_sent += size

    def _next_connection(self) -> int:
        return next(self._connections)

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self._requests.append(request)
            # a route added with a query string matches only that query; otherwise the query is ignored
            handler = self._routes.get(request.path) or self._routes.get(urlsplit(request.path).path)
        if handler is None:
            return 404, {"Content-Type": "text/plain; charset=utf-8"}, f"nothing is served at {request.path}"
        try:
            return handler(request)
        except Exception as error:  # a broken test handler must show up as a 500, not a hung client
            logger.exception("handler for %s failed", request.path)
            return 500, {"Content-Type": "text/plain; charset=utf-8"}, f"handler for {request.path} failed: {error!r}"

    def _next_modified(self, path: str) -> datetime:
        now = datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            previous = self._modified.get(path)
            modified = now if previous is None or now > previous else previous + timedelta(seconds=1)
            self._modified[path] = modified
        return modified


class _StaticResource:
    """A fixed answer; a 200 one carries the validators asked for and honours If-None-Match and If-Modified-Since."""

    def __init__(
        self,
        content: bytes,
        headers: Mapping[str, str],
        *,
        status: int,
        etag: EtagStyle | None,
        modified: datetime | None,
        date_style: DateStyle,
        bare_304: bool,
    ) -> None:
        self.content, self.headers, self.status, self.modified = content, dict(headers), status, modified
        self.etag_style, self.bare_304 = etag, bare_304
        self.digest = hashlib.sha256(content).hexdigest()[:20]
        self.tag = f'"{self.digest}"'
        self.last_modified = _date_text(modified, date_style) if modified else None
        self.answers = itertools.count(1)

    def __call__(self, request: Request) -> Reply:
        if self.status != 200:
            return self.status, self.headers, self.content
        if self._not_modified(request.headers):
            return 304, {} if self.bare_304 else {**self._validators(), **self._caching()}, b""
        return 200, {**self._validators(), **self.headers}, self.content

    def _caching(self) -> dict[str, str]:
        return {name: value for name, value in self.headers.items() if name.lower() in _CACHING_HEADERS}

    def _validators(self) -> dict[str, str]:
        validators = {}
        if self.etag_style == "strong":
            validators["ETag"] = self.tag
        elif self.etag_style == "weak":
            validators["ETag"] = f"W/{self.tag}"
        elif self.etag_style == "per-request":
            validators["ETag"] = f'"{self.digest}-{next(self.answers)}"'
        if self.last_modified:
            validators["Last-Modified"] = self.last_modified
        return validators

    def _not_modified(self, headers: Mapping[str, str]) -> bool:
        # RFC 9110 §13.1.3: when If-None-Match is present, If-Modified-Since is ignored; tags compare weakly
        if "if-none-match" in headers:
            wanted = [tag.strip().removeprefix("W/") for tag in headers["if-none-match"].split(",")]
            current = self.etag_style in ("strong", "weak") and self.tag in wanted
            return "*" in wanted or current
        since = _http_date(headers.get("if-modified-since"))
        return self.modified is not None and since is not None and self.modified <= since


_CACHING_HEADERS = frozenset({"cache-control", "expires", "age", "date", "vary"})
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_text(moment: datetime, style: DateStyle) -> str:
    """An HTTP date in ``style``; names written out here, as strftime's follow the machine's locale."""
    day, month, clock = _DAYS[moment.weekday()], _MONTHS[moment.month - 1], f"{moment:%H:%M:%S}"
    if style == "rfc850":
        return f"{day}, {moment.day:02d}-{month}-{moment:%y} {clock} GMT"
    if style == "asctime":
        return f"{day[:3]} {month} {moment.day:2d} {clock} {moment.year}"
    return format_datetime(moment, usegmt=True)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    site: LocalSite

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        # Clients that hang up early (timeouts, size caps) are what the tests provoke; keep stderr clean.
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _QuietServer

    def setup(self) -> None:
        # HTTP/1.1 keeps the connection open between requests; HTTP/1.0 closes it after each answer
        self.protocol_version = "HTTP/1.1" if self.server.site.keep_alive else "HTTP/1.0"
        self.connection_number = self.server.site._next_connection()
        super().setup()

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default one-line-per-request log on stderr."""

    def _serve(self, *, send_body: bool) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, self.path, headers, self.connection_number)
        status, reply_headers, body = self.server.site._answer(request)
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response_only(status)
        given = {name.lower() for name in reply_headers}
        if "server" not in given:
            self.send_header("Server", self.version_string())
        if "date" not in given:
            self.send_header("Date", self.date_time_string())
        for name, value in reply_headers.items():
            self.send_header(name, value)
        if isinstance(body, bytes):
            if not any(name.lower() == "content-length" for name in reply_headers):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and status not in (204, 304):
                self.server.site._count_sent(len(body))  # before writing, so a client that has read it sees it
                self.wfile.write(body)
        else:
            # no length to announce: the end of the body is the end of the connection
            self.send_header("Connection", "close")
            self.close_connection = True
            self.end_headers()
            if send_body:
                self._write_chunks(body)

    def _write_chunks(self, chunks: Iterable[bytes]) -> None:
        try:
            for chunk in chunks:
                self.server.site._count_sent(len(chunk))
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as a timeout or size cap should make it
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # let a generator's finally run now
