"""``http:`` and ``log:`` in monitor.yaml: where `monitor run` answers health and metrics, and how it writes its log."""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import AfterValidator

from monitor.settings import StrictModel

# Overrides ``http.listen``, so that an image can serve its health check whatever monitor.yaml is mounted into it.
LISTEN_VARIABLE = "MONITOR_HTTP_LISTEN"


def parse_listen(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9464`` for an IPv6 address) as (host, port); ValueError saying what to write."""
    host, colon, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(
            f"{text!r} is not an address to listen on; write host:port, e.g. 127.0.0.1:9464 (this machine only) "
            "or 0.0.0.0:9464 (every interface, as in a container)"
        )
    return host, int(port)


def _listen_address(text: str) -> str:
    if text:
        parse_listen(text)
    return text


class HttpSettings(StrictModel):
    """Off unless ``listen`` is set: `monitor run` then serves GET /healthz and GET /metrics there."""

    listen: Annotated[str, AfterValidator(_listen_address)] = ""

    def address(self) -> tuple[str, int] | None:
        """Where to listen: $MONITOR_HTTP_LISTEN if set, else ``listen``; None when neither says."""
        override = os.environ.get(LISTEN_VARIABLE)
        if not override:
            return parse_listen(self.listen) if self.listen else None
        try:
            return parse_listen(override)
        except ValueError as error:
            raise ValueError(f"${LISTEN_VARIABLE}: {error}") from None


class LogSettings(StrictModel):
    """``text`` for people reading a terminal; ``json`` (one object per line) for a log platform."""

    format: Literal["text", "json"] = "text"
