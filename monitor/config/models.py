"""The three configuration files, composed from the settings models of the stages they configure.

Each stage owns its models (``monitor.fetch.settings``, ``monitor.sources``, ``monitor.match.settings``,
``monitor.deliver.settings``, ``monitor.deliver.outputs``); this module only puts them together with the few keys
that belong to a file as a whole. Unknown keys are errors everywhere (``StrictModel``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from monitor.deliver.outputs import OutputSettings
from monitor.deliver.settings import AdminSettings, DeliverySettings, DigestSettings, Route
from monitor.fetch.settings import FetchSettings
from monitor.links import LinkSettings
from monitor.match.settings import KeywordsFile
from monitor.observe.settings import HttpSettings, LogSettings
from monitor.settings import Duration, StrictModel
from monitor.sources import SourceConfig, SourceDefaults, SourceSpec
from monitor.text import one_line


class MonitorSettings(StrictModel):
    """monitor.yaml."""

    instance: str = ""  # this Beatwatch's name in email footers; empty: the machine's host name
    timezone: str = "Europe/London"
    user_agent: str = "Beatwatch/0.1 (+https://example.org/beatwatch)"
    first_run_backfill: Duration = timedelta(0)
    retention: Duration = timedelta(days=30)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    outputs: OutputSettings = Field(default_factory=OutputSettings)
    routes: list[Route] = Field(default_factory=list)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    links: LinkSettings = Field(default_factory=LinkSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name; use one like Europe/London or UTC") from None
        return value

    @field_validator("instance")
    @classmethod
    def _one_line_name(cls, value: str) -> str:
        name = one_line(value)
        if len(name) > 80:
            raise ValueError("must be at most 80 characters, as it names this Beatwatch in email footers; shorten it")
        return name

    @field_validator("user_agent")
    @classmethod
    def _honest_agent(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z][\w.-]*/\S+", value):
            raise ValueError(
                'must start with a product token and version, e.g. "Beatwatch/0.1 (+https://… ; you@example.org)"'
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class SourcesFile(StrictModel):
    """sources.yaml. Source ids are unique: checked by ``monitor.config.loader.unique_source_ids``, which can name the
    line."""

    defaults: SourceDefaults = Field(default_factory=SourceDefaults)
    sources: list[SourceSpec] = Field(default_factory=list)

    def every(self, source: SourceConfig) -> timedelta:
        return source.every or self.defaults.every

    def full_text(self, source: SourceConfig) -> bool:
        return self.defaults.full_text if source.full_text is None else source.full_text

    def jitter(self, source: SourceConfig) -> timedelta:
        return source.jitter if source.jitter is not None else self.defaults.jitter

    def select(self, source_ids: Sequence[str]) -> list[SourceConfig]:
        """The sources of ``source_ids`` in that order, or all of them when none are given; KeyError naming the ids
        that are not in the file."""
        configured = {source.id: source for source in self.sources}
        unknown = [source_id for source_id in source_ids if source_id not in configured]
        if unknown:
            raise KeyError(
                f"no source with id {', '.join(unknown)} in sources.yaml; known ids: {', '.join(configured) or 'none'}"
            )
        return [configured[source_id] for source_id in source_ids] if source_ids else list(configured.values())


__all__ = ["KeywordsFile", "MonitorSettings", "SourcesFile"]
