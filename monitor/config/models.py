"""The three configuration files as pydantic models. Unknown keys are errors everywhere (``extra="forbid"``)."""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from typing import Annotated, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, create_model, field_validator

from monitor.config.keywords import FIELDS, KeywordsFile, StrictModel as _Strict, TopicConfig
from monitor.cron import cron_trigger
from monitor.deliver import OUTPUT_TYPES
from monitor.durations import Duration, PollInterval
from monitor.sources import SOURCE_TYPES


# --- monitor.yaml -----------------------------------------------------------------------------------------------


class DigestSettings(_Strict):
    schedule: list[str] = Field(default_factory=lambda: ["0 8 * * *"])
    empty: Literal["skip", "post"] = "skip"
    max_items_per_topic: int = Field(15, ge=1, le=200)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: list[str]) -> list[str]:
        for expression in value:
            try:
                cron_trigger(expression, timezone.utc)
            except ValueError as error:
                raise ValueError(
                    f"{expression!r} is not a cron expression ({error}); use five fields: minute hour day month weekday, "
                    'e.g. "0 8 * * *" for 08:00 every day'
                ) from None
        return value


def _output_settings() -> type[BaseModel]:
    """``outputs:`` of monitor.yaml: ``console: true/false`` plus one optional section per output that has settings."""
    fields: dict = {"console": (bool, True)}
    for name, output in OUTPUT_TYPES.items():
        if output.settings_model is not None:
            fields[name] = (output.settings_model | None, None)
    return create_model("OutputSettings", __base__=_Strict, **fields)


OutputSettings = _output_settings()


class FetchSettings(_Strict):
    """Politeness and limits of the one HTTP client."""

    connect_timeout: float = Field(5.0, gt=0)
    timeout: float = Field(30.0, gt=0)
    max_bytes: int = Field(10_000_000, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    per_host: int = Field(2, ge=1, le=16)
    host_delay: Duration = timedelta(seconds=1)
    concurrency: int = Field(8, ge=1, le=64)
    robots_txt: bool = True
    allow_private_links: bool = False  # links found in feeds and pages may lead to private addresses (intranets)


class Route(_Strict):
    """Send these topics to these destinations instead of the outputs' default ones."""

    topics: list[str] = Field(min_length=1)
    slack_channel: str | None = None
    email_to: list[str] | None = None


class AdminSettings(_Strict):
    slack_channel: str | None = None
    email_to: list[str] | None = None


class DeliverySettings(_Strict):
    max_attempts: int = Field(8, ge=1, le=100)
    first_retry: Duration = timedelta(seconds=30)
    max_retry: Duration = timedelta(hours=1)


class MonitorSettings(_Strict):
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


class SourceDefaults(_Strict):
    every: PollInterval = timedelta(minutes=15)
    full_text: bool = True
    jitter: Duration = timedelta(seconds=30)


def _source_union():
    models = tuple(cls.config_model for cls in SOURCE_TYPES.values())
    return Annotated[Union[models], Field(discriminator="type")] if len(models) > 1 else models[0]


SourceSpec = _source_union()


class SourcesFile(_Strict):
    """Source ids are unique: checked by ``monitor.config.loader.unique_source_ids``, which can name the line."""

    defaults: SourceDefaults = Field(default_factory=SourceDefaults)
    sources: list[SourceSpec] = Field(default_factory=list)

    def every(self, source) -> timedelta:
        return source.every or self.defaults.every

    def full_text(self, source) -> bool:
        return self.defaults.full_text if source.full_text is None else source.full_text

    def jitter(self, source) -> timedelta:
        return source.jitter if source.jitter is not None else self.defaults.jitter


# keywords.yaml lives in monitor/config/keywords.py, which the match stage imports without pulling in the outputs.
__all__ = ["FIELDS", "KeywordsFile", "MonitorSettings", "SourcesFile", "TopicConfig"]
