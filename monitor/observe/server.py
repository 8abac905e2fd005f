"""The daemon's HTTP endpoints, and the probe `monitor health` makes of them.

GET /healthz answers 200 with "ok: ..." while the scheduler runs and the database answers, else 503 with the reason,
one line either way. GET /metrics answers in Prometheus's text format (or OpenMetrics, if the scraper asks for it).
Nothing else is served. The server runs in a thread of its own, so a busy poll pool never delays a probe.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

log = logging.getLogger("monitor.http")

PROBE_TIMEOUT_SECONDS = 5.0
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str  # one line: "ok: ..." or what is wrong


class StatusServer:
    """Serves /healthz and /metrics on ``address`` from ``start()`` until ``close()``."""

    def __init__(self, address: tuple[str, int], health: Callable[[], Health], registry: CollectorRegistry) -> None:
        self._address, self._health, self._registry = address, health, registry
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        """Listen (OSError when the address cannot be had) and serve in a thread; returns the base URL."""
        server_class = _IPv6Server if ":" in self._address[0] else ThreadingHTTPServer
        server = server_class(self._address, self._handler_class())
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
        host, port = server.server_address[:2]
        url = f"http://{_bracketed(str(host))}:{port}"
        log.info("serving /healthz and /metrics at %s", url)
        return url

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        health, registry = self._health, self._registry

        class Handler(BaseHTTPRequestHandler):
            server_version = "Beatwatch"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    state = health()
                    self._answer(200 if state.ok else 503, "text/plain; charset=utf-8", f"{state.reason}\n".encode())
                elif path == "/metrics":
                    encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
                    self._answer(200, content_type, encoder(registry))
                else:
                    self._answer(404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n")

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("%s %s", self.address_string(), format % args)

        return Handler


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def probe(address: tuple[str, int]) -> Health:
    """Ask the daemon listening on ``address`` for /healthz, as a container's HEALTHCHECK does."""
    host, port = address
    url = f"http://{_bracketed(_ANY_ADDRESS.get(host, host))}:{port}/healthz"
    try:
        # Not through a proxy from the environment: the daemon is on this machine.
        answer = httpx2.get(url, timeout=PROBE_TIMEOUT_SECONDS, trust_env=False)
    except httpx2.HTTPError as error:
        return Health(False, f"no answer from {url} ({error}); is `monitor run` running with http.listen set?")
    reason = answer.text.strip() or f"{answer.status_code} from {url}"
    return Health(answer.status_code == 200, reason)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
