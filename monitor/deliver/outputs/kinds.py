"""The table of output kinds, and building the outputs monitor.yaml configures. Importing it imports every kind's
sending code; reading the configuration needs only ``OutputSettings`` (``monitor.deliver.outputs``)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from monitor.deliver.base import Origin, Output, OutputContext
from monitor.deliver.outputs import OutputSettings
from monitor.deliver.outputs.console import ConsoleOutput
from monitor.deliver.outputs.email import EmailOutput
from monitor.deliver.outputs.slack import SlackOutput

OUTPUT_TYPES: dict[str, type[Output]] = {
    "console": ConsoleOutput,
    "slack": SlackOutput,
    "email": EmailOutput,
}


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
