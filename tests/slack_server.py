"""A small Slack-compatible HTTP server for tests, on 127.0.0.1: ``chat.postMessage`` (with message metadata),
``conversations.history``, ``conversations.replies``, ``conversations.list`` and incoming webhooks.

It checks what real Slack checks and our code could get wrong (the bearer token, the channel, the bot's scopes, Block
Kit limits, channel IDs where Slack wants IDs), answers in Slack's own response shapes, records every accepted message,
and can be told to misbehave::

    with SlackServer(channels={"#crime-digest"}) as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        slack.fail_next(1, status=429, retry_after=0)   # then 500, 503, ...
        slack.hang_next(1)                              # no answer until the client gives up (bounded)
        slack.lose_answer_next(1)                       # post the message, then never answer: the outcome is unknown
        slack.down = True                               # 502 Bad Gateway to everything, as a proxy says
        slack.scopes.discard("channels:history")        # the bot token lacks a scope
        ...
        slack.messages[0].blocks
        slack.messages[0].formatting                    # where Slack would format its text (bold, quote, ...)
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.slack_mrkdwn import Formatting, formatting

# Slack's documented limits, and the undocumented total of block text it accepts in one message.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
MAX_FIELD_TEXT = 2_000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCK_TEXT_TOTAL = 12_000
MAX_TEXT = 40_000
BLOCK_TYPES = {"header", "section", "context", "divider", "actions", "image", "rich_text", "markdown"}
# Page sizes: (default, maximum) per method, as Slack documents them for internal apps.
PAGE_SIZES = {
    "conversations.history": (100, 999),
    "conversations.replies": (1000, 1000),
    "conversations.list": (100, 1000),
}
# The scope each method needs for a bot token in a public channel.
NEEDED_SCOPE = {
    "chat.postMessage": "chat:write",
    "conversations.history": "channels:history",
    "conversations.replies": "channels:history",
    "conversations.list": "channels:read",
}
BOT_USER, BOT_ID, APP_ID, TEAM = "U0BEATWTCH", "B0BEATWTCH", "A0BEATWTCH", "T0NEWSROOM"


@dataclass(frozen=True)
class Posted:
    """One accepted message. ``channel`` is the channel's name (``#crime-digest``) however it was addressed, or
    ``webhook/<id>`` for webhook posts, which have no ``ts``."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    ts: str | None
    unfurl_links: bool | None
    raw: bytes  # the request body exactly as received
    metadata: dict[str, Any] | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def mrkdwn(self) -> list[str]:
        """The message's mrkdwn texts, block by block: sections (text and fields) and context elements."""
        texts = []
        for block in self.blocks:
            objects = [block.get("text") or {}, *block.get("fields", []), *block.get("elements", [])]
            texts += [text["text"] for text in objects if text.get("type") == "mrkdwn"]
        return texts

    @property
    def formatting(self) -> list[Formatting]:
        """Where Slack would format the message's text: bold, italic, strike, code and quotes (tests.slack_mrkdwn)."""
        return [span for text in self.mrkdwn for span in formatting(text)]


