"""Sources: one module per ``type:`` of sources.yaml, each a ``Source`` subclass with its config model.

Adding a kind of source means one new module here, one line in ``SOURCE_TYPES`` and its config model in
``SourceSpec``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from monitor.clock import Clock, utc_now
from monitor.sources.base import Discovery, Source, SourceConfig, SourceDefaults, SourceError
from monitor.sources.cmis import CmisConfig, CmisSource
from monitor.sources.feed import FeedConfig, FeedSource
from monitor.sources.moderngov import ModernGovConfig, ModernGovSource

SOURCE_TYPES: dict[str, type[Source]] = {
    "feed": FeedSource,
    "moderngov": ModernGovSource,
    "cmis": CmisSource,
}

# An entry of ``sources:``, read as the model its ``type:`` names.
SourceSpec = Annotated[FeedConfig | ModernGovConfig | CmisConfig, Field(discriminator="type")]


def build_source(config: SourceConfig, *, clock: Clock = utc_now) -> Source:
    return SOURCE_TYPES[config.type](config, clock=clock)


__all__ = [
    "SOURCE_TYPES",
    "Discovery",
    "Source",
    "SourceConfig",
    "SourceDefaults",
    "SourceError",
    "SourceSpec",
    "build_source",
]
