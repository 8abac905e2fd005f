"""The three configuration files as pydantic models, composed from the settings models of the stages they configure.
Unknown keys are errors everywhere (``StrictModel``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, create_model, field_validator

from monitor.deliver import OUTPUT_TYPES
from monitor.deliver.settings import AdminSettings, DeliverySettings, DigestSettings, Route
from monitor.fetch_settings import FetchSettings
from monitor.match.settings import FIELDS, KeywordsFile, TopicConfig
from monitor.settings import Duration, StrictModel
from monitor.sources import SOURCE_TYPES
from monitor.sources.base import SourceDefaults

# --- monitor.yaml -----------------------------------------------------------------------------------------------


def _output_settings() -> type[BaseModel]:
    """``outputs:`` of monitor.yaml: ``console: true/false`` plus one optional section per output that has settings."""
    fields: dict = {"console": (bool, True)}
    for name, output in OUTPUT_TYPES.items():
        if output.settings_model is not None:
            fields[name] = (output.settings_model | None, None)
    return create_model("OutputSettings", __base__=StrictModel, **fields)


OutputSettings = _output_settings()


class MonitorSettings(StrictModel):
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

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name; use one like Europe/London or UTC") from None
        return value

    @field_validator("user_agent")
    @classmethod
    def _honest_agent(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z][\w.-]*/\S+", value):
            raise ValueError('must start with a product token and version, e.g. "Beatwatch/0.1 (+https://… ; you@example.org)"')
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# --- sources.yaml -----------------------------------------------------------------------------------------------


def _source_union():
    models = tuple(cls.config_model for cls in SOURCE_TYPES.values())
    return Annotated[Union[models], Field(discriminator="type")] if len(models) > 1 else models[0]


SourceSpec = _source_union()


class SourcesFile(StrictModel):
    """Source ids are unique: checked by ``monitor.config.loader.unique_source_ids``, which can name the line."""

    defaults: SourceDefaults = Field(default_factory=SourceDefaults)
    sources: list[SourceSpec] = Field(default_factory=list)

    def every(self, source) -> timedelta:
        return source.every or self.defaults.every

    def full_text(self, source) -> bool:
        return self.defaults.full_text if source.full_text is None else source.full_text

    def jitter(self, source) -> timedelta:
        return source.jitter if source.jitter is not None else self.defaults.jitter


# keywords.yaml is the match stage's own model (monitor/match/settings.py).
__all__ = ["FIELDS", "KeywordsFile", "MonitorSettings", "SourcesFile", "TopicConfig"]
