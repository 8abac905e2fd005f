"""robots.txt: downloaded once per site by the first request that needs it, kept for a day, obeyed (RFC 9309)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx2
from protego import Protego

from monitor.fetch.answers import Answer, FetchError
from monitor.fetch.guard import Site

ROBOTS_PARSE_LIMIT = 500 * 1024  # RFC 9309 §2.5: parse at least 500 KiB; we read no more
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2: follow at least five
ROBOTS_CACHE_SECONDS = 24 * 3600  # RFC 9309 §2.4: do not use a cached copy for more than 24 hours
# An unreadable robots.txt blocks the whole site (RFC 9309 §2.3.1.4); asking again at the next poll rather than a day
# later keeps a short outage from silencing a source for 24 hours.
ROBOTS_RETRY_SECONDS = 10 * 60

_ALLOW_ALL = Protego.parse("")

_SiteKey = tuple[str, str, int | None, bool]  # scheme, host, port, and whether the site is the source's own host


@dataclass(frozen=True)
class _RobotsRules:
    rules: Protego
    expires: float
    problem: str | None = None  # why the file could not be read; then the whole site is off limits
    unreachable: bool = False  # the site did not answer at all (no address, refused, timed out)


class RobotsCache:
    """robots.txt per site (scheme, host, port), downloaded once by the first request that needs it.

    A site is kept twice when it is both a source's own host and a host linked to from elsewhere: what its source may
    reach (a private address) says nothing about what a link may, so neither answer stands in for the other."""

    def __init__(
        self, download: Callable[[httpx2.URL, Site | None], Answer], *, robot_name: str, clock: Callable[[], float]
    ) -> None:
        self._download, self._robot_name, self._clock = download, robot_name, clock
        self._rules: dict[_SiteKey, _RobotsRules] = {}
        self._site_locks: dict[_SiteKey, threading.Lock] = {}
        self._lock = threading.Lock()

    def check(self, url: str, target: httpx2.URL, trusted: Site | None) -> None:
        """Raise FetchError unless robots.txt of ``target``'s site lets us fetch it."""
        found = self._rules_for(target, trusted)
        site = target.host if target.port is None else f"{target.host}:{target.port}"
        if found.unreachable:
            reason = f"could not reach {site} ({found.problem}); check the address, and that this machine can reach it"
            raise FetchError(url, reason, retry_after=self._seconds_left(found), temporary=True, kind="connect")
        if found.problem:
            raise FetchError(
                url,
                f"robots.txt of {site} {found.problem}, so the whole site counts as off limits (RFC 9309); "
                f"it will be asked again within {ROBOTS_RETRY_SECONDS // 60} minutes",
                retry_after=self._seconds_left(found),
                temporary=True,
                kind="robots",
            )
        if not found.rules.can_fetch(str(target), self._robot_name):
            raise FetchError(url, f"robots.txt of {site} asks bots like ours not to fetch this page", kind="robots")

    def _seconds_left(self, rules: _RobotsRules) -> float:
        # Until a cached failure expires, every request to its site fails the same way: that is when to come back.
        return max(0.0, rules.expires - self._clock())

    def _rules_for(self, target: httpx2.URL, trusted: Site | None) -> _RobotsRules:
        key = (target.scheme, target.host, target.port, (target.host, target.port) == trusted)
        with self._lock:
            site_lock = self._site_locks.setdefault(key, threading.Lock())
        with site_lock:  # other threads wanting the same site wait for the one download
            cached = self._rules.get(key)
            if cached is None or cached.expires <= self._clock():
                cached = self._rules[key] = self._fetch(target, trusted)
            return cached

    def _fetch(self, target: httpx2.URL, trusted: Site | None) -> _RobotsRules:
        # A private address refused on the way (PrivateAddress) is not a FetchError: it is not cached, and refuses
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
