"""Web addresses as staff write them in the configuration: checked once at the edge, so later stages can trust them."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

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


def _valid_host(host: str) -> bool:
    """A DNS name (international names allowed) or an IP address."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    return all(_HOST_LABEL.match(label) for label in ascii_host.rstrip(".").split("."))
