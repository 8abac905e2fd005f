"""The table of source kinds, by their ``type:`` in sources.yaml, and building a source from its entry. A kind's polling
code (and the libraries it reads with: bs4 for pages and council sites) is imported when a source of that kind is
built, so a poll of feeds loads only the feed's; reading the configuration needs only ``SourceSpec``
(``monitor.sources``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from monitor.clock import Clock, utc_now
from monitor.kinds import KindTable
from monitor.sources.base import Source, SourceConfig

# Each kind's class, by its ``type:``.
SOURCE_TYPES: KindTable[Source[Any]] = KindTable(
    {
        "feed": "monitor.sources.feed:FeedSource",
        "page": "monitor.sources.page:PageSource",
        "moderngov": "monitor.sources.moderngov.source:ModernGovSource",
        "cmis": "monitor.sources.cmis:CmisSource",
    }
)


def build_source(config: SourceConfig, *, clock: Clock = utc_now) -> Source[Any]:
    return SOURCE_TYPES[config.type](config, clock=clock)


def describe_state(config: SourceConfig, stored: Mapping[str, Any], *, zone: tzinfo) -> str:
    """How the source of ``config`` is being read, by the document the store kept of its checkpoint, for `monitor
    status`: "web service" or "HTML pages since 20 Nov 10:00: web service blocked (403)" for ModernGov; "" when its kind
    has nothing to say or before its first poll."""
    return build_source(config).describe_state(stored, zone=zone)
