"""The one small interface every kind of source implements, and the configuration every source shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import AfterValidator

from monitor.clock import Clock, utc_now
from monitor.items import Item
from monitor.settings import Duration, PollInterval, StrictModel, WebAddress, identifier

if TYPE_CHECKING:
    from monitor.fetch import Fetcher

SourceId = Annotated[str, AfterValidator(identifier("echo-southend"))]


class SourceConfig(StrictModel):
    """Keys every entry of ``sources:`` accepts. A kind of source subclasses it with ``type: Literal[...]`` and its own keys."""

    id: SourceId
    name: str
    type: str
    url: WebAddress
    every: PollInterval | None = None
    full_text: bool | None = None
    jitter: Duration | None = None


class SourceDefaults(StrictModel):
    """``defaults:`` of sources.yaml: the values of ``every``, ``full_text`` and ``jitter`` for sources that omit them."""

    every: PollInterval = timedelta(minutes=15)
    full_text: bool = True
    jitter: Duration = timedelta(seconds=30)


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
    """A kind of source, chosen by ``type:`` in sources.yaml (its entry in ``SOURCE_TYPES``)."""

    config_model: ClassVar[type[SourceConfig]]  # its entry's model, a member of ``SourceSpec``

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
