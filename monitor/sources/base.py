"""The one small interface every kind of source implements, and the configuration every source shares."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

from monitor.clock import Clock, utc_now
from monitor.durations import Duration, PollInterval
from monitor.items import Item
from monitor.urls import check_web_address

if TYPE_CHECKING:
    from monitor.fetch import Fetcher

_SOURCE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class SourceConfig(BaseModel):
    """Keys every entry of ``sources:`` accepts. A kind of source subclasses it with ``type: Literal[...]`` and its own keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    type: str
    url: str
    every: PollInterval | None = None
    full_text: bool | None = None
    jitter: Duration | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _SOURCE_ID.match(value):
            raise ValueError("must be lowercase letters, digits and single dashes, e.g. echo-southend")
        return value

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        return check_web_address(value)


@dataclass(frozen=True)
class Discovery:
    """What one look at a source found.

    ``checkpoint`` is state the source wants back on its next look (HTTP validators, content hashes). The poll saves it
    only after the items are stored, so a crash in between makes the next poll look again rather than lose items.
    """

    items: tuple[Item, ...] = ()
    unchanged: bool = False
    checkpoint: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


class Source(ABC):
    """A kind of source, chosen by ``type:`` in sources.yaml. Subclasses register themselves with ``@register``."""

    type_name: ClassVar[str]
    config_model: ClassVar[type[SourceConfig]]

    def __init__(self, config: SourceConfig, *, clock: Clock = utc_now) -> None:
        self.config = config
        self.clock = clock  # "today" for sources that watch a window of dates

    @abstractmethod
    def discover(self, fetcher: Fetcher, state: Mapping[str, str]) -> Discovery:
        """Look at the source once and return every item currently there (the store decides which are new).

        Raise ``monitor.fetch.FetchError`` or ``SourceError`` when the source cannot be read at all.
        """


class SourceError(Exception):
    """The source answered, but not with something this kind of source can read."""
