"""Web addresses: those staff write in the configuration, checked once at the edge so later stages can trust them, and
the links of stories: cleaned of what only tracks a click before anyone sees or stores them, and the form in which two
links to one page compare equal (their identity)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# Query parameters that only say where a click came from (a campaign, a newsletter, an ad). A name ending in "*" stands
# for every name that begins with what comes before it. This one list serves both the links we show and store
# (clean_link) and the identity of a link (identity_link), so the two cannot drift apart. Stored items are known by
# keys made with it: a name added here makes their links look new (a schema step must add their new keys).
TRACKING_PARAMETERS = ("utm_*", "at_*", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "ref", "cmpid", "icid")
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


def check_host_name(value: str) -> str:
    """``value`` as a host name in lower case (a DNS name or an IP address, without a scheme, port or path); else
    ValueError saying what to fix."""
    host = value.strip().lower().rstrip(".")
    if not _valid_host(host):
        raise ValueError(f"{value!r} is not a host name; write the host alone, e.g. news.google.com")
    return host


def is_tracking_parameter(name: str, also_drop: tuple[str, ...] = ()) -> bool:
    """Whether a query parameter (its name decoded, in any case) only tracks where a click came from, by the built-in
    list or by ``also_drop`` (names written like the list's, in lower case: ``links.drop_parameters``)."""
    return is_named(name, (*TRACKING_PARAMETERS, *also_drop))


def is_named(name: str, names: tuple[str, ...]) -> bool:
    """Whether a query parameter's name (decoded, in any case) is one of ``names``, written in lower case, where "x*"
    stands for every name that begins with "x"."""
    exact, prefixes = _exact_and_prefixes(names)
    lowered = name.lower()
    return lowered in exact or lowered.startswith(prefixes)


@lru_cache(maxsize=16)
def _exact_and_prefixes(names: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    prefixes = tuple(name[:-1] for name in names if name.endswith("*"))
    return frozenset(name for name in names if not name.endswith("*")), prefixes


def clean_link(url: str, also_drop: tuple[str, ...] = ()) -> str:
    """A story's link as Beatwatch shows and stores it: without tracking parameters (and those of ``also_drop``),
    without the fragment (``#...``), with its scheme and host in lower case and without its scheme's default port or a
    user name and password; the other parameters are kept as written and in their order. Never raises, whatever the
    link."""
    from w3lib.url import url_query_cleaner  # here: the configuration checks addresses without w3lib

    tracking = [name for name in _parameter_names(url) if is_tracking_parameter(unquote_plus(name), also_drop)]
    # unique=False: a parameter given twice (?tag=a&tag=b) is kept twice, as the site wrote it.
    return _plain_site(url_query_cleaner(url, tracking, remove=True, unique=False, keep_fragments=False))


def has_parameter(url: str, names: tuple[str, ...]) -> bool:
    """Whether a query parameter of ``url`` is one of ``names`` (written as for ``is_named``)."""
    return any(is_named(unquote_plus(name), names) for name in _parameter_names(url))


def _parameter_names(url: str) -> list[str]:
    """The names of the query parameters of ``url``, as written."""
    query = url.partition("#")[0].partition("?")[2]
    return [pair.partition("=")[0] for pair in query.split("&")]


def identity_link(url: str, also_drop: tuple[str, ...] = ()) -> str:
    """The form in which two links to one page are equal: ``clean_link``'s, then w3lib's canonical form (query
    parameters sorted, percent-encoding and dot segments normalised, non-ASCII characters encoded) and no trailing
    slash after the path (``/news/story/`` is ``/news/story``). Never raises, whatever the link.

    Only compared, never shown: the order of the parameters is the publisher's in the links staff see."""
    from w3lib.url import canonicalize_url

    cleaned = clean_link(url.strip(), also_drop)
    parts = urlsplit(canonicalize_url(cleaned)) if _readable(cleaned) else None
    if parts is None or parts.scheme not in _DEFAULT_PORTS:
        return cleaned
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") or "/"))


def _plain_site(url: str) -> str:
    """``url`` with its scheme and host in lower case and without its scheme's default port or a user name and
    password; as it is when it is not an http(s) address that can be read."""
    if not _readable(url):
        return url
    parts = urlsplit(url)
    scheme, host, port = parts.scheme.lower(), parts.hostname or "", parts.port
    if scheme not in _DEFAULT_PORTS or not host:
        return url
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))


def _readable(url: str) -> bool:
    """Whether ``url`` splits into its parts (urlsplit refuses a bad IPv6 address or port, some only when asked)."""
    try:
        urlsplit(url).port  # noqa: B018
    except ValueError:
        return False
    return True


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
