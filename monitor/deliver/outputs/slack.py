"""Slack output: a digest as Block Kit messages, posted with slack_sdk (bot token and channel, or an incoming webhook).

The layout (text made inert, Block Kit, Slack's limits) is in ``slack_layout``. A long digest becomes several parts;
with ``split: thread`` the later parts are replies to the first.

Every message carries its part's key as message metadata. When an attempt's outcome is unknown (a timeout, a dropped
connection, a 5xx, a process killed mid-send), ``look_up`` reads the channel's recent history (or the thread's replies)
for that key before the part is sent again, so a bot-token output posts each part exactly once. An incoming webhook
cannot be asked, so there a part whose outcome is unknown is posted again (at least once). Nothing here re-sends on its
own: slack_sdk's retries after a connection error or a server error would post blind, so only brief rate limits are
waited out in the call, and longer ones go back to the outbox with their Retry-After.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from http.client import HTTPException
from itertools import islice
from typing import TypedDict
from zoneinfo import ZoneInfo

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookResponse

from monitor.deliver.base import DeliveryError, LookUp, Output, OutputContext, Part
from monitor.deliver.outputs.slack_layout import digest_parts, notice_parts
from monitor.deliver.outputs.slack_settings import WEBHOOK, SlackSettings
from monitor.digest import Digest
from monitor.retry_after import retry_after_header, seconds_to_wait
from monitor.text import error_words

log = logging.getLogger(__name__)

# The metadata event type our messages carry; its payload's "key" names the part (see monitor.deliver.outbox.part_key).
PART_EVENT = "beatwatch_part"
# A rate limit asking for longer than this is not slept through inside the send: the outbox reschedules the delivery.
MAX_WAIT_IN_SEND = 3.0
# Looking for a part whose outcome is unknown: history pages of this size, at most this many, from this long before
# the part was first handed over (Slack's clock and ours differ).
LOOK_UP_PAGE = 100
LOOK_UP_PAGES = 5
LOOK_UP_MARGIN = timedelta(minutes=10)
# Turning a channel name into the ID that conversations.history needs: conversations.list pages, at most this many.
CHANNEL_PAGE = 1000
CHANNEL_PAGES = 20
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{8,}")

# Answers only a person can fix, with what to fix; ``{destination}`` is the channel.
_CONFIG_FIXES = {
    "invalid_auth": "the bot token is wrong; set SLACK_BOT_TOKEN (outputs.slack.token in monitor.yaml) to the app's "
    "bot token (xoxb-...)",
    "not_authed": "no bot token was sent; set SLACK_BOT_TOKEN (outputs.slack.token in monitor.yaml)",
    "account_inactive": "the bot's account is deactivated; reinstall the Slack app and update SLACK_BOT_TOKEN",
    "token_revoked": "the bot token was revoked; reinstall the Slack app and update SLACK_BOT_TOKEN",
    "missing_scope": "the Slack app lacks the {needed} scope; add it to the app's bot token scopes and reinstall the "
    "app",
    "channel_not_found": "invite the bot to the channel or fix the channel name in monitor.yaml "
    "(outputs.slack.channel or a route's slack_channel)",
    "not_in_channel": "invite the bot to {destination} (/invite @Beatwatch in the channel)",
    "is_archived": "the channel is archived; unarchive it or choose another channel in monitor.yaml",
}
# Incoming-webhook answers that mean the webhook URL itself is unusable.
_WEBHOOK_CONFIG_ERRORS = {
    "invalid_token",
    "no_service",
    "no_service_id",
    "no_team",
    "team_disabled",
    "no_active_hooks",
    "action_prohibited",
    "channel_not_found",
    "channel_is_archived",
    "posting_to_general_channel_denied",
}
# Answers that mean the message itself is malformed: retrying sends the same thing, so it is a bug to report.
_MALFORMED_MESSAGE = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "msg_blocks_too_long",
    "no_text",
    "invalid_arguments",
    "invalid_payload",
    "too_many_attachments",
}
# Slack-side trouble that passes; Slack says the operation may have partly happened all the same.
_TRANSIENT = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}


# --- output -------------------------------------------------------------------------------------------------------


class SlackOutput(Output):
    name = "slack"

    def __init__(self, settings: SlackSettings, zone: ZoneInfo) -> None:
        self.settings = settings
        self.zone = zone  # digest times arrive already in this zone
        # Given explicitly: slack_sdk's default handler would re-send after a dropped connection, posting blind.
        handlers: list[RetryHandler] = [_BriefRateLimitRetry(max_retry_count=2)]
        self._channel_ids: dict[str, str] = {}  # channel names as configured, and the IDs Slack gave for them
        # The Web API client for a bot token, or the incoming webhook's client.
        self._slack: WebClient | WebhookClient
        # slack_sdk declares ``timeout: int`` but only hands it to urllib, which takes seconds as a float; a whole
        # number of seconds would turn a configured 0.5 s into 1 s, so the float goes through as configured.
        if settings.token:
            self._slack = WebClient(
                token=settings.token,
                base_url=settings.api_url,
                timeout=settings.timeout,  # type: ignore[arg-type]  # a float, see above
                retry_handlers=handlers,
            )
        else:
            self._slack = WebhookClient(
                settings.webhook_url,
                timeout=settings.timeout,  # type: ignore[arg-type]  # a float, see above
                retry_handlers=handlers,
            )

    @classmethod
    def from_section(cls, section: SlackSettings, context: OutputContext) -> SlackOutput:
        return cls(section, context.zone)

    def destinations(self) -> tuple[str, ...]:
        return self.settings.destinations()

    def render(self, digest: Digest, *, alert: bool = False, destination: str | None = None) -> list[Part]:
        threaded = self.settings.split == "thread" and isinstance(self._slack, WebClient)  # a webhook cannot thread
        return digest_parts(digest, alert=alert, threaded=threaded)

    def render_notice(self, title: str, text: str) -> list[Part]:
        return notice_parts(title, text)

    def send(self, destination: str, part: Part, receipts: Sequence[str | None], *, key: str) -> str | None:
        unfurl = self.settings.unfurl
        try:
            if isinstance(self._slack, WebhookClient):
                answer = self._slack.send(
                    text=part["text"], blocks=part["blocks"], unfurl_links=unfurl, unfurl_media=unfurl
                )
                self._check_webhook(answer)
                return None
            response = self._slack.chat_postMessage(
                channel=destination,
                text=part["text"],
                blocks=part["blocks"],
                unfurl_links=unfurl,
                unfurl_media=unfurl,
                thread_ts=self._thread(receipts),
                metadata={"event_type": PART_EVENT, "event_payload": {"key": key}},
            )
            self._channel_ids.setdefault(destination, response["channel"])
            return response["ts"]
        except SlackApiError as error:
            raise self._api_failure(destination, error) from error
        except (OSError, HTTPException) as error:
            raise self._unreachable(destination, error, "the message may or may not have been posted") from error

    def look_up(self, destination: str, key: str, receipts: Sequence[str | None], *, since: datetime) -> LookUp:
        """Look for the message carrying ``key`` in the channel's recent history, or in the thread it would reply to
        (replies are not in the channel's history). Bounded: a few pages from just before ``since``."""
        client = self._slack
        if isinstance(client, WebhookClient):
            return LookUp(asked=False)  # an incoming webhook cannot be asked what it posted
        oldest = f"{(since - LOOK_UP_MARGIN).timestamp():.6f}"
        wanted = _HistoryWindow(oldest=oldest, limit=LOOK_UP_PAGE, include_all_metadata=True)
        try:
            channel, thread = self._channel_id(client, destination), self._thread(receipts)
            if thread:
                pages = client.conversations_replies(channel=channel, ts=thread, **wanted)
            else:
                pages = client.conversations_history(channel=channel, **wanted)
            for page in islice(pages, LOOK_UP_PAGES):
                for message in page.get("messages") or []:
                    if _part_key(message) == key:
                        return LookUp(asked=True, found=True, receipt=message["ts"])
        except SlackApiError as error:
            raise self._api_failure(destination, error) from error
        except (OSError, HTTPException) as error:
            raise self._unreachable(destination, error, "could not check whether the last message arrived") from error
        return LookUp(asked=True)

    def _thread(self, receipts: Sequence[str | None]) -> str | None:
        """The ``ts`` of the message a part replies to: the first part's, with ``split: thread``."""
        return receipts[0] if self.settings.split == "thread" and receipts else None

    def _channel_id(self, client: WebClient, destination: str) -> str:
        """The channel's ID (history is only readable by ID), from monitor.yaml, an earlier post, or Slack's list."""
        if _CHANNEL_ID.fullmatch(destination):
            return destination
        if destination not in self._channel_ids:
            self._channel_ids[destination] = self._listed_channel(client, destination)
        return self._channel_ids[destination]

    def _listed_channel(self, client: WebClient, destination: str) -> str:
        name = destination.removeprefix("#")
        pages = client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=CHANNEL_PAGE
        )
        for page in islice(pages, CHANNEL_PAGES):
            for channel in page.get("channels") or []:
                if channel.get("name") == name:
                    return channel["id"]
        raise DeliveryError(
            self.name,
            destination,
            f"Slack lists no channel named {name} that the bot can see, so "
            "Beatwatch cannot check whether its last message arrived there; invite the bot to the "
            "channel, or write the channel's ID (C...) in monitor.yaml",
            retryable=False,
            config_problem=True,
        )

    def _unreachable(self, destination: str, error: Exception, consequence: str) -> DeliveryError:
        # A refused connection sent nothing; a timeout or a dropped connection may have come after Slack took it all.
        refused = isinstance(error, ConnectionRefusedError) or isinstance(
            getattr(error, "reason", None), ConnectionRefusedError
        )
        return DeliveryError(
            self.name,
            destination,
            f"could not reach Slack at {self._address()}: {error_words(error, 'Slack closed the connection')}; "
            f"{consequence}",
            retryable=True,
            outcome_unknown=not refused,
        )

    def _address(self) -> str:
        return self.settings.api_url if isinstance(self._slack, WebClient) else "the incoming webhook"

    def _api_failure(self, destination: str, error: SlackApiError) -> DeliveryError:
        response = error.response
        answer = response.data if isinstance(response.data, dict) else {}
        return self._failure(destination, response.status_code, answer.get("error", ""), response.headers, answer)

    def _check_webhook(self, answer: WebhookResponse) -> None:
        if answer.status_code != 200:
            code = answer.body.strip()
            if code in _WEBHOOK_CONFIG_ERRORS:
                raise DeliveryError(
                    self.name,
                    WEBHOOK,
                    f"Slack says {code} for the incoming webhook: create a new "
                    "webhook and set SLACK_WEBHOOK_URL (outputs.slack.webhook_url in monitor.yaml)",
                    retryable=False,
                    config_problem=True,
                )
            raise self._failure(WEBHOOK, answer.status_code, code, answer.headers, {})

    def _failure(
        self, destination: str, status: int, code: str, headers: Mapping[str, str | list[str]], answer: dict
    ) -> DeliveryError:
        """The failure for Slack's answer: HTTP ``status`` and, for API answers, the ``code`` in ``error``."""
        said = code if status == 200 else f"HTTP {status} {code}".strip()
        if status == 429 or code == "ratelimited":  # refused before anything was posted
            retry_after = _retry_after(headers)
            return DeliveryError(
                self.name,
                destination,
                f"Slack is rate limiting us (Retry-After: {retry_after})",
                retryable=True,
                retry_after=retry_after,
            )
        if status >= 500 or code in _TRANSIENT:
            return DeliveryError(
                self.name, destination, f"Slack is failing ({said})", retryable=True, outcome_unknown=True
            )
        if code in _CONFIG_FIXES:
            fix = _CONFIG_FIXES[code].format(destination=destination, needed=answer.get("needed") or "needed")
            return DeliveryError(
                self.name,
                destination,
                f"Slack says {code} for {destination}: {fix}",
                retryable=False,
                config_problem=True,
            )
        if code in _MALFORMED_MESSAGE:
            log.error(
                "Slack refused a message for %s as %s (%s): a bug in Beatwatch's Slack layout, please report it",
                destination,
                code,
                answer.get("response_metadata"),
            )
        return DeliveryError(self.name, destination, f"Slack refused the message ({said})", retryable=False)


class _BriefRateLimitRetry(RateLimitErrorRetryHandler):
    """Waits out a rate limit inside the call only when Slack asks for a few seconds at most. A longer wait would hold
    up the whole command, so it becomes a failure that the outbox reschedules for after the Retry-After."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None:  # no answer at all: not a rate limit (the parent class agrees)
            return False
        limited = super()._can_retry(state=state, request=request, response=response, error=error)
        return limited and (_retry_after(response.headers) or 0) <= MAX_WAIT_IN_SEND


class _HistoryWindow(TypedDict):
    """The stretch of a channel's history, or a thread's replies, that ``look_up`` reads."""

    oldest: str
    limit: int
    include_all_metadata: bool


def _part_key(message: dict) -> str | None:
    """The part key a message in a history carries in its metadata, if it is one of ours."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return payload.get("key") if metadata.get("event_type") == PART_EVENT else None


def _retry_after(headers: Mapping[str, str | list[str]] | None) -> float | None:
    return seconds_to_wait(retry_after_header(headers))
