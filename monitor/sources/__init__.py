"""Sources: one module (or package) per ``type:`` of sources.yaml, each a ``Source`` subclass with its config model and
its checkpoint model.

Adding a kind of source means one new module here, one line in ``SOURCE_TYPES`` and its config model in
``SourceSpec``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Annotated, Any

from pydantic import Field

from monitor.clock import Clock, utc_now
from monitor.sources.base import Checkpoint, Discovery, Source, SourceConfig, SourceDefaults, SourceError
from monitor.sources.cmis import CmisConfig, CmisSource
from monitor.sources.feed import FeedConfig, FeedSource
from monitor.sources.moderngov import ModernGovConfig, ModernGovSource
from monitor.sources.page import PageConfig, PageSource

SOURCE_TYPES: dict[str, type[Source[Any]]] = {
    "feed": FeedSource,
    "page": PageSource,
    "moderngov": ModernGovSource,
    "cmis": CmisSource,
}

# An entry of ``sources:``, read as the model its ``type:`` names.
SourceSpec = Annotated[FeedConfig | PageConfig | ModernGovConfig | CmisConfig, Field(discriminator="type")]


def build_source(config: SourceConfig, *, clock: Clock = utc_now) -> Source[Any]:
    return SOURCE_TYPES[config.type](config, clock=clock)


def describe_state(config: SourceConfig, stored: Mapping[str, Any], *, zone: tzinfo) -> str:
    """How the source of ``config`` is being read, by the document the store kept of its checkpoint, for `monitor
    status`: "web service" or "HTML pages since 20 Nov 10:00: web service blocked (403)" for ModernGov; "" when its kind
    has nothing to say or before its first poll."""
    return build_source(config).describe_state(stored, zone=zone)


__all__ = [
    "SOURCE_TYPES",
    "Checkpoint",
    "Discovery",
    "Source",
    "SourceConfig",
    "SourceDefaults",
    "SourceError",
    "SourceSpec",
    "build_source",
    "describe_state",
]
