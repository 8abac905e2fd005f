"""The kinds of output, by the name that is their section under ``outputs:`` in monitor.yaml.

Adding a kind of output means one new module here (an ``Output`` subclass and, if it has settings, their model), one
line in ``OUTPUT_TYPES`` and one field in ``OutputSettings``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from monitor.deliver.base import Origin, Output, OutputContext
from monitor.deliver.outputs.console import ConsoleOutput
from monitor.deliver.outputs.email import EmailOutput, EmailSettings
from monitor.deliver.outputs.slack import SlackOutput, SlackSettings
from monitor.settings import StrictModel

OUTPUT_TYPES: dict[str, type[Output]] = {
    "console": ConsoleOutput,
    "slack": SlackOutput,
    "email": EmailOutput,
}


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


def build_outputs(
    settings: OutputSettings, *, zone: ZoneInfo, data_dir: Path, stream: TextIO, origin: Origin
) -> dict[str, Output]:
    """Every output that ``settings`` configures, by name, in table order, each built from its own section."""
    context = OutputContext(zone=zone, data_dir=data_dir, stream=stream, origin=origin)
    built: dict[str, Output] = {}
    for name, output in OUTPUT_TYPES.items():
        section = getattr(settings, name)
        if section is not None and section is not False:
            built[name] = output.from_section(section, context)
    return built
