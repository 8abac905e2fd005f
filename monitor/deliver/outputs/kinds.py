"""The table of output kinds, and building the outputs monitor.yaml configures. A kind's module (and the library it
sends with: slack_sdk, smtplib and css-inline, jinja2) is imported when an output of that kind is built, so a
command loads only the outputs the configuration uses; reading the configuration needs only ``OutputSettings``
(``monitor.deliver.outputs``)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from monitor.deliver.base import Origin, Output, OutputContext
from monitor.deliver.outputs import OutputSettings
from monitor.kinds import KindTable

# Each kind's class, by its name: its section under ``outputs:``.
OUTPUT_TYPES: KindTable[Output] = KindTable(
    {
        "console": "monitor.deliver.outputs.console:ConsoleOutput",
        "slack": "monitor.deliver.outputs.slack:SlackOutput",
        "email": "monitor.deliver.outputs.email:EmailOutput",
    }
)


def output_type(name: str) -> type[Output]:
    """The ``Output`` subclass of the kind ``name``, its module imported now if it was not yet."""
    return OUTPUT_TYPES[name]


def build_outputs(
    settings: OutputSettings, *, zone: ZoneInfo, data_dir: Path, stream: TextIO, origin: Origin
) -> dict[str, Output]:
    """Every output that ``settings`` configures, by name, in table order, each built from its own section."""
    context = OutputContext(zone=zone, data_dir=data_dir, stream=stream, origin=origin)
    built: dict[str, Output] = {}
    for name in OUTPUT_TYPES:
        section = getattr(settings, name)
        if section is not None and section is not False:
            built[name] = output_type(name).from_section(section, context)
    return built
