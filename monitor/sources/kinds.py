"""The table of source kinds, by their ``type:`` in sources.yaml, and building a source from its entry. Importing it
imports every kind's polling code; reading the configuration needs only ``SourceSpec`` (``monitor.sources``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from monitor.clock import Clock, utc_now
from monitor.sources.base import Source, SourceConfig
from monitor.sources.cmis import CmisSource
from monitor.sources.feed import FeedSource
from monitor.sources.moderngov.source import ModernGovSource
from monitor.sources.page import PageSource

SOURCE_TYPES: dict[str, type[Source[Any]]] = {
    "feed": FeedSource,
    "page": PageSource,
    "moderngov": ModernGovSource,
    "cmis": CmisSource,
}


def build_source(config: SourceConfig, *, clock: Clock = utc_now) -> Source[Any]:
    return SOURCE_TYPES[config.type](config, clock=clock)


def describe_state(config: SourceConfig, stored: Mapping[str, Any], *, zone: tzinfo) -> str:
    """How the source of ``config`` is being read, by the document the store kept of its checkpoint, for `monitor
    status`: "web service" or "HTML pages since 20 Nov 10:00: web service blocked (403)" for ModernGov; "" when its kind
    has nothing to say or before its first poll."""
    return build_source(config).describe_state(stored, zone=zone)
