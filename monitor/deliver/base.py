"""The one small interface every output (console, slack, email) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TextIO

from pydantic import BaseModel

from monitor.digest import Digest

Part = dict[str, Any]  # one message, JSON-serialisable, so the outbox can store it and send exactly it again


class DeliveryError(Exception):
    """Sending failed. ``retryable`` says whether trying again can help; ``config_problem`` marks bad tokens, unknown
    channels, refused logins: things only a person can fix."""

    def __init__(
        self,
        output: str,
        destination: str,
        reason: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        config_problem: bool = False,
    ) -> None:
        self.output, self.destination, self.reason = output, destination, reason
        self.retryable, self.retry_after, self.config_problem = retryable, retry_after, config_problem
        super().__init__(f"{output} -> {destination}: {reason}")


class Output(ABC):
    """Renders digests and alerts into message parts and sends one part at a time.

    A digest may need several parts (Slack's block limits); the outbox sends them in order and passes the receipts of the
    parts already sent, so a Slack output can thread replies under the first part.
    """

    name: ClassVar[str]
    settings_model: ClassVar[type[BaseModel] | None] = None  # its section under `outputs:` in monitor.yaml, if any

    @classmethod
    @abstractmethod
    def from_settings(cls, settings, *, data_dir: Path, stream: TextIO) -> Output | None:
        """This output as monitor.yaml configures it, or None when it is not configured."""

    @abstractmethod
    def destinations(self) -> tuple[str, ...]:
        """Where this output sends by default (channel, recipient list as one string, ``-`` for the console)."""

    @abstractmethod
    def render(self, digest: Digest, *, alert: bool = False) -> list[Part]:
        """The message parts for ``digest`` (an urgent alert is a digest of the alerted matches with ``alert=True``)."""

    @abstractmethod
    def render_notice(self, title: str, text: str) -> list[Part]:
        """A short plain message for the admin destination: a configuration error, a failing source."""

    @abstractmethod
    def send(self, destination: str, part: Part, receipts: Sequence[str]) -> str | None:
        """Send one part; return a receipt (Slack ``ts``, email Message-ID). Raise ``DeliveryError`` on failure."""