def channel_id(name: str) -> str:
    """The ID Slack gives the channel ``name``: stable, and in Slack's form (C and upper-case letters and digits)."""
    return "C" + hashlib.sha1(name.encode()).hexdigest()[:10].upper()


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
        if (not text and not fields) or len(fields) > 10:
            return None
        texts = ([text] if text else []) + fields
        if any(t.get("type") not in ("mrkdwn", "plain_text") or not t.get("text") for t in texts):
            return None
        if (text and len(text["text"]) > MAX_SECTION_TEXT) or any(len(f["text"]) > MAX_FIELD_TEXT for f in fields):
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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.channels = set(channels)
        self.webhooks = set(webhooks)
        self.scopes = {"chat:write", "channels:history", "groups:history", "channels:read", "groups:read"}
        self.hang_seconds = hang_seconds  # a hung request is answered with nothing after this, at the latest
        self.clock = clock  # Slack's clock, for message timestamps
        self.down = False
        self.messages: list[Posted] = []
        self.requests = 0  # every request, failed ones included
        self.calls: list[str] = []  # the API method (or "webhook") of every request, in order
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

    def lose_answer_next(self, times: int) -> None:
        """Carry out the next ``times`` requests (a message is posted) but never answer them: the connection hangs
        until ``hang_seconds`` and is dropped, as when Slack took a message and the answer was lost on the way."""
        self._faults.extend([("lose answer", 0, None)] * times)

    # --- answering ---

    def _answer(self, path: str, headers, body: bytes) -> tuple[str, int, dict[str, str], bytes]:
        """("answer" | "hang", status, headers, body) for one request; a GET's query string arrives as ``body``."""
        with self._lock:
            self.requests += 1
            self.calls.append(path.removeprefix("/api/") if path.startswith("/api/") else "webhook")
            if self.down:
                return "answer", 502, {"Content-Type": "text/plain"}, b"Bad Gateway"
            fault = self._faults.popleft() if self._faults else None
            if fault and fault[0] == "hang":
                return "hang", 0, {}, b""
            if fault and fault[0] == "status":
                _, status, retry_after = fault
                extra = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
                error = "ratelimited" if status == 429 else "internal_error"
                return "answer", status, extra, _json({"ok": False, "error": error})
            action = "hang" if fault else "answer"
            if path.startswith("/webhook/"):
                status, text = self._post_webhook(path.removeprefix("/webhook/"), body)
                return action, status, {"Content-Type": "text/html"}, text.encode()
            return action, 200, {}, _json(self._api(path.removeprefix("/api/"), headers, body))

    def _api(self, method: str, headers, body: bytes) -> dict[str, Any]:
        handlers = {
            "chat.postMessage": self._post_message,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "conversations.list": self._list,
        }
        if method not in handlers:
            return {"ok": False, "error": "unknown_method"}
        args = _arguments(headers, body)
        token = headers.get("Authorization", "").removeprefix("Bearer ").strip() or args.get("token")
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        if NEEDED_SCOPE[method] not in self.scopes:
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": NEEDED_SCOPE[method],
                "provided": ",".join(sorted(self.scopes)),
            }
        return handlers[method](args)

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_named(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        problem = _message_problem(args)
        if problem:
            return {"ok": False, "error": problem, "response_metadata": {"messages": [f"[ERROR] {problem}"]}}
        thread = args.get("thread_ts")
        if thread and not any(m.ts == thread and m.channel == channel for m in self.messages):
            return {"ok": False, "error": "thread_not_found"}
        posted = _posted(channel, args, self._next_ts(), args["_raw"])
        self.messages.append(posted)
        return {
            "ok": True,
            "channel": channel_id(channel),
            "ts": posted.ts,
            "message": self._as_message(posted, with_metadata=True),
        }

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_by_id(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        top = [m for m in self.messages if m.channel == channel and not m.is_reply and _within(m.ts, args)]
        page, more, cursor = _page(list(reversed(top)), args, PAGE_SIZES["conversations.history"])
        answer = {
            "ok": True,
            "messages": [self._as_message(m, _flag(args, "include_all_metadata")) for m in page],
            "has_more": more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
        }
        return answer | ({"response_metadata": {"next_cursor": cursor}} if cursor else {})

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_by_id(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        named = next((m for m in self.messages if m.channel == channel and m.ts == args.get("ts")), None)
        if named is None:
            return {"ok": False, "error": "thread_not_found"}
        parent_ts = named.thread_ts if named.is_reply else named.ts
        parent = next(m for m in self.messages if m.channel == channel and m.ts == parent_ts)
        replies = [
            m
            for m in self.messages
            if m.channel == channel and m.is_reply and m.thread_ts == parent_ts and _within(m.ts, args)
        ]
        page, more, cursor = _page([parent, *replies], args, PAGE_SIZES["conversations.replies"])
        answer = {
            "ok": True,
            "messages": [self._as_message(m, _flag(args, "include_all_metadata")) for m in page],
            "has_more": more,
        }
        return answer | ({"response_metadata": {"next_cursor": cursor}} if cursor else {})

    def _list(self, args: dict[str, Any]) -> dict[str, Any]:
        types = (args.get("types") or "public_channel").split(",")
        listed = sorted(self.channels) if "public_channel" in types else []
        page, _, cursor = _page(listed, args, PAGE_SIZES["conversations.list"])
        return {
            "ok": True,
            "channels": [_channel_object(name) for name in page],
            "response_metadata": {"next_cursor": cursor},
        }

    def _post_webhook(self, hook: str, body: bytes) -> tuple[int, str]:
        if hook not in self.webhooks:
            return 404, "no_service"
        args = json.loads(body)
        problem = _message_problem(args)
        if problem:
            return 400, problem
        self.messages.append(_posted(f"webhook/{hook}", args, None, body))
        return 200, "ok"

    def _channel_named(self, given: str | None) -> str | None:
        """The channel ``given`` names: as ``#name``, ``name`` or its ID, as chat.postMessage accepts."""
        if not given:
            return None
        return next((name for name in self.channels if given in (name, name.removeprefix("#"), channel_id(name))), None)

    def _channel_by_id(self, given: str | None) -> str | None:
        """The channel with ID ``given``: the conversations methods take IDs only, never names."""
        return next((name for name in self.channels if channel_id(name) == given), None)

    def _next_ts(self) -> str:
        latest = max((float(m.ts) for m in self.messages if m.ts), default=0.0)
        return f"{max(self.clock(), latest + 0.000001):.6f}"

    def _as_message(self, posted: Posted, with_metadata: bool) -> dict[str, Any]:
        """A message as Slack lists it; metadata only when asked for with ``include_all_metadata``."""
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM,
            "text": posted.text,
            "blocks": posted.blocks,
            "ts": posted.ts,
        }
        replies = [
            m.ts for m in self.messages if m.is_reply and m.thread_ts == posted.ts and m.channel == posted.channel
        ]
        if posted.is_reply:
            message |= {"thread_ts": posted.thread_ts, "parent_user_id": BOT_USER}
        elif replies:
            message |= {
                "thread_ts": posted.ts,
                "reply_count": len(replies),
                "reply_users_count": 1,
                "latest_reply": replies[-1],
                "reply_users": [BOT_USER],
                "is_locked": False,
                "subscribed": False,
            }
        if with_metadata and posted.metadata:
            message["metadata"] = posted.metadata
        return message


def _arguments(headers, body: bytes) -> dict[str, Any]:
    """The call's arguments from a JSON or form-encoded body or a query string (form values hold ``blocks`` and
    ``metadata`` as JSON strings); ``_raw`` keeps the body as received."""
    if headers.get("Content-Type", "").startswith("application/json"):
        args = json.loads(body)
    else:
        args = {name: values[0] for name, values in parse_qs(body.decode()).items()}
        for name in ("blocks", "metadata"):
            if name in args:
                args[name] = json.loads(args[name])
    return args | {"_raw": body}


def _message_problem(args: dict[str, Any]) -> str | None:
    if not args.get("text") and not args.get("blocks"):
        return "no_text"
    if len(args.get("text") or "") > MAX_TEXT:
        return "msg_too_long"
    metadata = args.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    ):
        return "invalid_metadata_format"
    return block_problem(args["blocks"]) if "blocks" in args else None


def _posted(channel: str, args: dict[str, Any], ts: str | None, body: bytes) -> Posted:
    return Posted(
        channel,
        args.get("text", ""),
        args.get("blocks", []),
        args.get("thread_ts"),
        ts,
        args.get("unfurl_links"),
        body,
        args.get("metadata"),
    )


def _flag(args: dict[str, Any], name: str) -> bool:
    return str(args.get(name, "")).lower() in ("1", "true")


def _within(ts: str | None, args: dict[str, Any]) -> bool:
    """Whether a message's ``ts`` lies between the call's ``oldest`` and ``latest`` (exclusive unless ``inclusive``)."""
    moment, inclusive = float(ts or 0), _flag(args, "inclusive")
    oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
    after = moment >= oldest if inclusive else moment > oldest
    before = moment <= latest if inclusive else moment < latest
    return after and before


def _page(items: list, args: dict[str, Any], sizes: tuple[int, int]) -> tuple[list, bool, str]:
    """One page of ``items`` by the call's ``limit`` and ``cursor``: (page, has_more, next_cursor or "")."""
    default, maximum = sizes
    limit = min(int(args.get("limit") or default), maximum)
    start = int(base64.b64decode(args["cursor"]).decode().removeprefix("offset:")) if args.get("cursor") else 0
    end = start + limit
    more = end < len(items)
    return items[start:end], more, base64.b64encode(f"offset:{end}".encode()).decode() if more else ""


def _channel_object(name: str) -> dict[str, Any]:
    bare = name.removeprefix("#")
    return {
        "id": channel_id(name),
        "name": bare,
        "name_normalized": bare,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": False,
        "is_archived": False,
        "is_general": False,
        "is_member": True,
        "created": 1700000000,
        "num_members": 3,
    }


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self._respond(self.path, self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self._respond(path, query.encode())

    def _respond(self, path: str, body: bytes) -> None:
        slack: SlackServer = self.server.slack  # type: ignore[attr-defined]
        action, status, headers, payload = slack._answer(path, self.headers, body)
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
