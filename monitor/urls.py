"""Web addresses: those staff write in the configuration, checked once at the edge so later stages can trust them, and
the links of stories, cleaned of what only tracks a click before anyone sees or stores them."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote_plus, urlsplit

from w3lib.url import url_query_cleaner

# Query parameters that only say where a click came from (a campaign, a newsletter, an ad). A name ending in "*" stands
# for every name that begins with what comes before it. This one list serves both the links we show and store
# (clean_link) and the identity of an item's link (monitor.items.normalise_url), so the two cannot drift apart.
TRACKING_PARAMETERS = ("utm_*", "at_*", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "ref", "cmpid", "icid")
_TRACKING_NAMES = frozenset(name for name in TRACKING_PARAMETERS if not name.endswith("*"))
_TRACKING_PREFIXES = tuple(name[:-1] for name in TRACKING_PARAMETERS if name.endswith("*"))
_DEFAULT_PORTS = {"http": 80, "https": 443}

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")  # underscores are not DNS, but real hosts use them
_EXAMPLE = "e.g. https://www.example.org/news/rss"


def check_web_address(value: str) -> str:
    """``value`` if it is an absolute http(s) address a fetcher can request; else ValueError saying what to fix."""
    if re.search(r"\s", value):
        raise ValueError(
            f"{value!r} contains a space or line break; remove it, or write a space inside the address as %20"
        )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (urlsplit checks the port only when asked)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a valid web address ({error}); write a full address, {_EXAMPLE}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http:// or https:// address; write a full address, {_EXAMPLE}")
    if not _valid_host(parts.hostname or ""):
        raise ValueError(f"{value!r} has no valid host name; write a full address, {_EXAMPLE}")
    return value


def is_tracking_parameter(name: str) -> bool:
    """Whether a query parameter (its name decoded, in any case) only tracks where a click came from."""
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def clean_link(url: str) -> str:
    """A story's link as Beatwatch shows and stores it: without tracking parameters and without the fragment (``#...``);
    the other parameters are kept as written and in their order. Never raises, whatever the link."""
    query = url.partition("#")[0].partition("?")[2]
    names = (pair.partition("=")[0] for pair in query.split("&"))
    tracking = [name for name in names if is_tracking_parameter(unquote_plus(name))]
    # unique=False: a parameter given twice (?tag=a&tag=b) is kept twice, as the site wrote it.
    return url_query_cleaner(url, tracking, remove=True, unique=False, keep_fragments=False)


def same_site(first: str, second: str) -> bool:
    """Whether two http(s) addresses are on one site: the same host name, a leading "www." aside, and the same port.

    Not "the same registrable domain": without the public suffix list that would take every council under gov.uk, or
    every paper under co.uk, for one site, and news.example.org may well be another outlet than example.org. The
    scheme does not count, so a page served over http may name its https address."""
    site = _site(first)
    return site is not None and site == _site(second)


def _site(url: str) -> tuple[str, int | None] | None:
    """(host without "www.", port unless the scheme's default) of an http(s) address; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = _ascii_host(parts.hostname or "")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return host.rstrip(".").removeprefix("www."), None if port == _DEFAULT_PORTS[scheme] else port


def _valid_host(host: str) -> bool:
    """A DNS name (international names allowed) or an IP address."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    ascii_host = _ascii_host(host)
    return ascii_host is not None and all(_HOST_LABEL.match(label) for label in ascii_host.rstrip(".").split("."))


def _ascii_host(host: str) -> str | None:
    """A host name in lower-case ASCII (an international name as punycode); None when it cannot be written so."""
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
