"""The kinds of output, by the name that is their section under ``outputs:`` in monitor.yaml.

Each kind has a module that renders and sends (an ``Output`` subclass, listed in ``OUTPUT_TYPES`` of ``kinds``) and,
if it has settings, a module of its own for their model (``slack_settings``, ``email_settings``), so the configuration
is read and checked without importing what sends. Adding a kind of output means its module (and its settings module),
one line in ``OUTPUT_TYPES`` and one field in ``OutputSettings``.
"""

from __future__ import annotations

from monitor.deliver.outputs.email_settings import EmailSettings
from monitor.deliver.outputs.slack_settings import SlackSettings
from monitor.settings import StrictModel

# The console's one destination: the terminal it prints to.
CONSOLE = "-"


class OutputSettings(StrictModel):
    """``outputs:`` of monitor.yaml: one section per kind of output, named as in ``OUTPUT_TYPES``; an output whose
    section is absent (or ``false``) is not used."""

    console: bool = True  # print the digest and keep a copy under the data directory
    slack: SlackSettings | None = None
    email: EmailSettings | None = None

    def secrets(self) -> tuple[str, ...]:
        """The values the log must never show: the Slack token and webhook address, the mail password."""
        slack, email = self.slack, self.email
        found = (slack.token, slack.webhook_url) if slack else ()
        return (*found, email.password) if email else found

    def destinations(self) -> dict[str, tuple[str, ...]]:
        """Where each configured output sends when no route says otherwise, by name, in table order."""
        found: dict[str, tuple[str, ...]] = {"console": (CONSOLE,)} if self.console else {}
        if self.slack is not None:
            found["slack"] = self.slack.destinations()
        if self.email is not None:
            found["email"] = self.email.destinations()
        return found
