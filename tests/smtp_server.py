"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd with a handler that keeps or refuses what it is sent."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd handler that keeps what it receives; or answers DATA with ``reply``, hangs up at DATA, or refuses
    the recipients in ``refuse`` with their reply."""

    def __init__(self, reply: str | None = None, hang_up: bool = False, refuse: dict[str, str] | None = None) -> None:
        self.reply, self.hang_up, self.refuse = reply, hang_up, refuse or {}
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hang_up:
            server.transport.close()
            return "250 OK"
        if self.reply:
            return self.reply
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


class AnyPortController(Controller):
    """aiosmtpd's Controller on a port the OS picks (its own readiness check cannot connect to port 0)."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_server():
    """Start an aiosmtpd server: ``smtp_server(handler, **smtp_options) -> port``; stopped after the test."""
    controllers = []

    def start(handler: Inbox, **options) -> int:
        controller = AnyPortController(handler, hostname="127.0.0.1", port=0, **options)
        controller.start()
        controllers.append(controller)
        return controller.port

    yield start
    for controller in controllers:
        controller.stop()
