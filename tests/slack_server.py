"""A small Slack-compatible HTTP server for tests: ``chat.postMessage`` and incoming webhooks on 127.0.0.1.

It checks what real Slack checks and our code could get wrong (the bearer token, the channel, Block Kit limits),
records every accepted message, and can be told to misbehave::

    with SlackServer(channels={"#crime-digest"}) as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        slack.fail_next(1, status=429, retry_after=0)   # then 500, 503, ...
        slack.hang_next(1)                              # no answer until the client gives up (bounded)
        slack.down = True                               # 502 Bad Gateway to everything, as a proxy says
        ...
        slack.messages[0].blocks
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

# Slack's documented limits, and the undocumented total of block text it accepts in one message.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
MAX_FIELD_TEXT = 2_000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCK_TEXT_TOTAL = 12_000
MAX_TEXT = 40_000
BLOCK_TYPES = {"header", "section", "context", "divider", "actions", "image", "rich_text", "markdown"}


@dataclass(frozen=True)
class Posted:
    """One accepted message. ``channel`` is ``webhook/<id>`` for webhook posts, which have no ``ts``."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    ts: str | None
    unfurl_links: bool | None
    raw: bytes  # the request body exactly as received


def block_problem(blocks: Any) -> str | None:
    """The error Slack would answer for these blocks (``invalid_blocks``, ``msg_blocks_too_long``), or None."""
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    total = 0
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            return "invalid_blocks"
        texts = _texts(block)
        if texts is None:
            return "invalid_blocks"
        total += sum(len(text) for text in texts)
    return "msg_blocks_too_long" if total > MAX_BLOCK_TEXT_TOTAL else None


def _texts(block: dict[str, Any]) -> list[str] | None:
    """The texts of one block, or None if the block breaks a limit."""
    kind = block["type"]
    if kind == "header":
        text = block.get("text") or {}
        ok = text.get("type") == "plain_text" and 0 < len(text.get("text", "")) <= MAX_HEADER_TEXT
        return [text["text"]] if ok else None
    if kind == "section":
        text, fields = block.get("text"), block.get("fields") or []
        if not text and not fields or len(fields) > 10:
            return None
        texts = ([text] if text else []) + fields
        if any(t.get("type") not in ("mrkdwn", "plain_text") or not t.get("text") for t in texts):
            return None
        if text and len(text["text"]) > MAX_SECTION_TEXT or any(len(f["text"]) > MAX_FIELD_TEXT for f in fields):
            return None
        return [t["text"] for t in texts]
    if kind == "context":
        elements = block.get("elements") or []
        if not 0 < len(elements) <= MAX_CONTEXT_ELEMENTS:
            return None
        return [element.get("text", "") for element in elements]
    return []


class SlackServer:
    def __init__(
        self,
        *,
        token: str = "xoxb-test-token",
        channels: Iterable[str] = ("#crime-digest",),
        webhooks: Iterable[str] = ("T0001/B0001/test",),
        hang_seconds: float = 10.0,
    ) -> None:
        self.token = token
        self.channels = set(channels)
        self.webhooks = set(webhooks)
        self.hang_seconds = hang_seconds  # a hung request is answered with nothing after this, at the latest
        self.down = False
        self.messages: list[Posted] = []
        self.requests = 0  # every request, failed ones included
        self._faults: deque[tuple[str, int, float | None]] = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.daemon_threads = True
        self._http.slack = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)

    # --- lifecycle and addresses ---

    def __enter__(self) -> SlackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._release.set()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()

    @property
    def port(self) -> int:
        return self._http.server_address[1]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def webhook_url(self, hook: str = "T0001/B0001/test") -> str:
        return f"http://127.0.0.1:{self.port}/webhook/{hook}"

    # --- faults ---

    def fail_next(self, times: int, *, status: int, retry_after: float | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (429 comes with ``Retry-After: retry_after``)."""
        self._faults.extend([("status", status, retry_after)] * times)

    def hang_next(self, times: int) -> None:
        """Leave the next ``times`` requests unanswered (up to ``hang_seconds``), then drop the connection."""
        self._faults.extend([("hang", 0, None)] * times)

    # --- answering ---

    def _answer(self, path: str, headers, body: bytes) -> tuple[str, int, dict[str, str], bytes]:
        """("answer" | "hang", status, headers, body) for one request."""
        with self._lock:
            self.requests += 1
            if self.down:
                return "answer", 502, {"Content-Type": "text/plain"}, b"Bad Gateway"
            fault = self._faults.popleft() if self._faults else None
            if fault and fault[0] == "hang":
                return "hang", 0, {}, b""
            if fault:
                _, status, retry_after = fault
                extra = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
                error = "ratelimited" if status == 429 else "internal_error"
                return "answer", status, extra, _json({"ok": False, "error": error})
            if path == "/api/chat.postMessage":
                return "answer", 200, {}, _json(self._post_message(headers, body))
            if path.startswith("/webhook/"):
                status, text = self._post_webhook(path.removeprefix("/webhook/"), body)
                return "answer", status, {"Content-Type": "text/html"}, text.encode()
            return "answer", 404, {}, _json({"ok": False, "error": "unknown_method"})

    def _post_message(self, headers, body: bytes) -> dict[str, Any]:
        args = _arguments(headers, body)
        token = headers.get("Authorization", "").removeprefix("Bearer ").strip() or args.get("token")
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        channel = args.get("channel")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        problem = _message_problem(args)
        if problem:
            return {"ok": False, "error": problem, "response_metadata": {"messages": [f"[ERROR] {problem}"]}}
        ts = f"1790000000.{len(self.messages) + 1:06d}"
        self.messages.append(_posted(channel, args, ts, body))
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text", ""), "ts": ts}}

    def _post_webhook(self, hook: str, body: bytes) -> tuple[int, str]:
        if hook not in self.webhooks:
            return 404, "no_service"
        args = json.loads(body)
        problem = _message_problem(args)
        if problem:
            return 400, problem
        self.messages.append(_posted(f"webhook/{hook}", args, None, body))
        return 200, "ok"


def _arguments(headers, body: bytes) -> dict[str, Any]:
    """The call's arguments from a JSON or form-encoded body (form values hold ``blocks`` as a JSON string)."""
    if headers.get("Content-Type", "").startswith("application/json"):
        return json.loads(body)
    args: dict[str, Any] = {name: values[0] for name, values in parse_qs(body.decode()).items()}
    if "blocks" in args:
        args["blocks"] = json.loads(args["blocks"])
    return args


def _message_problem(args: dict[str, Any]) -> str | None:
    if not args.get("text") and not args.get("blocks"):
        return "no_text"
    if len(args.get("text") or "") > MAX_TEXT:
        return "msg_too_long"
    return block_problem(args["blocks"]) if "blocks" in args else None


def _posted(channel: str, args: dict[str, Any], ts: str | None, body: bytes) -> Posted:
    return Posted(channel, args.get("text", ""), args.get("blocks", []), args.get("thread_ts"), ts,
                  args.get("unfurl_links"), body)


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        slack: SlackServer = self.server.slack  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        action, status, headers, payload = slack._answer(self.path, self.headers, body)
        if action == "hang":
            slack._release.wait(slack.hang_seconds)
            self.close_connection = True
            return
        self.send_response(status)
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass
