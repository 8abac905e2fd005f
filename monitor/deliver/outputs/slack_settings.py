"""``outputs.slack`` of monitor.yaml, readable without slack_sdk: the configuration is checked before anything is
sent."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from monitor.settings import StrictModel, WebAddress
from monitor.urls import check_web_address

# The destination of an incoming webhook, which posts to the one channel it was made for.
WEBHOOK = "webhook"


class SlackSettings(StrictModel):
    """``outputs.slack`` in monitor.yaml. A bot token (with ``channel``) can thread; a webhook cannot. With both set,
    the token is used."""

    token: str = ""
    webhook_url: str = ""  # empty when not used: `${SLACK_WEBHOOK_URL:-}` may well say nothing
    api_url: WebAddress = "https://slack.com/api/"
    channel: str = ""
    split: Literal["thread", "messages"] = "thread"
    unfurl: bool = False
    timeout: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _somewhere_to_post(self) -> SlackSettings:
        if not self.token and not self.webhook_url:
            raise ValueError("set token (a bot token, with channel) or webhook_url (an incoming webhook)")
        if self.token and not self.channel:
            raise ValueError('a bot token needs a channel to post in, e.g. channel: "#crime-digest"')
        return self

    @field_validator("webhook_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        return check_web_address(value) if value else value

    def destinations(self) -> tuple[str, ...]:
        """Where the output posts when no route says otherwise: the channel with a bot token, else the webhook's
        own channel."""
        return (self.channel,) if self.token else (WEBHOOK,)

    def secrets(self) -> tuple[str, ...]:
        """What the log must never show: the token and the webhook's address (which is a credential of its own)."""
        return self.token, self.webhook_url
