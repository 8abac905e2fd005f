"""The one small interface every output (console, slack, email) implements."""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TextIO
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # outputs are configured and listed without the digest and the store behind it
    from monitor.digest import Digest

Part = dict[str, Any]  # one message, JSON-serialisable, so the outbox can store it and send exactly it again


class DeliveryError(Exception):
    """Sending failed. ``retryable`` says whether trying again can help; ``config_problem`` marks bad tokens, unknown
    channels, refused logins: things only a person can fix. ``outcome_unknown`` says the service may have taken the
    message all the same (a timeout, a dropped connection, a server error), so it is looked for before a resend."""

    def __init__(
        self,
        output: str,
        destination: str,
        reason: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        config_problem: bool = False,
        outcome_unknown: bool = False,
    ) -> None:
        self.output, self.destination, self.reason = output, destination, reason
        self.retryable, self.retry_after, self.config_problem = retryable, retry_after, config_problem
        self.outcome_unknown = outcome_unknown
        super().__init__(f"{output} -> {destination}: {reason}")


@dataclass(frozen=True)
class Origin:
    """Which Beatwatch sends, as a reader is told it (the email footer): its name, its machine and its configuration
    folder."""

    name: str  # `instance` in monitor.yaml; empty when not given
    host: str
    config_dir: Path

    @classmethod
    def here(cls, config_dir: Path, name: str = "") -> Origin:
        return cls(name, socket.gethostname(), config_dir.resolve())


@dataclass(frozen=True)
class OutputContext:
    """What an output may need besides its own section of monitor.yaml."""

    zone: ZoneInfo  # of ``timezone`` in monitor.yaml: digest times are shown in it
    data_dir: Path  # the console keeps a copy of each digest under it
    stream: TextIO  # where the console prints
    origin: Origin  # who sends, for the email footer


@dataclass(frozen=True)
class LookUp:
    """What an output found out about a part that may have reached its destination unrecorded."""

    asked: bool  # False: the service cannot be asked (email, a Slack incoming webhook), so the part is sent again
    found: bool = False
    receipt: str | None = None  # the found message's receipt (Slack ``ts``)


class Output(ABC):
    """Renders digests and alerts into message parts and sends one part at a time.

    A digest may need several parts (Slack's block limits); the outbox sends them in order and passes the receipts of
    the parts already sent (``None`` where a send returned none), so a Slack output can thread replies under the first
    part.
    """

    name: ClassVar[str]  # its key in OUTPUT_TYPES, and its section under `outputs:` in monitor.yaml

    @classmethod
    @abstractmethod
    def from_section(cls, section: Any, context: OutputContext) -> Output:
        """This output as its section of ``outputs:`` configures it (the section is there and not ``false``)."""

    @abstractmethod
    def destinations(self) -> tuple[str, ...]:
        """Where this output sends by default (channel, recipient list as one string, ``-`` for the console)."""

    @abstractmethod
    def render(self, digest: Digest, *, alert: bool = False, destination: str | None = None) -> list[Part]:
        """The message parts for ``digest`` (an urgent alert is a digest of the alerted matches with ``alert=True``),
        for ``destination`` (None: the output's default one), which an email footer names."""

    @abstractmethod
    def render_notice(self, title: str, text: str) -> list[Part]:
        """A short plain message for the admin destination: a configuration error, a failing source."""

    @abstractmethod
    def send(self, destination: str, part: Part, receipts: Sequence[str | None], *, key: str) -> str | None:
        """Send one part; return a receipt (Slack ``ts``, email Message-ID). Raise ``DeliveryError`` on failure.

        ``key`` names this part of this delivery and nothing else; the message carries it (Slack metadata, the email's
        Message-ID), so a resend is recognisable and ``look_up`` can find it."""

    def look_up(self, destination: str, key: str, receipts: Sequence[str | None], *, since: datetime) -> LookUp:
        """Whether the part named ``key``, perhaps handed over since ``since``, reached ``destination``. Outputs whose
        service cannot be asked keep this answer: not asked, so the part is sent again (at least once)."""
        return LookUp(asked=False)
